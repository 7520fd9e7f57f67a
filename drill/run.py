"""The drill itself, once the cluster runs and Django is set up against its database: seed
staff, drive traffic, inject the faults on a schedule, then check and print the table."""

import itertools
import secrets
import threading
import time
from dataclasses import dataclass

from drill.cluster import Cluster, answers
from drill.traffic import Client, Log, beacon_send, form_send, staff_sign_in, staff_work

FORMS = {
    "demo": "/en/demo/",
    "contact": "/en/contact/",
    "interest": "/en/interest/",
    "feedback": "/en/feedback/",
    "newsletter": "/en/newsletter/",
    "portal": "/en/privacy/my-data/",
    "job_application": "/en/careers/apply/",
}
PAGES = ["/en/", "/", "/en/about/", "/en/privacy/", "/en/customers/", "/en/cookies/"]


@dataclass
class Fault:
    name: str
    started: float
    recovered: float = 0.0

    @property
    def seconds(self) -> float:
        return self.recovered - self.started


def addresses(second_octet: int):
    """An endless supply of loopback addresses, one visitor each."""
    for third, fourth in itertools.cycle(itertools.product(range(256), range(1, 255))):
        yield f"127.{second_octet}.{third}.{fourth}"


# --- Seed ----------------------------------------------------------------------------------------


def staff_seed(count: int) -> list[tuple[str, str, object]]:
    """Staff who work leads and cases, each with an authenticator (its key known here)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pledge.vault.access import Role

    people = []
    for number in range(count):
        username, password = f"drill{number}", f"drill {number} has a long pass phrase"
        user = get_user_model().objects.create_user(
            username=username,
            email=f"{username}@letsgonex.com",
            password=password,
            is_staff=True,
        )
        roles = [Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.SALES_EXPERT]
        user.groups.set(Group.objects.filter(name__in=roles))
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)

        def code(key=device.bin_key):
            return f"{TOTP(key).token():06d}"

        people.append((username, password, code))
    return people


def cases_seed(count: int) -> None:
    from pledge.cases.services import case_open
    from pledge.vault.actors import Actor

    for number in range(count):
        case_open(
            kind="access",
            channel="email",
            actor=Actor.system("drill"),
            requester_email=f"drill-case-{number}@drill.example.com",
            requester_name="Drill Requester",
            details="A request opened by the drill.",
            language="en",
            acknowledge=False,
        )


# --- Traffic -------------------------------------------------------------------------------------


class Traffic:
    def __init__(self, cluster: Cluster, log: Log, staff):
        self.cluster, self.log, self.staff = cluster, log, staff
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.port, self.origin = cluster.https_port, cluster.site_url

    def client(self, address: str) -> Client:
        return Client(self.port, address, self.log, self.origin)

    def visitors(self, octet: int) -> None:
        supply, forms = addresses(octet), itertools.cycle(FORMS.items())
        while not self.stop.is_set():
            client = self.client(next(supply))
            page = secrets.choice(PAGES)
            client.request("GET", page, "page")
            beacon_send(client, self.log, page)
            form, path = next(forms)
            form_send(client, form, path, self.log)
            client.close()

    def beacons(self, octet: int) -> None:
        supply = addresses(octet)
        while not self.stop.is_set():
            client = self.client(next(supply))
            for _ in range(20):
                beacon_send(client, self.log)
            client.close()

    def staff_member(self, username: str, password: str, code) -> None:
        client = self.client(f"127.3.0.{len(self.threads) + 1}")
        while not self.stop.is_set() and not staff_sign_in(client, username, password, code):
            time.sleep(1)
        while not self.stop.is_set():
            staff_work(client, username, self.log)
            time.sleep(0.2)

    def start(self) -> None:
        jobs = [(self.visitors, (10 + n,)) for n in range(3)]
        jobs += [(self.beacons, (20 + n,)) for n in range(3)]
        jobs += [(self.staff_member, member) for member in self.staff]
        for target, arguments in jobs:
            thread = threading.Thread(target=target, args=arguments, daemon=True)
            self.threads.append(thread)
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


# --- Probes: rate limits counted across both servers ------------------------------------------


def beacon_limit_probe(traffic: Traffic, limit: int) -> tuple[int, int]:
    """One address sends twice its limit within its minute: at most ``limit`` may pass."""
    client = traffic.client("127.9.9.9")
    sent = 2 * limit
    accepted = sum(beacon_send(client, traffic.log) == 204 for _ in range(sent))
    client.close()
    return sent, accepted


def form_limit_probe(traffic: Traffic, limit: int) -> tuple[int, int]:
    """One address sends its hourly form limit and ten more: at most ``limit`` are stored."""
    client = traffic.client("127.9.9.10")
    stored = sum(
        form_send(client, "contact", FORMS["contact"], traffic.log) for _ in range(limit + 10)
    )
    client.close()
    return limit + 10, stored


# --- Faults --------------------------------------------------------------------------------------


def first_success(probe, seconds: float = 120) -> float:
    """The time when ``probe`` first succeeds."""
    give_up = time.time() + seconds
    while time.time() < give_up:
        if probe():
            return time.time()
        time.sleep(0.1)
    return time.time()


def beacon_ok(traffic: Traffic) -> bool:
    client = traffic.client("127.8.0.1")
    try:
        return beacon_send(client, traffic.log) == 204
    finally:
        client.close()


def app_server_crash(cluster: Cluster, traffic: Traffic) -> Fault:
    fault = Fault("kill -9 app server 1, restart", time.time())
    cluster.processes["app1"].kill()
    time.sleep(2)
    cluster.app_start(0)
    url = f"http://127.0.0.1:{cluster.app_ports[0]}/healthz"
    fault.recovered = first_success(lambda: answers(url))
    return fault


def worker_crash(cluster: Cluster, traffic: Traffic) -> Fault:
    from django_tasks_db.models import DBTaskResult

    # Mid-task: wait (up to 20 s) until a task is running, then kill the worker.
    give_up = time.time() + 20
    while time.time() < give_up and not DBTaskResult.objects.filter(status="RUNNING").exists():
        time.sleep(0.05)
    fault = Fault("kill -9 worker 1 mid-task, restart", time.time())
    cluster.processes["worker1"].kill()
    time.sleep(1)
    cluster.worker_start(0)
    fault.recovered = time.time()
    return fault


def redis_restart(cluster: Cluster, traffic: Traffic) -> Fault:
    fault = Fault("restart Redis", time.time())
    cluster.processes["redis"].stop()
    cluster.redis_start()
    fault.recovered = first_success(lambda: beacon_ok(traffic))
    return fault


def postgres_pause(cluster: Cluster, traffic: Traffic, seconds: float = 5) -> Fault:
    fault = Fault(f"pause PostgreSQL {seconds:.0f} s (SIGSTOP/SIGCONT)", time.time())
    stopped = cluster.postgres_pause()
    time.sleep(seconds)
    cluster.postgres_resume(stopped)
    fault.recovered = first_success(lambda: beacon_ok(traffic))
    return fault


def app_server_2_crash(cluster: Cluster, traffic: Traffic) -> Fault:
    fault = Fault("kill -9 app server 2, restart", time.time())
    cluster.processes["app2"].kill()
    time.sleep(2)
    cluster.app_start(1)
    url = f"http://127.0.0.1:{cluster.app_ports[1]}/healthz"
    fault.recovered = first_success(lambda: answers(url))
    return fault


FAULTS = [app_server_crash, worker_crash, redis_restart, postgres_pause, app_server_2_crash]


# --- The run -------------------------------------------------------------------------------------


def run(cluster: Cluster, seconds: int, say) -> int:
    from django.conf import settings

    log = Log()
    staff = staff_seed(2)
    cases_seed(5)
    traffic = Traffic(cluster, log, staff)
    started = time.time()
    say(f"Traffic for {seconds} s through nginx; faults every {seconds // (len(FAULTS) + 2)} s")
    traffic.start()

    faults: list[Fault] = []
    gap = seconds / (len(FAULTS) + 2)
    time.sleep(gap / 2)
    say("Probing the rate limits from one address (both servers count together)")
    limit = settings.PLEDGE_BEACON_RATE_LIMIT
    beacon_probe = beacon_limit_probe(traffic, limit)
    form_probe = form_limit_probe(traffic, settings.PLEDGE_FORM_LIMIT_PER_IP)
    for inject in FAULTS:
        time.sleep(max(0.0, started + gap * (len(faults) + 1) - time.time()))
        fault = inject(cluster, traffic)
        say(f"{fault.name}: recovered in {fault.seconds:.1f} s")
        faults.append(fault)
    time.sleep(max(0.0, started + seconds - time.time()))
    traffic.finish()
    say("Traffic stopped; waiting for the workers to finish the queue")
    drained = queue_drain(timeout=200)
    from drill.checks import checks_run, table_print

    outcome = checks_run(cluster, log, faults, beacon_probe, form_probe, drained)
    for refusal, page in log.forms_refused.items():
        (cluster.folder / f"refused-{refusal.replace(' ', '-')}.html").write_text(page)
    table_print(outcome, faults, log, time.time() - started)
    return 0 if all(ok for _, _, ok in outcome) else 1


def queue_drain(timeout: float) -> float:
    """Seconds until no task waits and no message is queued or being sent (or the timeout)."""
    from django_tasks_db.models import DBTaskResult

    from pledge.mail.models import Message, MessageStatus

    started = time.time()
    while time.time() - started < timeout:
        waiting = DBTaskResult.objects.filter(status="READY").exists()
        sending = Message.objects.filter(
            status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
        ).exists()
        if not waiting and not sending:
            return time.time() - started
        time.sleep(1)
    return -1.0
