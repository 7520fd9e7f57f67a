"""The staff login page and the console's door."""

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        username="expert", password="a long pass phrase for staff", is_staff=True
    )


@pytest.fixture
def customer(db):
    return get_user_model().objects.create_user(
        username="charlie", password="a long pass phrase for charlie"
    )


def test_console_sends_anonymous_visitors_to_login(client, db):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")


def test_login_page_is_in_both_languages(client, db):
    assert "员工登录" in client.get("/console/login/").content.decode()
    assert "Staff login" in client.get("/en/console/login/").content.decode()


def test_password_alone_leads_to_second_factor_enrolment_a1(client, staff):
    response = client.post(
        "/console/login/",
        {"username": "expert", "password": "a long pass phrase for staff"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/enrol/")
    # A password-only session does not open the console.
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/enrol/")


def test_wrong_password_is_refused_with_a_message(client, staff):
    response = client.post("/en/console/login/", {"username": "expert", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_non_staff_account_cannot_log_in(client, customer):
    response = client.post(
        "/en/console/login/", {"username": "charlie", "password": "a long pass phrase for charlie"}
    )
    assert "This account has no access to the staff console." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_non_staff_session_is_refused_by_the_console(client, customer):
    client.force_login(customer)
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")
