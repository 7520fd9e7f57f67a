"""P08: each page request is logged with exactly the declared fields, the IP kept as declared."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pledge.people.retention import retention_purge
from pledge.tracking import declarations, events
from pledge.tracking.models import PageView, RequestLogEntry
from pledge.tracking.tests.conftest import CHROME, GOOGLEBOT
from pledge.vault.actors import Actor
from pledge.vault.keys import current_ring

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def use_ip_mode(monkeypatch, mode: str):
    log = declarations.request_log().model_copy(update={"ip_mode": mode})
    monkeypatch.setattr(declarations, "request_log", lambda: log)


def test_the_log_has_exactly_the_declared_fields():
    declared = set(declarations.request_log().fields)
    columns = {field.name for field in RequestLogEntry._meta.fields} - {"id", "is_bot"}
    assert columns == {"at" if name == "time" else name for name in declared}


def test_a_page_view_is_logged_with_the_ip_truncated():
    Client().get(
        "/en/?utm_source=x&email=a@b.cn",
        HTTP_USER_AGENT=CHROME,
        HTTP_REFERER="https://www.bing.com/search?q=gonex",
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8",
        REMOTE_ADDR="198.51.100.23",
    )
    entry = RequestLogEntry.objects.get()
    assert entry.path == "/en/"  # the query string is not a declared field
    assert entry.referrer_domain == "www.bing.com"
    assert (entry.browser_family, entry.browser_version) == ("Chrome", "120.0")
    assert (entry.os_family, entry.device_class, entry.language) == ("Windows", "computer", "zh-cn")
    assert entry.ip_address == "198.51.100.0/24"
    assert not entry.is_bot


def test_ipv6_is_truncated_to_its_declared_prefix():
    Client().get("/", REMOTE_ADDR="2001:db8:1234:5678::1")
    assert RequestLogEntry.objects.get().ip_address == "2001:db8:1234::/48"


def test_hashed_mode_keeps_a_keyed_hash(monkeypatch):
    use_ip_mode(monkeypatch, "hashed")
    Client().get("/", REMOTE_ADDR="198.51.100.23")
    stored = RequestLogEntry.objects.get().ip_address
    assert stored == "h:" + current_ring().digest("198.51.100.23", context=events.IP_CONTEXT)
    assert "198.51" not in stored


def test_full_mode_keeps_the_address_encrypted(monkeypatch):
    use_ip_mode(monkeypatch, "full")
    Client().get("/", REMOTE_ADDR="198.51.100.23")
    stored = RequestLogEntry.objects.get().ip_address
    assert stored.startswith("pl1.") and "198.51" not in stored
    assert events.ip_shown(stored) == "198.51.100.23"


def test_a_forged_forwarded_for_does_not_change_the_logged_address():
    """SECURITY.md I9: with no trusted proxy, X-Forwarded-For is ignored."""
    Client().get("/", REMOTE_ADDR="198.51.100.23", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert RequestLogEntry.objects.get().ip_address == "198.51.100.0/24"


def test_bots_are_marked_and_kept():
    Client().get("/", HTTP_USER_AGENT=GOOGLEBOT)
    assert RequestLogEntry.objects.get().is_bot


def test_staff_pages_and_static_files_are_not_in_the_visitor_log():
    client = Client()
    client.get("/en/console/login/")
    client.get("/static/web/site.css")
    assert not RequestLogEntry.objects.exists()


def test_retention_removes_rows_older_than_declared():
    now = timezone.now()
    days = declarations.request_log().retention_days
    for age in (days + 1, days - 1):
        RequestLogEntry.objects.create(at=now - timedelta(days=age), path="/")
        PageView.objects.create(event_id=f"{age:032d}", at=now - timedelta(days=age), path="/")
    report = retention_purge(actor=Actor.system("test"), dry_run=False, now=now)
    purged = {rule.key: rule.count for rule in report.rules}
    assert purged["tracking.request_log"] == purged["tracking.page_views"] == 1
    assert RequestLogEntry.objects.count() == PageView.objects.count() == 1
