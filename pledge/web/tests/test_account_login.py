"""Visitor sign-in at /account/login/: counted apart from the staff console (SECURITY.md A5,
B3, B4, C4), per email and address, never per email alone."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from pledge.conftest import make_staff
from pledge.people.models import Account, Source
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor
from pledge.vault.models import LimitCounter
from pledge.vault.tests.limits_stores import REDIS_DOWN, limits_in_redis

pytestmark = pytest.mark.clock

PASSWORD = "a long visitor pass phrase"
EMAIL = "mei@example.cn"


@pytest.fixture
def visitor(db):
    person, _ = person_upsert(actor=Actor.system("test"), source=Source.WEB_FORM, email=EMAIL)
    user = get_user_model().objects.create_user(username="visitor-mei", password=PASSWORD)
    Account.objects.create(person=person, user=user)
    return person


@pytest.fixture
def frozen(time_machine):
    """Counts live in 15-minute windows: a test must not straddle two of them by chance."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def sign_in(password, address, email=EMAIL, path="/en/account/login/"):
    """One sign-in from its own browser at ``address``."""
    return Client().post(path, {"email": email, "password": password}, REMOTE_ADDR=address)


def test_five_tries_for_an_email_from_one_address_then_a_wait_a5(visitor, frozen):
    for _ in range(5):
        assert sign_in("wrong", "198.51.100.1").status_code == 400
    refused = sign_in(PASSWORD, "198.51.100.1")
    assert refused.status_code == 429
    assert "Too many attempts to log in from your address" in refused.content.decode()
    assert "Staff login" not in refused.content.decode()
    chinese = sign_in(PASSWORD, "198.51.100.1", path="/account/login/")
    assert chinese.status_code == 429 and "从您的地址登录的尝试次数过多" in chinese.content.decode()
    assert sign_in(PASSWORD, "203.0.113.9").status_code == 302  # the owner, elsewhere
    frozen.move_to(timezone.now() + timedelta(minutes=15), tick=False)
    assert sign_in(PASSWORD, "198.51.100.1").status_code == 302


def test_failures_from_many_addresses_do_not_keep_the_visitor_out(visitor, frozen):
    for host in range(1, 21):
        sign_in("wrong", f"198.51.100.{host}")
    assert sign_in(PASSWORD, "203.0.113.9").status_code == 302


def test_one_address_trying_many_emails_is_held_back_b3(visitor, frozen):
    for number in range(20):
        sign_in("guess", "198.51.100.1", email=f"someone{number}@example.cn")
    assert sign_in(PASSWORD, "198.51.100.1").status_code == 429
    assert sign_in(PASSWORD, "198.51.100.2").status_code == 302


def test_failed_visitor_logins_do_not_lock_the_staff_console_a5(visitor, frozen):
    """Five failures at /account/login/ from an address leave the staff login from that
    address open: django-axes never sees a visitor."""
    make_staff("lin")
    for _ in range(6):
        sign_in("wrong", "198.51.100.1")
    assert not AccessAttempt.objects.exists()
    response = Client().post(
        "/en/console/login/",
        {"username": "lin", "password": "lin has a long pass phrase"},
        REMOTE_ADDR="198.51.100.1",
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/en/console/login/verify/")


def test_failed_staff_logins_do_not_hold_back_visitors_at_that_address(visitor, frozen):
    for _ in range(6):
        Client().post(
            "/en/console/login/",
            {"username": "lin", "password": "wrong"},
            REMOTE_ADDR="198.51.100.1",
        )
    assert sign_in(PASSWORD, "198.51.100.1").status_code == 302


def test_a_visitors_password_is_tried_at_the_visitor_login_only(visitor):
    """The staff login neither signs visitors in nor tells them their password was right."""
    response = Client().post("/en/console/login/", {"username": EMAIL, "password": PASSWORD})
    page = response.content.decode()
    assert "Please enter a correct username and password" in page
    assert "no access to the staff console" not in page


def test_the_counter_store_holds_no_email_or_address_c4(visitor, frozen):
    for _ in range(6):
        sign_in("wrong", "198.51.100.1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, CAST(count AS TEXT) FROM vault_limitcounter")
        stored = " ".join(" ".join(row) for row in cursor.fetchall())
    assert stored and EMAIL not in stored and "198.51.100.1" not in stored


def test_sign_in_is_refused_while_the_counter_store_is_down_b4(visitor, settings):
    settings.REDIS_URL = REDIS_DOWN
    client = Client()
    response = client.post("/en/account/login/", {"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 429
    assert "Please try again in a few minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.redis
def test_the_counts_are_shared_through_redis_when_configured(visitor, frozen, settings, redis_url):
    limits_in_redis(settings, redis_url)
    for _ in range(5):
        sign_in("wrong", "198.51.100.1")
    assert sign_in(PASSWORD, "198.51.100.1").status_code == 429
    assert sign_in(PASSWORD, "203.0.113.9").status_code == 302
    assert not LimitCounter.objects.exists()  # nothing counted in the database meanwhile
