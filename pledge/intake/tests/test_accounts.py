"""Creating an account signs the visitor in (issue 16): a new session, audited as a sign-in."""

import pytest

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.inventory.services import policy_publish
from pledge.people.models import Account
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACCOUNT = {
    "name": "Zhao Lei",
    "email": "zhao.lei@example.cn",
    "password": "correct horse battery staple",
    "age_band": "18_and_over",
}


@pytest.fixture(autouse=True)
def published(db):
    policy_publish(summary={"en": "First version"}, material=True, published_by="test")


def human() -> dict:
    question = sum_issue()
    return {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}


def register(client, path="/en/account/register/", **changes):
    return client.post(path, {**ACCOUNT, **human(), **changes})


def test_registering_signs_the_visitor_in_on_their_account_page(client):
    assert client.get("/en/account/").status_code == 302  # not signed in
    response = register(client)
    assert response.status_code == 302 and response["Location"] == "/en/account/"
    account = Account.objects.get()
    assert int(client.session["_auth_user_id"]) == account.user.pk
    page = client.get("/en/account/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Your account is ready, and you are signed in." in text
    assert "Product overview" in text
    again = client.get("/en/account/").content.decode()
    assert "Your account is ready" not in again  # said once


def test_registering_in_chinese_greets_in_chinese(client):
    response = register(client, path="/account/register/")
    assert response["Location"] == "/account/"
    assert "您的帐户已创建，您已登录。" in client.get("/account/").content.decode()


def test_the_session_is_rotated_at_registration(client):
    client.get("/en/account/login/")
    session = client.session
    session["planted"] = "by someone else"
    session.save()
    before = session.session_key
    register(client)
    assert client.session.session_key != before


def test_the_sign_in_is_audited_like_one_with_a_password(client):
    register(client)
    entry = AuditEntry.objects.get(action="account.signed_in")
    person = Account.objects.get().person
    assert entry.details == {"by": "registration"}
    assert entry.object_id == str(person.public_id)
    client.post("/en/account/logout/")
    client.post("/en/account/login/", {"email": ACCOUNT["email"], "password": ACCOUNT["password"]})
    by = list(
        AuditEntry.objects.filter(action="account.signed_in")
        .order_by("pk")
        .values_list("details", flat=True)
    )
    assert by == [{"by": "registration"}, {"by": "password"}]


def test_a_refused_registration_signs_no_one_in(client):
    register(client)
    client.post("/en/account/logout/")
    response = register(client, name="Someone Else")  # the address has an account already
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="account.signed_in").count() == 1
