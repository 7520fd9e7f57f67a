"""Request bodies: capped before they are read (SECURITY.md I7), and slow ones cannot stop the
site (R1's spirit: the pages keep answering under a slow-body flood).

The first tests call the body guard of pledge/bodies.py directly. The others start the real
server, ``pledge serve`` (granian, two workers of five threads) on a free loopback port, and,
when nginx is installed, nginx in front of it with deploy/nginx-pledge.conf: the production
layout. Each opens at most a few dozen loopback connections, waits a bounded time, and stops
only the processes it started, by PID.
"""

import contextlib
import io
import re
import select
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory

from pledge import bodies
from pledge.console.views.imports import MAX_UPLOAD as CONSOLE_UPLOAD_MAX
from pledge.tests.servers import (
    answering,
    free_port,
    nginx_binary,
    nginx_conf,
    pledge_served,
    stop,
)

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx-pledge.conf"
WORKERS, THREADS = 2, 5
SLOW_CONNECTIONS = 40
CV_FORM = "/en/careers/apply/"


class CountingInput:
    """A request body that never ends, counting what is read from it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        size = 64 * 1024 if size is None or size < 0 else size
        self.read_bytes += size
        return b"x" * size


def environ_for(path: str, length: int, stream) -> dict:
    environ = RequestFactory().post(path, content_type="application/octet-stream").environ
    environ.update({"CONTENT_LENGTH": str(length), "wsgi.input": stream})
    return environ


def guarded(environ):
    """Call the guard in front of an application that keeps what reaches it."""
    reached, answer = {}, {}

    def application(environ, start_response):
        reached["body"] = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"ok"]

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    answer["body"] = b"".join(bodies.BodyGuard(application)(environ, start_response))
    return answer, reached


@pytest.fixture
def fresh_permits():
    bodies.reading_permits_reset()
    yield
    bodies.reading_permits_reset()


def test_the_caps_are_the_largest_legitimate_bodies():
    """The public cap is the CV's declared size plus the form; the console's, its CSV import."""
    form_data = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert bodies.declared_file_max() == 5 * 1024 * 1024  # sites/gonex: the CV
    assert bodies.body_cap(CV_FORM) == 5 * 1024 * 1024 + form_data
    assert bodies.body_cap("/careers/apply/") == bodies.body_cap(CV_FORM)
    assert bodies.body_cap("/console/import/") == CONSOLE_UPLOAD_MAX + form_data
    assert bodies.body_cap("/en/console/import/") == CONSOLE_UPLOAD_MAX + form_data
    # Any other console page, the login first, takes no more than a public form.
    assert bodies.body_cap("/en/console/login/") == bodies.body_cap(CV_FORM)
    assert bodies.body_cap("/beacon") == 4096
    # Whatever passes the cap stays in memory: no upload is spooled to a plaintext file.
    assert CONSOLE_UPLOAD_MAX + form_data <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.usefixtures("fresh_permits")
def test_a_body_over_the_cap_is_refused_before_a_byte_is_read_i7():
    stream = CountingInput()
    answer, reached = guarded(environ_for(CV_FORM, 300 * 1024 * 1024, stream))
    assert answer["status"] == "413 Content Too Large"
    assert answer["body"] == b"This request is too large."
    assert answer["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    assert stream.read_bytes == 0 and not reached


@pytest.mark.usefixtures("fresh_permits")
def test_the_refusal_speaks_the_language_of_the_address():
    answer, _reached = guarded(environ_for("/careers/apply/", 300 * 1024 * 1024, CountingInput()))
    assert answer["body"].decode() == "请求过大。"


@pytest.mark.usefixtures("fresh_permits")
def test_a_body_within_the_cap_is_read_once_and_handed_on():
    cap = bodies.body_cap(CV_FORM)
    answer, reached = guarded(environ_for(CV_FORM, cap, io.BytesIO(b"a" * cap)))
    assert answer["status"] == "200 OK"
    assert reached["body"] == b"a" * cap


@pytest.mark.usefixtures("fresh_permits")
def test_a_length_that_is_not_a_number_is_refused():
    answer, reached = guarded(environ_for(CV_FORM, 10, io.BytesIO(b"")) | {"CONTENT_LENGTH": "x"})
    assert answer["status"] == "400 Bad Request" and not reached


@pytest.mark.usefixtures("fresh_permits")
def test_a_chunked_body_is_refused_unread_i7():
    """No length to cap or to read by: refused before the application, which would read 0."""
    stream = CountingInput()
    environ = environ_for(CV_FORM, 0, stream) | {"HTTP_TRANSFER_ENCODING": "chunked"}
    environ.pop("CONTENT_LENGTH", None)
    answer, reached = guarded(environ)
    assert answer["status"] == "411 Length Required" and not reached
    assert stream.read_bytes == 0


def permits_all_taken(permits) -> int:
    count = 0
    while permits.free.acquire(blocking=False):
        count += 1
    return count


@pytest.mark.usefixtures("fresh_permits")
def test_when_slow_bodies_hold_every_permit_bodies_are_turned_away_and_pages_served(settings):
    settings.PLEDGE_WEB_THREADS = THREADS
    permits = bodies.reading_permits()
    held = permits_all_taken(permits)  # as if that many slow bodies were being read
    assert held == THREADS - bodies.THREADS_RESERVED
    permits.given_back -= 1  # and none given back for a second
    stream = CountingInput()
    started = time.monotonic()
    answer, reached = guarded(environ_for("/en/contact/", 100, stream))
    assert time.monotonic() - started < bodies.PERMIT_WAIT_SECONDS  # no wait: they are stuck
    assert answer["status"] == "503 Service Unavailable"
    assert answer["headers"]["Retry-After"] == str(bodies.RETRY_SECONDS)
    assert answer["body"] == b"The site is busy. Please try again in a minute."
    assert stream.read_bytes == 0 and not reached
    assert guarded(RequestFactory().get("/en/").environ)[0]["status"] == "200 OK"


@pytest.mark.usefixtures("fresh_permits")
def test_a_body_waits_for_a_permit_that_is_being_given_back(settings):
    """Under load every permit may be out for a few milliseconds: a body waits for one."""
    settings.PLEDGE_WEB_THREADS = THREADS
    permits = bodies.reading_permits()
    permits_all_taken(permits)
    permits.given_back = time.monotonic()  # one was given back a moment ago
    threading.Timer(bodies.PERMIT_WAIT_SECONDS / 4, permits.give_back).start()
    answer, reached = guarded(environ_for("/en/contact/", 2, io.BytesIO(b"ok")))
    assert answer["status"] == "200 OK" and reached["body"] == b"ok"


def test_the_nginx_caps_are_pledges_caps():
    """deploy/nginx-pledge.conf refuses exactly what Pledge refuses, and buffers up to it."""
    conf = NGINX_CONF.read_text()
    public, console = conf.split("location ~ ^/(en/)?console/import/$")
    megabyte = 1024 * 1024
    for part, path in ((public, CV_FORM), (console, "/console/import/")):
        sizes = re.findall(r"^\s*client_(?:max_body|body_buffer)_size (\d+)m;", part, re.M)
        assert sizes and {int(size) * megabyte for size in sizes} == {bodies.body_cap(path)}


# --- The real server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``pledge serve`` as production runs it, on SQLite in a folder of its own."""
    folder = tmp_path_factory.mktemp("serve")
    (folder / "tmp").mkdir()
    with pledge_served(
        folder,
        PLEDGE_WEB_WORKERS=str(WORKERS),
        PLEDGE_WEB_THREADS=str(THREADS),
        PLEDGE_PROXY_COUNT="1",  # nginx, when the test puts it in front
        TMPDIR=str(folder / "tmp"),  # where Django would spool an upload
    ) as served:
        url = f"http://127.0.0.1:{served.port}/en/"
        answering(url, served.process, served.log)  # templates loaded
        yield {"port": served.port, "tmp": folder / "tmp", "log": served.log}


def slow_bodies(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that each promise a 4000-byte beacon body and send six bytes."""
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(
            b"POST /beacon HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 4000\r\n\r\nk=view"
        )
        connections.append(connection)
    time.sleep(1)  # every request dispatched to a thread before the page is asked for
    return connections


def closed_by_the_server(connections: list[socket.socket], seconds: float) -> dict:
    """What each connection received until the server closed it, for those it closed in time."""
    received = {connection: b"" for connection in connections}
    closed = {}
    give_up = time.monotonic() + seconds
    while len(closed) < len(connections) and (left := give_up - time.monotonic()) > 0:
        waiting = [connection for connection in connections if connection not in closed]
        readable, _, _ = select.select(waiting, [], [], left)
        for connection in readable:
            try:
                data = connection.recv(65536)
            except OSError:
                data = b""
            received[connection] += data
            if not data:
                closed[connection] = received[connection]
    return closed


def page_answered_in(port: int) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/", timeout=10) as response:
        response.read()
        return response.status, time.monotonic() - started


def test_slow_bodies_leave_the_pages_answering(server):
    """Finding 2: 40 connections trickling beacon bodies stopped every thread of both workers.
    Now only three threads a worker wait on bodies; the pages keep answering, and the server
    answers the other slow connections 503 and closes them at once."""
    connections = slow_bodies(server["port"], SLOW_CONNECTIONS)
    try:
        status, seconds = page_answered_in(server["port"])
        assert status == 200 and seconds < 3, server["log"].read_text()
        held = WORKERS * (THREADS - bodies.THREADS_RESERVED)
        closed = closed_by_the_server(connections, seconds=3)
        assert len(closed) >= SLOW_CONNECTIONS - held
        assert all(answer.startswith(b"HTTP/1.1 503") for answer in closed.values())
    finally:
        for connection in connections:
            connection.close()


def test_an_upload_over_the_cap_is_refused_before_it_reaches_the_disk_i7(server):
    """A 300 MB CV is answered 413 as soon as its headers arrive: no byte of it is read, and
    nothing is spooled to the server's temporary folder (Django's would be there)."""
    boundary = "pledgeboundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=10) as connection:
        connection.sendall(
            f"POST {CV_FORM} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {300 * 1024 * 1024}\r\n"
            f"Cookie: csrftoken={'a' * 32}\r\n\r\n".encode()
            + head
        )
        chunk = b"\0" * (64 * 1024)
        with contextlib.suppress(OSError):  # the server may close while we still send
            for _ in range(128):  # 8 MB of it, past Django's memory for uploads
                connection.sendall(chunk)
        assert list(server["tmp"].iterdir()) == []
        connection.settimeout(5)
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.fixture
def nginx(server, tmp_path):
    """nginx in front of the server with deploy/nginx-pledge.conf, as README's Production says."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("needs nginx for the production layout (apt install nginx)")
    port = free_port()
    nginx_conf(
        tmp_path,
        f"upstream pledge {{ server 127.0.0.1:{server['port']}; }}\n"
        f"server {{ listen 127.0.0.1:{port}; include {NGINX_CONF}; }}",
    )
    process = subprocess.Popen(
        [binary, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    try:
        answering(f"http://127.0.0.1:{port}/healthz", process, tmp_path / "error.log")
        yield port
    finally:
        stop(process)


def test_behind_nginx_slow_bodies_are_cut_off_at_the_deadline(nginx):
    """The production layout: nginx holds the 40 slow bodies, the pages answer at once, and
    every slow connection is closed when client_body_timeout passes."""
    timeout = int(re.search(r"client_body_timeout (\d+)s;", NGINX_CONF.read_text()).group(1))
    connections = slow_bodies(nginx, SLOW_CONNECTIONS)
    try:
        status, seconds = page_answered_in(nginx)
        assert status == 200 and seconds < 3
        closed = closed_by_the_server(connections, seconds=timeout + 3)
        assert len(closed) == SLOW_CONNECTIONS
    finally:
        for connection in connections:
            connection.close()
