"""Least privilege, enforced in the services themselves (P22): each role is refused the rest."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from pledge.people.search import people_list
from pledge.people.services import person_create, person_view
from pledge.vault.access import ROLE_PERMISSIONS, Role
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_entries
from pledge.vault.models import AuditEntry
from pledge.vault.staff import staff_create, staff_update


@pytest.fixture
def person(db):
    return person_create(
        actor=Actor.system("test"), source="staff", name="Li Lei", email="li.lei@example.cn"
    )


@pytest.mark.django_db
def test_each_role_group_holds_exactly_its_permissions():
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        assert set(group.permissions.values_list("codename", flat=True)) == codenames


def refused(call) -> bool:
    before = AuditEntry.objects.filter(action="access.refused").count()
    try:
        call()
    except PermissionDenied:
        return AuditEntry.objects.filter(action="access.refused").count() == before + 1
    return False


@pytest.mark.parametrize(
    "role_fixture", ["administrator", "sales_expert", "marketer", "support", "outsider"]
)
def test_roles_without_personal_data_permission_cannot_view_a_person(role_fixture, request, person):
    actor = request.getfixturevalue(role_fixture)
    assert refused(lambda: person_view(person=person, actor=actor))
    assert refused(lambda: people_list(query="li.lei@example.cn", actor=actor))


def test_the_privacy_officer_views_a_person_and_the_view_is_audited(privacy_officer, person):
    person_view(person=person, actor=Actor.staff(privacy_officer))
    entry = AuditEntry.objects.get(action="person.viewed")
    assert entry.actor == privacy_officer
    assert entry.object_id == str(person.public_id)


@pytest.mark.parametrize("role_fixture", ["sales_expert", "marketer", "support", "outsider"])
def test_only_privacy_officer_and_administrator_read_the_audit_log(role_fixture, request):
    actor = request.getfixturevalue(role_fixture)
    assert refused(lambda: list(audit_entries(actor=actor)))


def test_privacy_officer_reads_the_audit_log(privacy_officer):
    assert list(audit_entries(actor=Actor.staff(privacy_officer))) is not None


@pytest.mark.parametrize(
    "role_fixture", ["privacy_officer", "sales_expert", "marketer", "support", "outsider"]
)
def test_only_the_administrator_manages_staff(role_fixture, request):
    actor = request.getfixturevalue(role_fixture)
    assert refused(
        lambda: staff_create(
            username="eve", email="eve@x.cn", roles=[Role.ADMINISTRATOR], actor=actor
        )
    )


def test_administrator_creates_staff_with_roles_and_a_one_time_password(administrator):
    user, password = staff_create(
        username="lin",
        email="lin@letsgonex.com",
        roles=[Role.SALES_EXPERT],
        actor=Actor.staff(administrator),
    )
    assert user.is_staff and user.check_password(password)
    assert list(user.groups.values_list("name", flat=True)) == [Role.SALES_EXPERT]
    assert AuditEntry.objects.filter(action="staff.created", object_id=str(user.pk)).exists()


def test_a_deactivated_account_loses_its_session_a6(administrator, sales_expert, client_for):
    client = client_for(sales_expert)
    assert client.get("/console/").status_code == 200
    staff_update(
        user=sales_expert, roles=[Role.SALES_EXPERT], active=False, actor=Actor.staff(administrator)
    )
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")
