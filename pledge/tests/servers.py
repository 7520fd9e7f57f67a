"""Real servers for tests on loopback: a free port, waiting until one answers, stopping it.

``pledge serve`` (and nginx) run as child processes; each test ends only the processes it
started, by their PIDs.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """The process's children, grandchildren ... read from /proc (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in map(int, children):
            found.extend([child, *descendants(child)])
    return found


def answering(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Wait until ``url`` answers; fail with the server's log if it dies or takes too long."""
    give_up = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError(f"{url} never answered:\n{log.read_text()}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    """Stop a server the test started: politely, then by PID, its children included."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        for pid in [*descendants(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=5)


def nginx_binary() -> str | None:
    """Debian's nginx, where it is installed (root's PATH has /usr/sbin, others' may not)."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and its key, made with openssl, valid for two days."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    subprocess.run(
        ["openssl", *request, "-subj", "/CN=localhost", "-keyout", key, "-out", certificate],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


def nginx_conf(folder: Path, http: str, *, workers: int = 1) -> Path:
    """An nginx.conf that keeps everything (pid, logs, temporary files) in ``folder``, with
    ``http`` as its http block's body; nginx.conf's path is returned."""
    user = "user root;" if os.geteuid() == 0 else ""
    path = folder / "nginx.conf"
    temporary = "\n".join(
        f"  {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    path.write_text(
        f"""{user}
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
{temporary}
{http}
}}
"""
    )
    return path


@dataclass(frozen=True)
class Served:
    port: int
    environment: dict[str, str]
    log: Path
    process: subprocess.Popen


def pledge_environment(folder: Path, **settings: str) -> dict[str, str]:
    """The caller's environment without Pledge's settings, with a database and PLEDGE_VAR of
    ``folder``'s own, and ``settings`` on top."""
    inherited = ("PLEDGE_", "DATABASE_URL", "REDIS_URL", "PROMETHEUS_", "LOG_")
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith(inherited)},
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(folder / "var"),
        "DATABASE_URL": f"sqlite:///{folder / 'pledge.sqlite3'}",
        **settings,
    }


@contextlib.contextmanager
def pledge_served(folder: Path, **settings: str) -> Iterator[Served]:
    """``pledge serve --no-worker`` on a free port, migrated, on SQLite in ``folder``, until the
    block ends; its output in ``folder``/server.log."""
    environment = pledge_environment(folder, **settings)
    subprocess.run(
        [sys.executable, "-m", "pledge", "migrate", "--noinput", "-v0"],
        env=environment,
        check=True,
        timeout=300,
        capture_output=True,
    )
    port, log_path = free_port(), folder / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pledge", "serve", "--no-worker", "--port", str(port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            answering(f"http://127.0.0.1:{port}/healthz", process, log_path)
            yield Served(port, environment, log_path, process)
        finally:
            stop(process)
