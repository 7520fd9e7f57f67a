"""The drill's machines, all on loopback: a throwaway PostgreSQL cluster, Redis, an SMTP
server, two `pledge serve --no-worker`, two `pledge worker` and nginx as the load balancer.

Every process is started here, in a session of its own, so a fault is a signal to its whole
process group (granian's workers die with their server, as on a machine that fails), and the
drill ends only what it started.
"""

import asyncio
import contextlib
import glob
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

from pledge.tests.servers import answering, descendants, nginx_binary, nginx_conf, self_signed

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx-pledge.conf"
SITE_CONF = ROOT / "deploy" / "nginx-site.conf"
SMTP_ACCEPT_SECONDS = 0.2


TAKEN: set[int] = set()


def free_port() -> int:
    """A port below Linux's ephemeral range (32768 and up), so a server restarted on its port
    never finds it taken by an outgoing connection meanwhile; never the same one twice."""
    while True:
        port = random.randrange(20000, 32000)
        if port in TAKEN:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        TAKEN.add(port)
        return port


def binary(name: str, *candidates: str) -> str | None:
    found = [path for pattern in candidates for path in sorted(glob.glob(pattern))]
    return shutil.which(name) or (found[-1] if found else None)


def postgres_bin(name: str) -> str | None:
    return binary(name, f"/usr/lib/postgresql/*/bin/{name}")


def missing_tools() -> list[str]:
    """What this machine lacks for the drill, as Debian package names."""
    tools = {
        "postgresql": postgres_bin("postgres") and postgres_bin("initdb"),
        "redis-server": binary("redis-server"),
        "nginx": nginx_binary(),
        "openssl": binary("openssl"),
    }
    return [package for package, path in tools.items() if not path]


def wait_until(check, seconds: float, what: str) -> float:
    """Poll ``check`` until it is true; returns the seconds it took, or raises."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


def answers(url: str) -> bool:
    """True when ``url`` (an app server's health check) answers 200, asked as nginx asks."""
    request = urllib.request.Request(
        url, headers={"Host": "localhost", "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def site_conf(text: str, *, app_ports, http_port, https_port, certificate, key) -> str:
    """deploy/nginx-site.conf with the drill's loopback addresses, name and certificate; it
    refuses a file that no longer has the lines it replaces, so the drill runs what is
    written there or nothing."""
    upstreams = re.findall(r"server 10\.0\.0\.\d+:8000", text)
    if len(upstreams) != len(app_ports):
        raise RuntimeError(
            f"{SITE_CONF} names {len(upstreams)} app servers; the drill runs {len(app_ports)}"
        )
    servers = iter(app_ports)
    replacements = [
        (
            r"server 10\.0\.0\.\d+:8000",
            lambda _: f"server 127.0.0.1:{next(servers)}",
            len(app_ports),
        ),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        (r"listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;", 1),
        (r"server_name [^;]+;", "server_name localhost;", 2),
        (r"ssl_certificate [^;]+;", f"ssl_certificate {certificate};", 1),
        (r"ssl_certificate_key [^;]+;", f"ssl_certificate_key {key};", 1),
        (
            r"include /srv/pledge/deploy/nginx-pledge.conf;",
            # Which app server answered, for the drill's session check only.
            f"include {NGINX_CONF};\n    add_header X-Drill-Upstream $upstream_addr always;",
            1,
        ),
    ]
    for pattern, replacement, expected in replacements:
        text, count = re.subn(pattern, replacement, text)
        if count != expected:
            raise RuntimeError(f"{SITE_CONF} no longer has {expected} of {pattern!r}")
    return text


@dataclass
class Process:
    """One program the drill runs, restartable, killed as a process group."""

    name: str
    command: list[str]
    log: Path
    environment: dict[str, str] | None = None
    user: str | None = None
    stop_signal: int = signal.SIGTERM
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        command = self.command
        if self.user and os.geteuid() == 0:
            command = ["runuser", "-u", self.user, "--", *command]
        with open(self.log, "a") as log:
            self.popen = subprocess.Popen(
                command,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def signal_group(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, number)

    def kill(self) -> None:
        """kill -9 of the whole process group: the machine failing, not a shutdown."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def group_alive(self) -> bool:
        """Whether a process of the group still runs (a zombie does not: where PID 1 does not
        reap orphans, as in some containers, an exited postmaster stays one)."""
        self.popen.poll()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.popen.pid and fields[0] != "Z":
                    return True
        return False

    def stop(self, seconds: float = 20) -> None:
        """Its stop signal to the whole group, then SIGKILL to whatever of it is left."""
        if self.popen is None:
            return
        self.signal_group(self.stop_signal)
        give_up = time.monotonic() + seconds
        while self.group_alive() and time.monotonic() < give_up:
            time.sleep(0.1)
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class MailSink:
    """A real SMTP server on loopback that counts every message by its Message-ID."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per command otherwise
        self.lock = threading.Lock()
        self.received: list[tuple[str, str, str]] = []  # (message-id, recipient, subject)
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received.append(
                    (message.get("Message-ID", ""), recipient, message.get("Subject", ""))
                )
        # A mail server takes a moment to accept, as real ones do: a worker killed now has
        # handed the message over without learning it was accepted.
        await asyncio.sleep(SMTP_ACCEPT_SECONDS)
        return "250 OK"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# What the drill's processes take from the caller's environment; nothing else (a caller's
# SECRET_KEY_FILE or LOG_FORMAT would otherwise reach every process of the drill).
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONPATH", "TMPDIR")


@dataclass
class Cluster:
    """Everything the drill runs, in ``folder`` (PostgreSQL's data in a temporary folder)."""

    folder: Path
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    app_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    keys: str = ""
    processes: dict[str, Process] = field(default_factory=dict)
    mail: MailSink | None = None
    paused: list[int] = field(default_factory=list)
    pg_data: Path | None = None

    # --- The environment every Pledge process shares (its own PLEDGE_VAR apart) -------------

    @property
    def site_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/pledge"

    def environment(self, machine: str) -> dict[str, str]:
        (self.folder / machine).mkdir(exist_ok=True)
        return {
            **{name: os.environ[name] for name in PASSED_ON if name in os.environ},
            "DJANGO_SETTINGS_MODULE": "pledge.settings",
            "PLEDGE_ENV": "production",
            "PLEDGE_VAR": str(self.folder / machine),
            "SECRET_KEY": "drill-" + "s3cret-" * 8,
            "PLEDGE_KEYS": self.keys,
            "ALLOWED_HOSTS": "localhost",
            "PLEDGE_SITE_URL": self.site_url,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{self.mail.port}",
            "PLEDGE_PROXY_COUNT": "1",
            "PLEDGE_BEACON_RATE_LIMIT": os.environ.get("DRILL_BEACON_LIMIT", "240"),
            # Above the SMTP timeout (20 s): a live worker still sending is never overtaken.
            "PLEDGE_MAIL_STUCK_SECONDS": "45",
            # The uploads' shared volume: a CV received by one app server, read by any.
            "PLEDGE_UPLOADS": str(self.folder / "uploads"),
            "PLEDGE_AUDIT_CHECKPOINTS": str(self.folder / machine / "audit-checkpoints"),
        }

    def pledge(self, *args: str, machine: str = "admin", timeout: float = 600) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "pledge", *args],
            env=self.environment(machine),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pledge {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def add(self, name: str, command: list[str], **options) -> Process:
        process = Process(name, command, self.folder / f"{name}.log", **options)
        self.processes[name] = process
        process.start()
        return process

    # --- PostgreSQL: a cluster of the drill's own, so pausing it touches no one else ----------

    def postgres_start(self) -> None:
        user = "postgres" if os.geteuid() == 0 else None
        # Outside the checkout, which the postgres user may not be allowed to reach.
        self.pg_data = Path(tempfile.mkdtemp(prefix="pledge-drill-pg-"))
        if user:
            shutil.chown(self.pg_data, user)
        command = [postgres_bin("initdb"), "-D", str(self.pg_data), "-U", "postgres"]
        command += ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
        if user:
            command = ["runuser", "-u", user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
        server = [postgres_bin("postgres"), "-D", str(self.pg_data), "-p", str(self.pg_port)]
        server += ["-k", str(self.pg_data), "-c", "listen_addresses=127.0.0.1"]
        server += ["-c", "max_connections=200"]
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for sessions to end.
        self.add("postgres", server, user=user, stop_signal=signal.SIGINT)
        createdb = [postgres_bin("createdb") or "createdb", "-h", "127.0.0.1"]
        createdb += ["-p", str(self.pg_port), "-U", "postgres", "pledge"]
        # An open port may still answer "the database system is starting up".
        wait_until(
            lambda: subprocess.run(createdb, capture_output=True, timeout=30).returncode == 0,
            60,
            "PostgreSQL",
        )

    def postmaster(self) -> int:
        launcher = self.processes["postgres"].pid  # runuser when run as root
        children = descendants(launcher)
        return children[0] if self.processes["postgres"].user and children else launcher

    def postgres_pause(self) -> None:
        """SIGSTOP the postmaster (no new connection), then every backend: PostgreSQL stands
        still holding its connections, as a database host that stops answering does."""
        postmaster = self.postmaster()
        os.kill(postmaster, signal.SIGSTOP)
        self.paused = [postmaster]
        for pid in descendants(postmaster):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                self.paused.append(pid)

    def postgres_resume(self) -> None:
        for pid in reversed(self.paused):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.paused = []

    # --- Redis: persistent counters (append-only file), restartable ------------------------

    def redis_start(self) -> None:
        folder = self.folder / "redis"
        folder.mkdir(exist_ok=True)
        if "redis" not in self.processes:
            command = [binary("redis-server"), "--port", str(self.redis_port)]
            command += ["--bind", "127.0.0.1", "--dir", str(folder), "--save", ""]
            command += ["--appendonly", "yes", "--appendfsync", "everysec"]
            self.processes["redis"] = Process("redis", command, self.folder / "redis.log")
        self.processes["redis"].start()
        wait_until(lambda: port_open(self.redis_port), 30, "Redis")

    # --- Pledge -------------------------------------------------------------------------------

    def app_start(self, index: int) -> None:
        name = f"app{index + 1}"
        if name not in self.processes:
            command = [sys.executable, "-m", "pledge", "serve", "--no-worker"]
            command += ["--host", "127.0.0.1", "--port", str(self.app_ports[index])]
            self.processes[name] = Process(
                name, command, self.folder / f"{name}.log", environment=self.environment(name)
            )
        process = self.processes[name]
        process.start()
        url = f"http://127.0.0.1:{self.app_ports[index]}/healthz"
        answering(url, process.popen, process.log, seconds=120)

    def worker_start(self, index: int) -> None:
        name = f"worker{index + 1}"
        if name not in self.processes:
            # A known worker id, so the drill can kill this worker while it runs a task.
            command = [sys.executable, "-m", "pledge", "worker", "--worker-id", f"drill-{name}"]
            self.processes[name] = Process(
                name, command, self.folder / f"{name}.log", environment=self.environment(name)
            )
        self.processes[name].start()

    def nginx_start(self) -> None:
        folder = self.folder / "nginx"
        folder.mkdir(exist_ok=True)
        certificate, key = self_signed(folder)
        site = site_conf(
            SITE_CONF.read_text(),
            app_ports=self.app_ports,
            http_port=free_port(),
            https_port=self.https_port,
            certificate=certificate,
            key=key,
        )
        configuration = nginx_conf(folder, site, workers=2)
        command = [nginx_binary(), "-c", str(configuration), "-p", str(folder)]
        self.add("nginx", [*command, "-g", "daemon off;"])
        wait_until(lambda: port_open(self.https_port), 30, "nginx")

    def start(self, log=print) -> None:
        from pledge.vault.keys import new_entry

        self.folder.mkdir(parents=True, exist_ok=True)
        self.keys = new_entry("drill1")
        self.mail = MailSink()
        self.mail.start()
        log("PostgreSQL: a throwaway cluster (initdb) on port", self.pg_port)
        self.postgres_start()
        log("Redis on port", self.redis_port, "(append-only file)")
        self.redis_start()
        log("Migrating the database")
        self.pledge("migrate", "--noinput", "-v0")
        for index in range(len(self.app_ports)):
            log(f"App server {index + 1}: pledge serve --no-worker on", self.app_ports[index])
            self.app_start(index)
        for index in range(2):
            self.worker_start(index)
        log("Two pledge worker processes; nginx (TLS, round robin) on", self.https_port)
        self.nginx_start()

    def stop(self) -> None:
        """Every process the drill started, PostgreSQL resumed first if it was paused."""
        self.postgres_resume()
        for name in ["nginx", "app1", "app2", "worker1", "worker2", "redis", "postgres"]:
            process = self.processes.get(name)
            if process is not None:
                try:
                    process.stop()
                except (OSError, subprocess.SubprocessError) as error:
                    print(f"[drill] {name} did not stop: {error}", file=sys.stderr)
        if self.mail is not None:
            self.mail.stop()
        if self.pg_data is not None:
            shutil.rmtree(self.pg_data, ignore_errors=True)

    def still_running(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.group_alive()]
