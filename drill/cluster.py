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
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx-pledge.conf"
SITE_CONF = ROOT / "deploy" / "nginx-site.conf"
SMTP_ACCEPT_SECONDS = 0.2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        "nginx": binary("nginx", "/usr/sbin/nginx"),
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
    servers = iter(app_ports)
    replacements = [
        (r"server 10\.0\.0\.\d+:8000", lambda _: f"server 127.0.0.1:{next(servers)}", 2),
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

    def stop(self, seconds: float = 20) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.kill()

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


@dataclass
class Cluster:
    """Everything the drill runs, in ``folder``."""

    folder: Path
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    app_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    keys: str = ""
    processes: dict[str, Process] = field(default_factory=dict)
    mail: MailSink | None = None

    # --- The environment every Pledge process shares (its own PLEDGE_VAR apart) -------------

    @property
    def site_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/pledge"

    def environment(self, machine: str, **extra: str) -> dict[str, str]:
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PLEDGE_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"))
        }
        (self.folder / machine).mkdir(exist_ok=True)
        return {
            **base,
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
            "PLEDGE_MAIL_STUCK_SECONDS": "20",
            # The uploads' shared volume: a CV received by one app server, read by any.
            "PLEDGE_UPLOADS": str(self.folder / "uploads"),
            "PLEDGE_AUDIT_CHECKPOINTS": str(self.folder / machine / "audit-checkpoints"),
            **extra,
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
        data = self.folder / "pg"
        user = "postgres" if os.geteuid() == 0 else None
        if not data.exists():
            data.mkdir()
            if user:
                shutil.chown(data, user)
            command = [postgres_bin("initdb"), "-D", str(data), "-U", "postgres"]
            command += ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
            if user:
                command = ["runuser", "-u", user, "--", *command]
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        self.add(
            "postgres",
            [
                postgres_bin("postgres"),
                "-D",
                str(data),
                "-p",
                str(self.pg_port),
                "-k",
                str(data),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ],
            user=user,
        )
        wait_until(lambda: port_open(self.pg_port), 60, "PostgreSQL")
        subprocess.run(
            [
                postgres_bin("createdb") or "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "pledge",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def postgres_pause(self) -> list[int]:
        """SIGSTOP the postmaster, then every backend: PostgreSQL stands still, holding its
        connections, as a database host that stops answering for a moment does."""
        postmaster = self.processes["postgres"].pid
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True
        ).stdout.split()
        # runuser is the group leader; postgres is its child.
        pids = [int(pid) for pid in children] or [postmaster]
        backends = []
        for pid in pids:
            backends += subprocess.run(
                ["pgrep", "-P", str(pid)], capture_output=True, text=True
            ).stdout.split()
        stopped = pids + [int(pid) for pid in backends]
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        return stopped

    @staticmethod
    def postgres_resume(stopped: list[int]) -> None:
        for pid in reversed(stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    # --- Redis: persistent counters (append-only file), restartable ------------------------

    def redis_start(self) -> None:
        folder = self.folder / "redis"
        folder.mkdir(exist_ok=True)
        process = self.processes.get("redis") or Process(
            "redis",
            [
                binary("redis-server"),
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ],
            self.folder / "redis.log",
        )
        self.processes["redis"] = process
        process.start()
        wait_until(lambda: port_open(self.redis_port), 30, "Redis")

    # --- Pledge -------------------------------------------------------------------------------

    def app_start(self, index: int) -> float:
        name = f"app{index + 1}"
        process = self.processes.get(name)
        if process is None:
            process = Process(
                name,
                [
                    sys.executable,
                    "-m",
                    "pledge",
                    "serve",
                    "--no-worker",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.app_ports[index]),
                ],
                self.folder / f"{name}.log",
                environment=self.environment(name),
            )
            self.processes[name] = process
        started = time.monotonic()
        process.start()
        url = f"http://127.0.0.1:{self.app_ports[index]}/healthz"
        wait_until(lambda: answers(url), 120, name)
        return time.monotonic() - started

    def worker_start(self, index: int) -> None:
        name = f"worker{index + 1}"
        process = self.processes.get(name)
        if process is None:
            process = Process(
                name,
                [sys.executable, "-m", "pledge", "worker"],
                self.folder / f"{name}.log",
                environment=self.environment(name),
            )
            self.processes[name] = process
        process.start()

    def nginx_start(self) -> None:
        folder = self.folder / "nginx"
        folder.mkdir(exist_ok=True)
        certificate, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-keyout",
                str(key),
                "-out",
                str(certificate),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        site = site_conf(
            SITE_CONF.read_text(),
            app_ports=self.app_ports,
            http_port=free_port(),
            https_port=self.https_port,
            certificate=certificate,
            key=key,
        )
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"""{user}
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
{site}
}}
"""
        )
        self.add(
            "nginx",
            [
                binary("nginx", "/usr/sbin/nginx"),
                "-c",
                str(folder / "nginx.conf"),
                "-p",
                str(folder),
                "-g",
                "daemon off;",
            ],
        )
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
        order = ["nginx", "app1", "app2", "worker1", "worker2", "redis", "postgres"]
        for name in order:
            process = self.processes.get(name)
            if process is not None:
                process.stop()
        if self.mail is not None:
            self.mail.stop()
