"""Browser tests: the real server (``pledge serve``) on a free loopback port, driven by Chromium.

Each session gets its own var/ directory and database (a SQLite file, or a fresh PostgreSQL
database when the suite runs on PostgreSQL), so the browser sees exactly what a newcomer's
`make run` serves. Chromium is Debian's (/usr/bin/chromium); nothing downloads a browser.
"""

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from pledge.tests.servers import answering, free_port, stop

CHROMIUM = os.environ.get("PLEDGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


BROWSER_TEST_SECONDS = 120  # the test body, bounded by pytest-timeout
OPEN_SECONDS = 30  # opening or closing a context, in the fixtures (bounded below)
STALLED = [r"Timeout \(>[0-9.]+s\) from pytest-timeout", "BrowserStalled"]


def pytest_collection_modifyitems(config, items):
    """This hook sees the whole session's items: mark only the browser tests found here."""
    here = Path(__file__).parent
    missing = not Path(CHROMIUM).exists()
    skip = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt install chromium)")
    for item in items:
        if here not in item.path.parents:
            continue
        # Some Playwright calls (opening or closing a context or page) have no timeout of
        # their own; if Chromium never answers one, the test fails after this long with its
        # stack, and runs once more (the timeout interrupts the call, not the browser). Only a
        # timeout is retried: a failed assertion fails at once.
        item.add_marker(pytest.mark.timeout(BROWSER_TEST_SECONDS, func_only=True))
        item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=STALLED))
        if missing:
            item.add_marker(skip)


class Server:
    """A running ``pledge serve`` and the environment it was started with."""

    def __init__(self, environment: dict[str, str], port: int):
        self.environment = environment
        self.url = f"http://127.0.0.1:{port}"
        self.host = f"127.0.0.1:{port}"

    def pledge(self, *args: str) -> str:
        """Run a ``pledge`` command against the server's database; returns its output."""
        result = subprocess.run(
            [sys.executable, "-m", "pledge", *args],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout


def database_for(tmp_path: Path) -> tuple[str, callable]:
    """A database URL for the server, and how to drop it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'e2e.sqlite3'}", lambda: None
    import psycopg

    name = f"pledge_e2e_{os.getpid()}"
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


class Inbox:
    """A real SMTP server on loopback that the server under test sends its mail to."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        message.recipients = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def wait_for(self, recipient: str, subject: str = "", timeout: float = 20):
        """The first message to ``recipient`` (whose subject starts with ``subject``), waiting
        for the worker to deliver it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if recipient in message.recipients and str(message["Subject"]).startswith(subject):
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no mail {subject!r} reached {recipient} within {timeout} s")


@pytest.fixture(scope="session")
def inbox():
    from aiosmtpd.controller import Controller

    handler = Inbox()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory, inbox):
    tmp_path = tmp_path_factory.mktemp("server")
    database_url, drop_database = database_for(tmp_path)
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{inbox.port}",
        "PLEDGE_SITE_URL": f"http://127.0.0.1:{port}",
        # Every browser of the session posts from 127.0.0.1: the per-address limit (20 an hour
        # by default, tested in pledge/intake/tests) would end the session's forms half-way.
        "PLEDGE_FORM_LIMIT_PER_IP": "1000",
        "PYTHONUNBUFFERED": "1",
    }
    running = Server(environment, port)
    running.pledge("migrate", "--noinput")
    # The demo site: the staff administrator (its password kept for the tests) and policy v1.
    output = running.pledge("demo")
    running.admin_password = output.split("Password:")[1].split()[0]
    running.passwords = {"admin": running.admin_password} | {
        line.split(":")[1].split("/")[0].strip(): line.split("/")[1].split()[0]
        for line in output.splitlines()
        if line.strip().startswith(("Sales expert:", "Privacy officer:", "Marketing:"))
    }
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen(
        [sys.executable, "-m", "pledge", "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        answering(f"{running.url}/healthz", process, tmp_path / "server.log", 30)
        yield running
    finally:
        stop(process)
        log.close()
        drop_database()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        try:
            with bounded(OPEN_SECONDS, "closing the browser"):
                chromium.close()
        except BrowserStalled as stalled:  # stopping Playwright's driver ends it
            print(f"e2e: {stalled}", file=sys.stderr)


class BrowserStalled(Exception):
    """A browser call that has no timeout of its own did not return in time."""


@contextmanager
def bounded(seconds: float, what: str):
    """Interrupt a call that does not return within ``seconds`` (main thread only).

    Opening and closing a context or page have no timeout in Playwright; fixtures and the tests
    that open pages use this around them. pytest-timeout's alarm for the test body is the same
    SIGALRM: it is paused here and re-armed with what was left of it, and a test body that has
    less time left than ``seconds`` ends when it would have.
    """

    def expire(signum, frame):
        raise BrowserStalled(f"{what} did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    left, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    if left:
        signal.setitimer(signal.ITIMER_REAL, min(seconds, left))
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if left:
            signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - started), 0.001))


def page_in_fresh_context(browser, **options):
    with bounded(OPEN_SECONDS, "opening a browser context"):
        context = browser.new_context(**options)
        return context, context.new_page()


def context_close(context) -> None:
    """Close a context after its test; one that will not close is left to the browser's own
    close at the end (the test's assertions have already been made)."""
    try:
        with bounded(OPEN_SECONDS, "closing a browser context"):
            context.close()
    except BrowserStalled as stalled:
        print(f"e2e: {stalled}; left open", file=sys.stderr)


@pytest.fixture
def page(browser):
    """A page in a fresh browser profile (no cookies), JavaScript on."""
    context, page = page_in_fresh_context(browser)
    yield page
    context_close(context)


@pytest.fixture
def context_of(browser):
    """More pages, each in its own fresh browser profile (a second person at the same time);
    keyword arguments are Playwright's context options (headers, JavaScript)."""
    contexts = []

    def new_page(**options):
        context, page = page_in_fresh_context(browser, **options)
        contexts.append(context)
        return page

    yield new_page
    for context in contexts:
        context_close(context)


@pytest.fixture
def page_without_javascript(browser):
    context, page = page_in_fresh_context(browser, java_script_enabled=False)
    yield page
    context_close(context)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


@pytest.fixture
def screenshot():
    """Save what the page shows, whole, as ``var/screenshots/<name>.png`` (``make test`` prints
    the folder): the dashboard, the booking grid, the lead card and the home page, at desktop
    width and at 390 px, for a person to look at."""

    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def requested_hosts(page):
    """Every host the page asks anything of, to prove nothing leaves the site (P21)."""
    hosts = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    return hosts


def totp_code(secret_base32: str, step: int) -> str:
    from base64 import b32decode

    from django_otp.oath import hotp

    key = b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    return f"{hotp(key, step):06d}"


@pytest.fixture(scope="session")
def staff_login(server):
    """Log a demo staff account in through the real pages, past the second factor.

    The first login of an account enrols its authenticator (keeping the key); later ones enter
    a fresh code: codes are single-use, so each login takes a time step no earlier one used.
    """
    secrets_by_user: dict[str, str] = {}
    last_step: dict[str, int] = {}

    def login(page, language_prefix="/en", username="admin"):
        page.goto(f"{server.url}{language_prefix}/console/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(server.passwords[username])
        page.locator("form.form button[type=submit]").click()
        if username not in secrets_by_user:
            page.wait_for_url("**/console/login/enrol/**")
            key = page.locator("code.secret").inner_text()  # in blocks of four
            secrets_by_user[username] = key.replace(" ", "")
            step = int(time.time()) // 30
            page.locator("#id_otp_token").fill(totp_code(secrets_by_user[username], step))
            page.locator("form.form button[type=submit]").click()
            page.locator("ul.codes").wait_for()
            page.locator("a.button").click()
        else:
            page.wait_for_url("**/console/login/verify/**")
            step = max(int(time.time()) // 30, last_step[username] + 1)
            while step > int(time.time()) // 30 + 1:  # beyond the accepted window: wait
                time.sleep(1)
            page.locator("#id_otp_token").fill(totp_code(secrets_by_user[username], step))
            page.locator("form.form button[type=submit]").click()
        last_step[username] = step
        page.wait_for_url(f"{server.url}{language_prefix}/console/")

    return login


@pytest.fixture
def demo_requested(server, inbox):
    """Ask for a demo in English as a visitor would, online, at the times given; the private
    booking link from the invitation email."""

    def ask(page, *, name: str, email: str, company: str, times: str) -> str:
        page.goto(server.url + "/en/demo/")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_label("Company", exact=True).fill(company)
        page.get_by_label("Online").check()
        page.get_by_label(re.compile(times)).check()
        page.locator(".human-sum").wait_for(state="hidden", timeout=30_000)
        page.get_by_role("button", name="Send").click()
        page.get_by_role("heading", name="Thank you").wait_for()
        invitation = inbox.wait_for(email, subject="Choose a time")
        body = invitation.get_body(("plain",)).get_content()
        return re.search(r"http://\S+/demo/booking/\S+/", body).group(0)

    return ask
