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


RECOVERY_SECONDS = 120  # a fault not recovered from by then fails the drill


@dataclass
class Fault:
    name: str
    started: float
    recovered: float | None = None  # None: never, within RECOVERY_SECONDS
    mid_task: bool = True  # for the worker's kill: whether it held a task when killed

    @property
    def ended(self) -> float:
        return self.recovered if self.recovered is not None else self.started + RECOVERY_SECONDS

    @property
    def seconds(self) -> float | None:
        return None if self.recovered is None else self.recovered - self.started


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

    def staff_member(self, address: str, username: str, password: str, code) -> None:
        client = self.client(address)
        while not self.stop.is_set() and not staff_sign_in(client, username, password, code):
            time.sleep(1)
        while not self.stop.is_set():
            staff_work(client, username, self.log)
            time.sleep(0.2)

    def start(self) -> None:
        jobs = [(self.visitors, (10 + number,)) for number in range(3)]
        jobs += [(self.beacons, (20 + number,)) for number in range(3)]
        jobs += [
            (self.staff_member, (f"127.3.0.{number + 1}", *member))
            for number, member in enumerate(self.staff)
        ]
        for target, arguments in jobs:
            thread = threading.Thread(target=target, args=arguments, daemon=True)
            self.threads.append(thread)
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        if any(thread.is_alive() for thread in self.threads):
            raise RuntimeError("a traffic thread did not stop within 60 s")


# --- Probes: rate limits counted across both servers ------------------------------------------


def same_window(seconds: int, margin: float) -> None:
    """Wait, if need be, until at least ``margin`` seconds are left of the limiter's current
    window (limits count in windows of the wall clock: minutes for the beacon)."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.1)


def beacon_limit_probe(traffic: Traffic, limit: int) -> tuple[int, int, int]:
    """One address sends twice its limit: at most ``limit`` may pass in each minute window the
    probe touched (one, unless it ran over the minute's end). Returns sent, passed, windows."""
    client = traffic.client("127.9.9.9")
    same_window(60, margin=20)
    first = int(time.time()) // 60
    passed = sum(beacon_send(client, traffic.log) == 204 for _ in range(2 * limit))
    client.close()
    return 2 * limit, passed, int(time.time()) // 60 - first + 1


def form_limit_probe(traffic: Traffic, limit: int) -> tuple[int, int, int]:
    """One address sends its hourly form limit and ten more: at most ``limit`` are stored in
    each hour window touched."""
    client = traffic.client("127.9.9.10")
    first = int(time.time()) // 3600
    stored = sum(
        form_send(client, "contact", FORMS["contact"], traffic.log) for _ in range(limit + 10)
    )
    client.close()
    return limit + 10, stored, int(time.time()) // 3600 - first + 1


# --- Faults --------------------------------------------------------------------------------------


def first_success(probe) -> float | None:
    """When ``probe`` first succeeds; None if it has not within RECOVERY_SECONDS."""
    give_up = time.time() + RECOVERY_SECONDS
    while time.time() < give_up:
        if probe():
            return time.time()
        time.sleep(0.1)
    return None


def beacon_ok(traffic: Traffic) -> bool:
    client = traffic.client("127.8.0.1")
    try:
        return beacon_send(client, traffic.log) == 204
    finally:
        client.close()


def app_server_crash(cluster: Cluster, index: int) -> Fault:
    fault = Fault(f"kill -9 app server {index + 1}, restart", time.time())
    cluster.processes[f"app{index + 1}"].kill()
    time.sleep(2)
    cluster.app_start(index)
    url = f"http://127.0.0.1:{cluster.app_ports[index]}/healthz"
    fault.recovered = first_success(lambda: answers(url))
    return fault


def worker_crash(cluster: Cluster, traffic: Traffic) -> Fault:
    """kill -9 of worker 1 while it holds a task (waiting up to 30 s for one)."""
    from django_tasks_db.models import DBTaskResult

    busy = DBTaskResult.objects.filter(status="RUNNING", worker_ids__contains=["drill-worker1"])
    give_up = time.time() + 30
    while time.time() < give_up and not busy.exists():
        time.sleep(0.02)
    fault = Fault("kill -9 worker 1 mid-task, restart", time.time(), mid_task=busy.exists())
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
    try:
        cluster.postgres_pause()
        time.sleep(seconds)
    finally:
        cluster.postgres_resume()
    fault.recovered = first_success(lambda: beacon_ok(traffic))
    return fault


FAULTS = [
    lambda cluster, traffic: app_server_crash(cluster, 0),
    worker_crash,
    redis_restart,
    postgres_pause,
    lambda cluster, traffic: app_server_crash(cluster, 1),
]


# --- The run -------------------------------------------------------------------------------------


def run(cluster: Cluster, seconds: int, say) -> int:
    from django.conf import settings

    from drill.checks import checks_run, machines_check, table_print

    log = Log()
    staff = staff_seed(2)
    cases_seed(5)
    traffic = Traffic(cluster, log, staff)
    gap = seconds / (len(FAULTS) + 1)
    faults: list[Fault] = []
    began = time.time()
    traffic.start()
    try:
        say("Probing the rate limits from one address (both servers count together)")
        beacon_probe = beacon_limit_probe(traffic, settings.PLEDGE_BEACON_RATE_LIMIT)
        form_probe = form_limit_probe(traffic, settings.PLEDGE_FORM_LIMIT_PER_IP)
        started = time.time()
        say(f"Traffic goes on for {seconds} s; a fault every {gap:.0f} s")
        for inject in FAULTS:
            time.sleep(max(0.0, started + gap * (len(faults) + 1) - time.time()))
            fault = inject(cluster, traffic)
            taken = "never" if fault.seconds is None else f"in {fault.seconds:.1f} s"
            say(f"{fault.name}: recovered {taken}")
            faults.append(fault)
        time.sleep(max(0.0, started + seconds - time.time()))
    finally:
        traffic.finish()
    say("Traffic stopped; waiting for the workers to finish the queue")
    from django.utils import timezone

    drained = queue_drain(timeout=240)
    drained_at = timezone.now()  # a periodic job may still enqueue before the workers stop
    machines = machines_check(cluster)
    # Nothing may move while the checks read: the workers and their schedulers stop first.
    for name in ("worker1", "worker2"):
        cluster.processes[name].stop()
    outcome = machines + checks_run(
        cluster, log, faults, beacon_probe, form_probe, drained, drained_at
    )
    for refusal, page in log.forms_refused.items():
        (cluster.folder / f"refused-{refusal.replace(' ', '-')}.html").write_text(page)
    table_print(outcome, faults, log, time.time() - began)
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
