"""One actor type (issue 13): every service takes an ``Actor``; anything else is refused, and the
audit log records exactly who acted."""

from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.core.exceptions import PermissionDenied

from pledge.people.services import person_create, person_view
from pledge.vault.access import access_require, has_access
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.models import AuditEntry

pytestmark = pytest.mark.django_db


def opened_link(*, on_behalf: bool = False):
    """What ``Actor.subject`` reads of an opened portal link (cases.portal.PortalAccess)."""
    return SimpleNamespace(link=SimpleNamespace(public_id=uuid4(), on_behalf=on_behalf))


def test_each_kind_of_actor_is_named_exactly_in_the_audit_log(privacy_officer):
    person = Actor.subject(opened_link())
    guardian = Actor.subject(opened_link(on_behalf=True))
    for actor in (
        Actor.staff(privacy_officer),
        person,
        guardian,
        Actor.visitor("form"),
        Actor.system("cases.remind"),
    ):
        audit_record(actor=actor, action="test.acted")
    entries = AuditEntry.objects.filter(action="test.acted").order_by("sequence")
    assert [entry.actor_label for entry in entries] == [
        "staff:pat",
        f"person:{person.access.link.public_id}",
        f"guardian:{guardian.access.link.public_id}",
        "visitor:form",
        "system:cases.remind",
    ]
    assert [entry.actor_id for entry in entries] == [privacy_officer.pk, None, None, None, None]


@pytest.mark.parametrize(
    "unknown",
    [None, "system", "visitor", "person", "staff:pat", 0, object()],
    ids=["None", "system", "visitor", "person", "label", "zero", "object"],
)
def test_an_unknown_actor_is_refused_and_the_refusal_is_audited(unknown):
    with pytest.raises(PermissionDenied):
        access_require(unknown, "view_person")
    assert not has_access(unknown, "view_person")
    refusal = AuditEntry.objects.get(action="access.refused")
    assert refusal.actor_label == f"unknown:{type(unknown).__name__}"
    assert refusal.details == {"permission": "view_person"}


def test_a_staff_user_passed_bare_is_refused_even_with_the_permission(privacy_officer):
    """The user object itself is not an actor: only ``Actor.staff(user)`` carries its role."""
    assert has_access(Actor.staff(privacy_officer), "view_person")
    with pytest.raises(PermissionDenied):
        access_require(privacy_officer, "view_person")


@pytest.mark.parametrize("permission", ["view_person", "manage_cases", "manage_staff"])
def test_a_data_subject_or_a_visitor_holds_no_staff_permission(permission):
    for actor in (Actor.subject(opened_link()), Actor.visitor("form")):
        assert not has_access(actor, permission)
        with pytest.raises(PermissionDenied):
            access_require(actor, permission)


def test_the_system_acts_by_a_named_job_and_a_service_records_it():
    with pytest.raises(TypeError):
        Actor.system("")
    person = person_create(
        actor=Actor.system("import"), source="staff", name="Li Lei", email="li.lei@example.cn"
    )
    person_view(person=person, actor=Actor.system("export"))
    assert AuditEntry.objects.get(action="person.viewed").actor_label == "system:export"


def test_a_refused_staff_member_is_named_in_the_refusal(marketer):
    person = person_create(
        actor=Actor.system("import"), source="staff", name="Li Lei", email="li.lei@example.cn"
    )
    with pytest.raises(PermissionDenied):
        person_view(person=person, actor=Actor.staff(marketer))
    refusal = AuditEntry.objects.get(action="access.refused")
    assert (refusal.actor_id, refusal.actor_label) == (marketer.pk, f"staff:{marketer.username}")


def test_audit_record_takes_only_an_actor():
    with pytest.raises(TypeError):
        audit_record(actor="visitor", action="test.acted")
    assert not AuditEntry.objects.filter(action="test.acted").exists()
