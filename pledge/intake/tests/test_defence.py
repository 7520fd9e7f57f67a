"""Spam defence without a third party (SECURITY.md B1-B4)."""

import base64
import hashlib
import json
import time

import pytest
from django import forms

from pledge.intake.defence import (
    HONEYPOT_FIELD,
    POW_FIELD,
    SUM_FIELD,
    SUM_TOKEN_FIELD,
    Refused,
    challenge_issue,
    defence_context,
    post_screen,
    rate_hit,
    solution_valid,
    submission_screen,
    sum_issue,
    sum_valid,
)
from pledge.vault.tests.limits_stores import REDIS_DOWN, database_locked, limits_in_redis


def solve(challenge: dict) -> str:
    """What the page's script does: try numbers until the hash matches."""
    for number in range(challenge["maxnumber"] + 1):
        if (
            hashlib.sha256(f"{challenge['salt']}{number}".encode()).hexdigest()
            == challenge["challenge"]
        ):
            solution = {**challenge, "number": number}
            return base64.b64encode(json.dumps(solution).encode()).decode()
    raise AssertionError("unsolvable")


pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_a_solved_challenge_is_accepted_once_b2():
    payload = solve(challenge_issue())
    assert solution_valid(payload)
    with pytest.raises(Refused):
        solution_valid(payload)  # replayed


def test_missing_invalid_and_forged_solutions_are_refused_b2():
    challenge = challenge_issue()
    good = json.loads(base64.b64decode(solve(challenge)))
    assert not solution_valid("")
    assert not solution_valid("not base64 at all!")
    wrong_number = {**good, "number": good["number"] + 1}
    assert not solution_valid(base64.b64encode(json.dumps(wrong_number).encode()).decode())
    forged = {**good, "signature": "0" * 64}
    assert not solution_valid(base64.b64encode(json.dumps(forged).encode()).decode())


def test_an_expired_challenge_is_refused_b2():
    payload = solve(challenge_issue(now=time.time() - 3600))
    assert not solution_valid(payload)


def test_the_small_sum_works_without_javascript_and_only_once():
    question = sum_issue()
    answer = str(question.left + question.right)
    assert not sum_valid(question.token, str(int(answer) + 1))
    assert sum_valid(question.token, answer)
    with pytest.raises(Refused):
        sum_valid(question.token, answer)


def test_a_filled_honeypot_is_refused_b1():
    question = sum_issue()
    data = {
        HONEYPOT_FIELD: "http://spam.example",
        SUM_TOKEN_FIELD: question.token,
        SUM_FIELD: str(question.left + question.right),
    }
    with pytest.raises(Refused) as refused:
        submission_screen(data=data, client_ip="198.51.100.7")
    assert refused.value.reason == "honeypot"


def test_a_form_with_neither_solution_nor_sum_is_refused_b2():
    with pytest.raises(Refused) as refused:
        submission_screen(data={POW_FIELD: ""}, client_ip="198.51.100.7")
    assert refused.value.reason == "challenge"


def test_too_many_submissions_from_one_address_are_refused_b3(settings):
    for _ in range(settings.PLEDGE_FORM_LIMIT_PER_IP):
        rate_hit("ip", "198.51.100.8", limit=settings.PLEDGE_FORM_LIMIT_PER_IP)
    with pytest.raises(Refused) as refused:
        rate_hit("ip", "198.51.100.8", limit=settings.PLEDGE_FORM_LIMIT_PER_IP)
    assert refused.value.reason == "rate"
    rate_hit("ip", "198.51.100.9", limit=settings.PLEDGE_FORM_LIMIT_PER_IP)  # others unaffected


def test_a_form_counts_an_ipv6_network_as_one_address_b3(settings):
    """One host holds a whole /64: new addresses of it do not buy new submissions."""
    settings.PLEDGE_FORM_LIMIT_PER_IP = 2
    for host in (1, 2):
        submission_screen(
            data={POW_FIELD: solve(challenge_issue())}, client_ip=f"2001:db8:9:9::{host}"
        )
    with pytest.raises(Refused) as refused:
        submission_screen(data={POW_FIELD: solve(challenge_issue())}, client_ip="2001:db8:9:9::3")
    assert refused.value.reason == "rate"
    submission_screen(data={POW_FIELD: solve(challenge_issue())}, client_ip="2001:db8:9:a::1")


def test_the_limiter_fails_closed_when_its_store_is_down_b4(settings):
    settings.REDIS_URL = REDIS_DOWN
    with pytest.raises(Refused) as refused:
        rate_hit("ip", "198.51.100.10", limit=5)
    assert refused.value.reason == "limiter_down"


@pytest.mark.django_db(transaction=True)
def test_a_busy_database_is_the_limiter_down_not_a_first_post_b4():
    """Without Redis, a database busy with another writer made the counter's ``add`` fail
    quietly and its ``incr`` find no key: the post counted as the first and went through.
    And a solved challenge was refused as a replay. Both are now the store's refusal."""
    with database_locked():
        with pytest.raises(Refused) as refused:
            rate_hit("ip", "198.51.100.11", limit=5)
        assert refused.value.reason == "limiter_down"
        with pytest.raises(Refused) as refused:
            solution_valid(solve(challenge_issue()))
        assert refused.value.reason == "limiter_down"


@pytest.mark.redis
def test_the_limiter_counts_in_redis_when_configured(settings, redis_url):
    limits_in_redis(settings, redis_url)
    for _ in range(3):
        rate_hit("email", "redis-test@example.cn", limit=3)
    with pytest.raises(Refused):
        rate_hit("email", "redis-test@example.cn", limit=3)


def test_staff_see_refusal_counts_and_nothing_else(client, client_for, marketer, support):
    from pledge.intake.services import blocked_count_add

    blocked_count_add(form_key="demo", reason="honeypot")
    blocked_count_add(form_key="demo", reason="honeypot")
    page = client_for(marketer).get("/en/console/forms/").content.decode()
    assert "<td>Book a free demo</td><td>0</td><td>2</td>" in page
    assert client_for(support).get("/en/console/forms/").status_code == 403


class EmailForm(forms.Form):
    email = forms.EmailField()


def test_a_form_page_gets_fresh_defence_fields():
    context = defence_context()
    challenge = json.loads(context["challenge"])
    assert solution_valid(solve(challenge))
    assert context["fields"] == {
        "honeypot": HONEYPOT_FIELD,
        "pow": POW_FIELD,
        "sum": SUM_FIELD,
        "sum_token": SUM_TOKEN_FIELD,
    }
    assert context["sum"].token != defence_context()["sum"].token


def test_a_post_is_screened_before_its_form_is_validated_b1():
    class NeverValidated:
        def is_valid(self):
            raise AssertionError("a refused post was validated")

    data = {HONEYPOT_FIELD: "http://spam.example", POW_FIELD: solve(challenge_issue())}
    screening = post_screen(NeverValidated(), data=data, client_ip="198.51.100.12")
    assert screening.refused.reason == "honeypot" and not screening.valid
    assert screening.status == 429 and screening.message == screening.refused.message


def test_a_screened_post_is_then_validated_with_its_sender_counted_b3(settings):
    settings.PLEDGE_FORM_LIMIT_PER_EMAIL = 1
    posted = {POW_FIELD: solve(challenge_issue()), "guardian_email": "a@example.com"}
    invalid = post_screen(
        EmailForm(posted), data=posted, client_ip="198.51.100.13", email_field="guardian_email"
    )
    assert invalid.refused is None and not invalid.valid
    assert invalid.status == 400 and invalid.message == ""
    posted = {POW_FIELD: solve(challenge_issue()), "guardian_email": "a@example.com"}
    again = post_screen(
        EmailForm({**posted, "email": "b@example.com"}),
        data=posted,
        client_ip="198.51.100.14",
        email_field="guardian_email",
    )
    assert again.refused.reason == "rate"  # the sender counted from ``email_field``
    posted = {POW_FIELD: solve(challenge_issue()), "email": "c@example.com"}
    valid = post_screen(EmailForm(posted), data=posted, client_ip="198.51.100.15")
    assert valid.refused is None and valid.valid
