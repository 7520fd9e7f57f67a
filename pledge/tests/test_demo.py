"""``pledge demo`` loads the demo once and prints the staff password once."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


def run_demo(*args):
    output = StringIO()
    call_command("demo", *args, stdout=output)
    return output.getvalue()


@pytest.mark.django_db
def test_demo_creates_a_staff_administrator_and_prints_the_password_once():
    first = run_demo()
    password = re.search(r"Password:\s+(\S+)", first).group(1)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(password)

    second = run_demo()
    assert "already loaded" in second
    assert password not in second


@pytest.mark.django_db
def test_demo_can_reset_the_password():
    old = re.search(r"Password:\s+(\S+)", run_demo()).group(1)
    new = re.search(r"Password:\s+(\S+)", run_demo("--reset-password")).group(1)
    assert old != new
    assert get_user_model().objects.get(username="admin").check_password(new)


@pytest.mark.django_db
def test_demo_publishes_policy_version_one_once():
    from pledge.inventory.services import policy_in_force

    assert "Published the privacy policy as version 1." in run_demo()
    assert policy_in_force().number == 1
    assert "Published the privacy policy" not in run_demo()
    assert policy_in_force().number == 1
