"""Personas for every test: staff with each role, signed in past both factors, and an outsider.

Set up through the real services (roles_sync after migrate gives each role its permissions).
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from pledge.vault.access import Role


def make_staff(username: str, *roles: str, superuser: bool = False):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@letsgonex.com",
        password=f"{username} has a long pass phrase",
        is_staff=True,
        is_superuser=superuser,
    )
    user.groups.set(Group.objects.filter(name__in=roles))
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return user


def verified_client(user) -> Client:
    """A browser session that passed the password and the second factor."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def administrator(db):
    return make_staff("alice", Role.ADMINISTRATOR)


@pytest.fixture
def privacy_officer(db):
    return make_staff("pat", Role.PRIVACY_OFFICER)


@pytest.fixture
def sales_expert(db):
    return make_staff("sam", Role.SALES_EXPERT)


@pytest.fixture
def marketer(db):
    return make_staff("mia", Role.MARKETING)


@pytest.fixture
def support(db):
    return make_staff("sue", Role.SUPPORT)


@pytest.fixture
def outsider(db):
    """A staff account with no role: must be refused everything but its own account page."""
    return make_staff("charlie")


@pytest.fixture
def client_for():
    return verified_client


@pytest.fixture
def impact_assessments(db):
    """A current impact assessment of every processing that needs one (PIPL Art. 55), so the
    tests of shares and identification test what they test; the refusals without one are
    tested in pledge/people/tests/test_assessments.py. Its review is years away, so a test that
    moves the clock does not make it stale."""
    from datetime import timedelta

    from pledge.dates import site_date
    from pledge.people.assessments import assessment_record, processings_declared
    from pledge.people.models import AssessmentOutcome
    from pledge.vault.actors import Actor

    today = site_date()
    return [
        assessment_record(
            processing=processing.key,
            assessed_on=today,
            scope="Who and what the processing covers.",
            risks="What could harm the people concerned.",
            measures="What protects them.",
            outcome=AssessmentOutcome.APPROVED,
            review_due=today + timedelta(days=3650),
            actor=Actor.system("test"),
        )
        for processing in processings_declared()
    ]
