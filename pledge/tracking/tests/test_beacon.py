"""The beacon keeps the declared fields only, counts anonymously without consent (P09, P2)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pledge.tracking import events
from pledge.tracking.models import DailySalt, PageView
from pledge.tracking.services import salts_forget
from pledge.tracking.tests.conftest import GOOGLEBOT, consenting_client, cookies_of, send_beacon

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_a_page_view_keeps_only_declared_fields_and_no_ip():
    response = send_beacon(
        {
            "k": "view",
            "p": "/en/pricing?utm_source=newsletter&utm_campaign=spring&ref=AFF42&email=a@b.cn&x=1",
            "r": "https://www.baidu.com/s?wd=gonex+crm",
            "l": "zh-CN",
            "email": "someone@example.cn",
            "screen": "1920x1080",
        },
        ip="198.51.100.23",
    )
    assert response.status_code == 204
    assert "Set-Cookie" not in response.headers  # P09: the beacon never sets a cookie
    view = PageView.objects.get()
    assert view.path == "/en/pricing"
    assert (view.utm_source, view.utm_campaign, view.ref) == ("newsletter", "spring", "AFF42")
    assert view.referrer_domain == "www.baidu.com"
    assert view.language == "zh-cn"
    assert (view.browser_family, view.os_family, view.device_class) == (
        "Chrome",
        "Windows",
        "computer",
    )
    stored = " ".join(str(value) for value in PageView.objects.values().get().values())
    for leaked in ("198.51.100", "someone@example.cn", "a@b.cn", "1920x1080", "wd=", "x=1"):
        assert leaked not in stored, leaked


def test_without_consent_a_visit_is_counted_by_a_daily_hash_not_a_cookie():
    send_beacon({"p": "/"}, ip="198.51.100.23")
    send_beacon({"p": "/en/"}, ip="198.51.100.23")
    send_beacon({"p": "/"}, ip="198.51.100.99")
    first, second, other = PageView.objects.order_by("id")
    assert first.visitor_key == "" and len(first.visitor_hash) == 32
    assert first.visitor_hash == second.visitor_hash  # the same visitor, the same day
    assert other.visitor_hash != first.visitor_hash


def test_the_hash_changes_with_the_day_and_old_salts_are_forgotten():
    today = timezone.localdate()
    yesterday = events.visitor_hash(today - timedelta(days=1), "198.51.100.23", "UA")
    assert events.visitor_hash(today, "198.51.100.23", "UA") != yesterday
    DailySalt.objects.create(day=today - timedelta(days=3), salt=b"x" * 16)
    assert salts_forget() == 1  # only today's and yesterday's salts may exist
    assert set(DailySalt.objects.values_list("day", flat=True)) == {today, today - timedelta(1)}
    # Yesterday's salt goes once it is 48 hours old: at the start of tomorrow.
    tomorrow = timezone.localtime().replace(hour=0, minute=5) + timedelta(days=1)
    assert salts_forget(now=tomorrow) == 1
    assert set(DailySalt.objects.values_list("day", flat=True)) == {today}


def test_with_analytics_consent_the_visitor_cookie_recognises_a_returning_visitor():
    client = consenting_client("accept_all")
    cookies = cookies_of(client)
    assert len(cookies["pledge_visitor"]) == 32
    send_beacon({"p": "/"}, cookies=cookies)
    send_beacon({"p": "/en/"}, cookies=cookies, REMOTE_ADDR="192.0.2.1")
    keys = set(PageView.objects.values_list("visitor_key", flat=True))
    assert keys == {cookies["pledge_visitor"]}
    assert set(PageView.objects.values_list("visitor_hash", flat=True)) == {""}


def test_a_visitor_cookie_without_consent_is_ignored():
    client = consenting_client("reject_all")
    cookies = {**cookies_of(client), "pledge_visitor": "a" * 32}
    send_beacon({"p": "/"}, cookies=cookies)
    view = PageView.objects.get()
    assert view.visitor_key == "" and view.visitor_hash


def test_global_privacy_control_overrides_an_earlier_acceptance():
    cookies = cookies_of(consenting_client("accept_all"))
    send_beacon({"p": "/"}, cookies=cookies, HTTP_SEC_GPC="1")
    assert PageView.objects.get().visitor_key == ""


def test_bots_are_marked_not_dropped():
    send_beacon({"p": "/"}, user_agent=GOOGLEBOT)
    send_beacon({"p": "/"}, user_agent="")
    assert list(PageView.objects.values_list("is_bot", "device_class")) == [
        (True, "bot"),
        (True, "other"),
    ]


def test_time_on_page_is_recorded_by_the_leave_event():
    event_id = "0190f3a2b4c5" + "ab" * 10
    send_beacon({"k": "view", "id": event_id, "p": "/"})
    assert send_beacon({"k": "leave", "v": event_id, "s": "42"}).status_code == 204
    assert send_beacon({"k": "leave", "v": event_id, "s": "7"}).status_code == 204
    assert PageView.objects.get().seconds == 42  # the longest report wins
    assert send_beacon({"k": "leave", "v": "nope", "s": "1"}).status_code == 400


def test_a_retried_event_is_stored_once():
    event_id = "0190f3a2b4c5" + "cd" * 10
    send_beacon({"id": event_id, "p": "/"})
    send_beacon({"id": event_id, "p": "/"})
    assert PageView.objects.filter(event_id=event_id).count() == 1


def test_the_no_script_pixel_counts_too():
    response = send_beacon({"p": "/en/", "r": "//news.example.com"}, pixel=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/gif"
    assert PageView.objects.get().referrer_domain == "news.example.com"


def test_wrong_methods_and_oversized_bodies_are_refused():
    assert send_beacon({"p": "/"}, pixel=True, REQUEST_METHOD="POST").status_code == 405
    assert send_beacon({"p": "/" + "x" * 5000}).status_code == 413
    assert not PageView.objects.exists()


def test_plain_http_is_refused_in_production(settings):
    """SECURITY.md H3: the beacon answers HTTPS only in production."""
    settings.PRODUCTION = True
    assert send_beacon({"p": "/"}).status_code == 403
    response = send_beacon({"p": "/"}, **{"wsgi.url_scheme": "https"})
    assert response.status_code == 204
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert PageView.objects.count() == 1
