"""The settings module: embedded defaults run, and production refuses to start half-configured."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from pledge.env import email_settings


def run_pledge(*args, **environment):
    """Run the real ``pledge`` command in a fresh process with the given environment."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("PLEDGE_", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "DATABASE_URL")
        )
    }
    return subprocess.run(
        [sys.executable, "-m", "pledge", *args],
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "PLEDGE_ENV": "production",
    "SECRET_KEY": "k" * 20 + "Q9x!vZ2#mP7@wL4$rT8^yB1&nH6*cF3(jD5)" + "s" * 10,
    "PLEDGE_KEYS": "v1:" + "A" * 43 + "=",
    "ALLOWED_HOSTS": "letsgonex.cn",
    "EMAIL_URL": "smtp://mailer:secret@127.0.0.1:587?tls=1",
}


def test_production_without_settings_stops_with_the_fix(tmp_path):
    result = run_pledge("check", PLEDGE_ENV="production", PLEDGE_VAR=str(tmp_path))
    assert result.returncode != 0
    for sentence in (
        "SECRET_KEY is not set: set SECRET_KEY",
        "ALLOWED_HOSTS is not set: set it to the site's host names",
        "PLEDGE_KEYS is not set",
        "EMAIL_URL must name an SMTP server in production",
    ):
        assert sentence in result.stderr


def test_a_bad_database_url_is_named_with_the_fix(tmp_path):
    result = run_pledge("check", DATABASE_URL="mysq1://nowhere", PLEDGE_VAR=str(tmp_path))
    assert result.returncode != 0
    assert "DATABASE_URL 'mysq1://nowhere' is not a database address" in result.stderr


def test_production_profile_passes_the_deploy_checks_h1(tmp_path):
    """SECURITY.md H1: `pledge check --deploy --fail-level WARNING` is clean in production."""
    result = run_pledge(
        "check", "--deploy", "--fail-level", "WARNING", PLEDGE_VAR=str(tmp_path), **PRODUCTION
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_embedded_default_generates_its_secret_once(tmp_path):
    first = run_pledge("check", PLEDGE_VAR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    secret = (tmp_path / "secret_key").read_text()
    assert len(secret.strip()) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    run_pledge("check", PLEDGE_VAR=str(tmp_path))
    assert (tmp_path / "secret_key").read_text() == secret


def test_email_url_smtp_is_parsed():
    parsed = email_settings("smtp://mailer:p%40ss@mail.example:2525?tls=1", var_dir=None)
    assert parsed["EMAIL_HOST"] == "mail.example"
    assert parsed["EMAIL_PORT"] == 2525
    assert parsed["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert parsed["EMAIL_USE_TLS"] is True


def test_email_url_unknown_scheme_says_what_to_use():
    with pytest.raises(ValueError, match="use smtp://user:password@host:port"):
        email_settings("pigeon://loft", var_dir=None)


@pytest.mark.django_db
def test_database_is_durable_r3():
    """SECURITY.md R3: a committed row survives a crash on either database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
            # Test databases may live in memory, which has no WAL; the file database must.
            assert journal in {"wal", "memory"}
            assert synchronous == 2  # FULL
        else:
            cursor.execute("SHOW fsync")
            assert cursor.fetchone()[0] == "on"
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


def test_the_file_database_runs_in_wal_mode(tmp_path):
    result = run_pledge("migrate", "--noinput", PLEDGE_VAR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    import sqlite3

    database = sqlite3.connect(tmp_path / "pledge.sqlite3")
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    database.close()


PROBE = """
import json
from django.test import Client
client = Client(HTTP_HOST="letsgonex.cn")
plain = client.get("/")
secure = client.get("/", secure=True)
login = client.get("/console/login/", secure=True)
cookie = login.cookies["__Host-csrftoken"]
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "hsts": secure.get("Strict-Transport-Security"),
    "cookie_secure": bool(cookie["secure"]),
    "cookie_samesite": cookie["samesite"],
    "cookie_httponly": bool(cookie["httponly"]),
    "cookie_path": cookie["path"],
}))
"""


def test_production_serves_https_only_with_hsts_and_host_cookies_h2_h3_h6(tmp_path):
    import json

    # A production site is migrated before it serves (every public page reads whether an
    # acquisition notice was sent, P14), and `pledge serve` collects static files first.
    migrated = run_pledge("migrate", "--noinput", PLEDGE_VAR=str(tmp_path), **PRODUCTION)
    assert migrated.returncode == 0, migrated.stderr
    collected = run_pledge("collectstatic", "--noinput", PLEDGE_VAR=str(tmp_path), **PRODUCTION)
    assert collected.returncode == 0, collected.stderr
    result = run_pledge("shell", "-c", PROBE, PLEDGE_VAR=str(tmp_path), **PRODUCTION)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["plain_status"] == 301
    assert facts["plain_location"] == "https://letsgonex.cn/"
    assert facts["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert facts["cookie_secure"] and facts["cookie_httponly"]
    assert facts["cookie_samesite"] == "Lax"
    assert facts["cookie_path"] == "/"


def test_embedded_default_generates_the_key_ring_and_says_so(tmp_path):
    result = run_pledge("check", PLEDGE_VAR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Pledge generated the key ring that encrypts personal data" in result.stderr
    assert (tmp_path / "keys").read_text().strip().count(":") == 1
    again = run_pledge("check", PLEDGE_VAR=str(tmp_path))
    assert "generated the key ring" not in again.stderr


def test_an_unreadable_key_ring_stops_start_up_with_the_fix(tmp_path):
    result = run_pledge("check", PLEDGE_VAR=str(tmp_path), PLEDGE_KEYS="k1:not-a-key")
    assert result.returncode != 0
    assert "PLEDGE_KEYS entry 1 is not 'id:base64-of-32-bytes'" in result.stderr
    assert "pledge keys generate" in result.stderr
