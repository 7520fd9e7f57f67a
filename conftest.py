"""Suite-wide switches: tests marked ``postgres`` or ``redis`` run only where one is reachable."""

import os
import socket
from email import message_from_bytes
from email.policy import default
from uuid import uuid4

import pytest
from django.conf import settings

# site_copy and use_site: an editable copy of sites/gonex (pledge/inventory/testing.py);
# --clock: the tests marked clock at frozen instants around local midnight (pledge/tests/clock.py).
pytest_plugins = ["pledge.inventory.testing", "pledge.tests.clock", "pytester"]


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    redis_url = os.environ.get("TEST_REDIS_URL")
    skip_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    skip_redis = pytest.mark.skip(reason="needs Redis: set TEST_REDIS_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_postgres)
        if "redis" in item.keywords and not redis_url:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def site_language():
    """Every test starts in the site's language: a request to an /en/ page leaves English
    active in the thread that served it (LocaleMiddleware activates, nothing deactivates)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def policy_versions_forgotten():
    """Published versions are read once per process (``people.versions``); a test's own are
    rolled back with it, and the next test's may reuse their number, primary key and, under a
    frozen clock, their time: each test reads its own."""
    from pledge.people.versions import versions_cache_clear

    versions_cache_clear()
    yield


@pytest.fixture
def english():
    """Services answer in the active language (zh-Hans by default); tests that read their
    English messages ask for this with ``pytest.mark.usefixtures("english")``."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def local_new_year(time_machine):
    """The clock frozen at 00:00:01 on 1 January 2027 in Shanghai, while UTC still reads
    16:00:01 on 31 December 2026: a date taken from UTC shows a day (and a year) early.
    Tests of the dates a person reads ask for this instant."""
    from pledge.tests.clock import INSTANTS

    time_machine.move_to(INSTANTS["new-year"], tick=False)
    return INSTANTS["new-year"]


@pytest.fixture
def redis_url():
    return os.environ["TEST_REDIS_URL"]


@pytest.fixture(autouse=True)
def tasks_run_immediately(settings):
    """Tasks run as soon as they are enqueued (after commit); the worker has its own tests."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def audit_checkpoints_apart(settings, tmp_path_factory):
    """Audit checkpoints go to a file of the test's own under pytest's temporary directory,
    never var/: a checkpoint of one test's chain would not match the next test's."""
    settings.PLEDGE_AUDIT_CHECKPOINTS = tmp_path_factory.getbasetemp() / f"audit-{uuid4().hex}"


@pytest.fixture(autouse=True)
def uploads_apart(settings, tmp_path_factory):
    """Uploaded files go to a folder of the test's own, never var/uploads: a file one test
    encrypted under its key ring would be one another test's key rotation cannot read."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / f"uploads-{uuid4().hex}"


@pytest.fixture(autouse=True)
def ingest_in_the_test_transaction():
    """Page views and request-log rows are written at once, in the test's transaction.

    The web server's group-commit writer (its own thread and connection) has its own tests,
    which ask for the ``group_commit`` fixture.
    """
    from pledge.tracking import declarations, events, ingest, ratelimit

    declarations.declarations_cache_clear()
    ingest.ingest_writer_replace(ingest.InlineWriter(ingest.DatabaseSink()))
    ratelimit.beacon_limiter_reset()
    events.salts_cache_clear()
    yield
    ingest.ingest_writer_replace(None)
    ratelimit.beacon_limiter_reset()
    events.salts_cache_clear()


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives: each message
    parsed, and its raw bytes (what a DKIM check reads)."""

    def __init__(self):
        self.messages = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=default)
        parsed.recipients = list(envelope.rcpt_tos)
        self.raw.append(raw)
        self.messages.append(parsed)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [message for message in self.messages if address in message.recipients]

    @property
    def recipients(self) -> list[str]:
        return sorted(address for message in self.messages for address in message.recipients)


@pytest.fixture
def smtp_server(settings):
    """Mail leaves through Django's SMTP backend to a real server on 127.0.0.1."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = SmtpServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()
