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


@pytest.mark.django_db
def test_demo_has_a_privacy_officer_with_a_case_to_work():
    from pledge.cases.models import Case

    output = run_demo()
    password = re.search(r"Privacy officer: zhou.min / (\S+)", output).group(1)
    officer = get_user_model().objects.get(username="zhou.min")
    assert officer.check_password(password) and officer.has_perm("vault.manage_cases")
    case = Case.objects.get()
    assert case.kind == "complaint" and case.channel == "email"


@pytest.mark.django_db
def test_demo_people_show_consent_to_the_request_and_separate_consents():
    """PIPL Art. 14: one sample ticked every box, one only sales follow-up, one none."""
    from pledge.people.gate import may
    from pledge.people.models import Consent
    from pledge.people.services import person_find_by_email

    run_demo()
    ticked_all = person_find_by_email("wang.fang@example-logistics.cn")
    sales_only = person_find_by_email("zhao.lei@example-soft.cn")
    none = person_find_by_email("daniel.ho@example-retail.com")
    support = "essential.service.operations.support"

    def subjects(person):
        return set(
            Consent.objects.filter(
                person=person, form__in=["demo", "interest", "contact"]
            ).values_list("subject", flat=True)
        )

    assert subjects(ticked_all) == {support, "sales", "share:group"}
    assert subjects(sales_only) == {support, "sales"}
    assert subjects(none) == {support}
    assert may(sales_only, "sales") and not may(none, "sales")
