"""LOG_FORMAT=json: one JSON object per line, the request id on a request's lines, and no email
address, IP address or emailed link's token in any of them.

The first tests put the project's JSON formatter on this process's root logger for a request;
the last starts the real server with LOG_FORMAT=json and reads everything it wrote.
"""

import io
import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import Client

from pledge.logs import JsonFormatter, RedactLinkTokens
from pledge.tests.servers import pledge_served

EMAIL = "visitor@example-mail.cn"
VISITOR_IP, FORGED_IP = "198.51.100.7", "203.0.113.9"
TOKEN = "t" * 48  # as long as an emailed link's secret
MISSING = f"/en/no-such-page/{EMAIL}/{TOKEN}/"
FIELDS = {"time", "level", "logger", "message"}


def lines_of(text: str) -> list[dict]:
    """Every line as the JSON object it must be (a line that is not one fails here)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def json_log():
    """The root logger writing through the handler settings.LOGGING builds for LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactLinkTokens())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_the_settings_name_the_json_formatter():
    assert settings.LOGGING["formatters"]["json"] == {"()": "pledge.logs.JsonFormatter"}
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["link_tokens"]


def test_a_line_is_one_json_object_in_utc_with_its_exception_on_the_same_line(json_log):
    try:
        raise ValueError(f"mail server refused <{EMAIL}> from {VISITOR_IP}")
    except ValueError:
        logging.getLogger("pledge.mail").exception("message %s not delivered", "m-1")
    (line,) = lines_of(json_log.getvalue())
    assert set(line) == FIELDS | {"exception"}  # outside a request: no request id
    assert line["time"].endswith("+00:00")
    assert (line["level"], line["logger"]) == ("ERROR", "pledge.mail")
    assert line["message"] == "message m-1 not delivered"
    assert "ValueError: mail server refused <[email]> from [ip]" in line["exception"]
    assert EMAIL not in json_log.getvalue() and VISITOR_IP not in json_log.getvalue()


@pytest.mark.django_db
def test_a_requests_lines_carry_its_id_and_no_email_address_ip_or_token(json_log):
    response = Client().get(
        f"{MISSING}?email={EMAIL}",
        REMOTE_ADDR=VISITOR_IP,
        HTTP_X_FORWARDED_FOR=FORGED_IP,
    )
    assert response.status_code == 404
    written = json_log.getvalue()
    lines = lines_of(written)
    (not_found,) = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["message"] == "Not Found: /en/no-such-page/[email]/[link-token]/"
    assert not_found["request_id"] == response["X-Request-ID"]
    assert all(line.get("request_id") == response["X-Request-ID"] for line in lines)
    for leaked in (EMAIL, "email=", VISITOR_IP, FORGED_IP, TOKEN):
        assert leaked not in written, leaked


def formatter_chosen(tmp_path, **environment) -> str:
    """The console handler's formatter when settings.py is read with ``environment``."""
    code = (
        "from pledge import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter'], "
        "[name for name, _ in settings.CONFIG_ERRORS])"
    )
    kept = {key: value for key, value in os.environ.items() if not key.startswith("LOG_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=kept | {"PLEDGE_VAR": str(tmp_path / "var")} | environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_plain_lines_stay_the_default_and_json_is_chosen_by_log_format(tmp_path):
    assert formatter_chosen(tmp_path) == "plain []"
    assert formatter_chosen(tmp_path, LOG_FORMAT="json") == "json []"
    # Anything else stops start-up with the fix (pledge/checks.py), and logs stay plain.
    assert formatter_chosen(tmp_path, LOG_FORMAT="xml") == "plain ['LOG_FORMAT']"


def test_the_real_server_writes_only_json_lines(tmp_path):
    """``pledge serve`` with LOG_FORMAT=json: granian's lines, the server's and Django's are
    all JSON objects, and a request's line carries the id its answer returned."""
    with pledge_served(tmp_path, PLEDGE_WEB_WORKERS="1", LOG_FORMAT="json") as served:
        port, log_path = served.port, served.log
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{MISSING}?email={EMAIL}",
            headers={"X-Forwarded-For": FORGED_IP},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310 (loopback)
        assert refused.value.code == 404
        request_id = refused.value.headers["X-Request-ID"]
    written = log_path.read_text()
    lines = lines_of(written)
    assert all(set(line) >= FIELDS for line in lines)
    assert {"_granian", "pledge.management.commands.serve"} <= {line["logger"] for line in lines}
    (not_found,) = [line for line in lines if line["message"].startswith("Not Found")]
    assert not_found["request_id"] == request_id
    for leaked in (EMAIL, "email=", FORGED_IP, TOKEN):
        assert leaked not in written, leaked
