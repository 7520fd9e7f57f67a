"""Helpers for tracking's tests: calling the beacon as the web server does, consenting browsers."""

from urllib.parse import urlencode

import pytest
from django.test import Client, RequestFactory

from pledge.tracking import beacon as beacon_module
from pledge.tracking import ingest

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


class BeaconResponse:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status_code = int(status.split()[0])
        self.headers = dict(headers)
        self.body = body


def send_beacon(
    fields: dict | None = None,
    *,
    pixel: bool = False,
    ip: str = "203.0.113.7",
    user_agent: str = CHROME,
    cookies: dict | None = None,
    **extra,
) -> BeaconResponse:
    """One request to the beacon through the WSGI wrapper, as granian would make it."""
    factory = RequestFactory()
    headers = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": user_agent, "HTTP_HOST": "testserver"}
    if cookies:
        headers["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    headers.update(extra)
    if pixel:
        request = factory.get(beacon_module.PIXEL_PATH + "?" + urlencode(fields or {}), **headers)
    else:
        request = factory.generic(
            "POST",
            beacon_module.BEACON_PATH,
            urlencode(fields or {}),
            content_type="application/x-www-form-urlencoded",
            **headers,
        )
    captured = {}

    def start_response(status, response_headers):
        captured["status"], captured["headers"] = status, response_headers

    def django_application(environ, start_response):  # never reached for the beacon
        raise AssertionError("the beacon reached Django")

    body = b"".join(
        beacon_module.BeaconApplication(django_application)(request.environ, start_response)
    )
    return BeaconResponse(captured["status"], captured["headers"], body)


def consenting_client(decision: str = "accept_all", categories=(), **headers) -> Client:
    """A browser that made a choice on the banner (its cookies kept by the client)."""
    client = Client(**headers)
    response = client.post(
        "/en/consent/",
        {"decision": decision, "category": list(categories), "next": "/en/"},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 303, response.content
    return client


def cookies_of(client: Client) -> dict:
    return {name: morsel.value for name, morsel in client.cookies.items() if morsel.value}


@pytest.fixture
def group_commit():
    """The web server's own writer (a thread with its own connection), stopped afterwards."""
    writer = ingest.GroupCommitWriter(ingest.DatabaseSink())
    ingest.ingest_writer_replace(writer)
    yield writer
    writer.stop()


def export_of(person) -> dict:
    """The person's access export, section by section, as the rights portal builds it."""
    from pledge.cases.rights import sections_of

    return {section.key: section.records for section in sections_of(person)}
