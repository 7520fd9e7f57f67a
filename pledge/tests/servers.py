"""Real servers for tests on loopback: a free port, waiting until one answers, stopping it.

``pledge serve`` (and nginx) run as child processes; each test ends only the processes it
started, by their PIDs.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
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
