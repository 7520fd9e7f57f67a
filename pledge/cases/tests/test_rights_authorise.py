"""The one gate of every right (``pledge/cases/rights/authorise.py``), at the service level.

Every right x every role x every state of the case staff act through; the data subject with
their own link, someone else's, an expired one and one that only confirms a new address; a
visitor; the system; and values that are not an ``Actor`` at all. A refusal changes nothing
and leaves one audit entry naming exactly who was refused. Views, commands, tasks and a future
API all reach the data through these services, so none of them can skip the rule.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from pledge.cases.models import Case, CaseStatus, Identity, PortalLink
from pledge.cases.portal import link_create, link_open
from pledge.cases.rights import (
    NotYours,
    Refused,
    rights_archive,
    rights_consent_withdraw,
    rights_correct,
    rights_email_change_confirm,
    rights_email_change_request,
    rights_erase,
    rights_opt_out,
    rights_request,
    rights_suppress,
    rights_view,
    rights_view_recorded,
)
from pledge.cases.services import case_complete, case_open
from pledge.mail.models import Message, Subscription
from pledge.people.models import Consent, ConsentMethod, OptOut, Person
from pledge.people.services import consent_record, person_upsert
from pledge.vault.access import Role
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.clock, pytest.mark.usefixtures("english")]

SETUP = Actor.system("tests.setup")

# Each right as the services are called, with the case kind staff would work it under.
RIGHTS = {
    "view": ("access", lambda p, a, c: rights_view(person=p, actor=a, case=c)),
    "archive": ("copy", lambda p, a, c: rights_archive(person=p, actor=a, case=c)),
    "correct": (
        "correction",
        lambda p, a, c: rights_correct(person=p, changes={"name": "Not Li"}, actor=a, case=c),
    ),
    "email_change": (
        "correction",
        lambda p, a, c: rights_email_change_request(
            person=p, email="li.new@elsewhere-mail.cn", actor=a, case=c
        ),
    ),
    "consent_withdraw": (
        "withdraw_consent",
        lambda p, a, c: rights_consent_withdraw(
            person=p, subject="list:newsletter", actor=a, case=c
        ),
    ),
    "opt_out": (
        "do_not_contact",
        lambda p, a, c: rights_opt_out(person=p, kind="do_not_contact", actor=a, case=c),
    ),
    "erase": ("deletion", lambda p, a, c: rights_erase(person=p, actor=a, case=c)),
}
ROLES = [
    Role.ADMINISTRATOR,
    Role.PRIVACY_OFFICER,
    Role.SALES_EXPERT,
    Role.MARKETING,
    Role.SUPPORT,
]
CASE_STATES = ["none", "unverified", "another_persons", "verified", "closed"]
# Why staff and the system are refused, per case state (reason in the refusal's audit entry).
CASE_REASONS = {
    "none": "no_case",
    "unverified": "case_unverified",
    "another_persons": "case_other_person",
    "closed": "case_closed",
}


def someone(email: str, name: str) -> Person:
    person, _ = person_upsert(actor=Actor.system("test"), source="web_form", email=email, name=name)
    consent_record(
        person=person,
        subject="list:newsletter",
        granted=True,
        text="Send me the newsletter",
        language="en",
        method=ConsentMethod.FORM,
        actor=Actor.system("test"),
    )
    Subscription.objects.create(
        person=person, list_key="newsletter", status="active", confirmed_at=timezone.now()
    )
    return person


@pytest.fixture
def li():
    return someone("li.lei@acme-robots.cn", "Li Lei")


@pytest.fixture
def wu():
    return someone("wu.fang@acme-robots.cn", "Wu Fang")


def staff(role: str):
    """A staff member of ``role`` (no password, no second factor: services do not ask)."""
    user = get_user_model().objects.create_user(username=f"{role}-1", is_staff=True)
    user.groups.set(Group.objects.filter(name=role))
    return user


def case_in(state: str, kind: str, li: Person, wu: Person) -> Case | None:
    """The case staff act through: none, or one in ``state``."""
    if state == "none":
        return None
    case = case_open(
        kind=kind,
        channel="email",
        actor=SETUP,
        requester_email=(wu if state == "another_persons" else li).email,
        person=wu if state == "another_persons" else li,
        identity=Identity.UNVERIFIED if state == "unverified" else Identity.VERIFIED_STAFF,
        language="en",
        acknowledge=False,
    )
    if state == "closed":
        case = case_complete(case=case, actor=SETUP, notify=False)
    return case


def snapshot(*people: Person) -> dict:
    """Everything a right could change, and every audit entry but refusals."""
    return {
        "people": [
            (row.pk, row.name, row.email, row.do_not_contact)
            for row in Person.objects.filter(pk__in=[p.pk for p in people]).order_by("pk")
        ],
        "consents": Consent.objects.count(),
        "opt_outs": OptOut.objects.count(),
        "subscriptions": list(Subscription.objects.order_by("pk").values_list("status")),
        "links": PortalLink.objects.count(),
        "messages": Message.objects.count(),
        "cases": list(Case.objects.order_by("pk").values_list("pk", "status", "result")),
        "audit": AuditEntry.objects.exclude(action="access.refused").count(),
    }


def refusals():
    return AuditEntry.objects.filter(action="access.refused").order_by("sequence")


def assert_refused(call, before_of, *, label: str, reason: str | None, error=Refused):
    """``call`` raises ``error``, changes nothing, and one refusal names ``label`` (and why)."""
    before, refused_before = before_of(), refusals().count()
    with pytest.raises(error) as raised:
        call()
    assert before_of() == before
    assert refusals().count() == refused_before + 1
    entry = refusals().last()
    assert entry.actor_label == label
    if reason is not None:
        assert entry.details["reason"] == reason
        assert str(raised.value)  # a sentence to show, not a code
    return raised.value


def assert_allowed(call):
    refused_before = refusals().count()
    call()
    assert refusals().count() == refused_before


# --- Staff: every role, every state of the case -------------------------------------------------


@pytest.mark.parametrize("state", CASE_STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("right", RIGHTS)
def test_staff_act_only_as_privacy_officers_through_a_verified_case_of_that_person(
    li, wu, right, role, state
):
    kind, call = RIGHTS[right]
    user = staff(role)
    actor = Actor.staff(user)
    case = case_in(state, kind, li, wu)

    def act():
        return call(li, actor, case)

    if role == Role.PRIVACY_OFFICER and state == "verified":
        assert_allowed(act)
        return
    if role != Role.PRIVACY_OFFICER:  # no manage_cases: refused by the vault's check
        error = assert_refused(
            act,
            lambda: snapshot(li, wu),
            label=f"staff:{user.username}",
            reason=None,
            error=PermissionDenied,
        )
        assert not isinstance(error, Refused)
        assert refusals().last().details == {"permission": "manage_cases"}
        return
    assert_refused(
        act, lambda: snapshot(li, wu), label=f"staff:{user.username}", reason=CASE_REASONS[state]
    )


def test_a_verified_case_of_someone_else_cannot_be_used_for_the_right_person_either(li, wu):
    """The case must name exactly the person acted on: a case whose person is missing too."""
    officer = Actor.staff(staff(Role.PRIVACY_OFFICER))
    case = case_open(
        kind="deletion",
        channel="email",
        actor=SETUP,
        requester_email="who@elsewhere-mail.cn",
        identity=Identity.VERIFIED_STAFF,
        acknowledge=False,
    )
    assert case.person is None
    assert_refused(
        lambda: rights_erase(person=li, actor=officer, case=case),
        lambda: snapshot(li, wu),
        label=officer.label,
        reason="case_no_person",
    )


def test_the_refusal_reads_in_chinese(li, wu):
    officer = Actor.staff(staff(Role.PRIVACY_OFFICER))
    with translation.override("zh-hans"):
        with pytest.raises(Refused) as raised:
            rights_erase(person=li, actor=officer, case=None)
        assert "请先为该请求" in str(raised.value)
    with translation.override("en"):
        assert "open a case" in str(raised.value)  # translated when shown, not when raised


def test_the_case_is_read_afresh_not_trusted_as_handed_over(li, wu):
    """A case object verified in memory but not in the database opens nothing."""
    officer = Actor.staff(staff(Role.PRIVACY_OFFICER))
    case = case_in("unverified", "deletion", li, wu)
    case.identity = Identity.VERIFIED_STAFF  # never saved
    assert_refused(
        lambda: rights_erase(person=li, actor=officer, case=case),
        lambda: snapshot(li, wu),
        label=officer.label,
        reason="case_unverified",
    )


def test_staff_actions_are_noted_on_the_case_they_work(li, wu):
    officer = Actor.staff(staff(Role.PRIVACY_OFFICER))
    case = case_in("verified", "correction", li, wu)
    rights_correct(person=li, changes={"name": "Li Lei (Acme)"}, actor=officer, case=case)
    case.refresh_from_db()
    assert case.result == {"corrected": ["name"]} and case.status == CaseStatus.IN_PROGRESS
    entry = AuditEntry.objects.get(action="person.corrected")
    assert entry.actor_label == officer.label and entry.actor_id == officer.user_id


# --- The system ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state", CASE_STATES)
@pytest.mark.parametrize("right", RIGHTS)
def test_the_system_acts_only_through_a_verified_case_of_that_person(li, wu, right, state):
    kind, call = RIGHTS[right]
    actor = Actor.system("cases.test")
    case = case_in(state, kind, li, wu)

    def act():
        return call(li, actor, case)

    if state == "verified":
        assert_allowed(act)
    else:
        assert_refused(
            act, lambda: snapshot(li, wu), label="system:cases.test", reason=CASE_REASONS[state]
        )


# --- The data subject ---------------------------------------------------------------------------


def subject_of(person_email: str, *, person=None, confirms_email=False) -> Actor:
    _link, token = link_create(
        email=person_email,
        language="en",
        actor=SETUP,
        person=person,
        confirms_email=confirms_email,
    )
    return Actor.subject(link_open(token))


@pytest.mark.parametrize("right", RIGHTS)
def test_the_subject_acts_on_their_own_data_with_their_own_link(li, wu, right):
    _kind, call = RIGHTS[right]
    actor = subject_of(li.email)
    assert_allowed(lambda: call(li, actor, None))
    if right not in ("view", "email_change"):  # what they did is a case, answered at once
        done = Case.objects.get(status=CaseStatus.DONE)
        assert done.identity == Identity.VERIFIED_EMAIL and done.completed_by == actor.label


@pytest.mark.parametrize("right", RIGHTS)
def test_a_link_opens_nobody_elses_data(li, wu, right):
    _kind, call = RIGHTS[right]
    actor = subject_of(wu.email)
    assert_refused(
        lambda: call(li, actor, None),
        lambda: snapshot(li, wu),
        label=actor.label,
        reason="not_yours",
        error=NotYours,
    )


@pytest.mark.clock
@pytest.mark.parametrize("right", RIGHTS)
def test_an_expired_link_opens_nothing(li, wu, right):
    _kind, call = RIGHTS[right]
    actor = subject_of(li.email)
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(
        lambda: call(li, actor, None),
        lambda: snapshot(li, wu),
        label=actor.label,
        reason="expired",
        error=NotYours,
    )


@pytest.mark.parametrize("right", RIGHTS)
def test_a_link_that_only_confirms_a_new_address_opens_nothing_else(li, wu, right):
    _kind, call = RIGHTS[right]
    actor = subject_of("li.new@elsewhere-mail.cn", person=li, confirms_email=True)
    assert_refused(
        lambda: call(li, actor, None),
        lambda: snapshot(li, wu),
        label=actor.label,
        reason="confirms_email",
        error=NotYours,
    )


def test_a_subject_cannot_act_through_a_case_their_link_was_not_sent_for(li, wu):
    actor = subject_of(li.email)
    case = case_in("verified", "deletion", li, wu)
    assert_refused(
        lambda: rights_erase(person=li, actor=actor, case=case),
        lambda: snapshot(li, wu),
        label=actor.label,
        reason="foreign_case",
        error=NotYours,
    )


def test_a_guardian_is_named_as_the_guardian(li, wu):
    link, token = link_create(
        email="parent@family-mail.cn", language="en", actor=SETUP, person=li, on_behalf=True
    )
    actor = Actor.subject(link_open(token))
    rights_correct(person=li, changes={"name": "Li Xiaolei"}, actor=actor)
    entry = AuditEntry.objects.get(action="person.corrected")
    assert entry.actor_label == f"guardian:{link.public_id}"


def test_only_the_new_address_confirms_it(li, wu):
    ordinary = subject_of(li.email)
    assert_refused(
        lambda: rights_email_change_confirm(actor=ordinary),
        lambda: snapshot(li, wu),
        label=ordinary.label,
        reason="confirms_nothing",
        error=NotYours,
    )
    confirming = subject_of("li.new@elsewhere-mail.cn", person=li, confirms_email=True)
    assert rights_email_change_confirm(actor=confirming)
    li.refresh_from_db()
    assert li.email == "li.new@elsewhere-mail.cn"


# --- Visitors and values that are not an Actor ----------------------------------------------


NOT_ACTORS = {
    "a user": lambda: staff(Role.PRIVACY_OFFICER),
    "a label": lambda: "system",
    "nothing": lambda: None,
}


@pytest.mark.parametrize("right", RIGHTS)
def test_a_visitor_exercises_no_right(li, wu, right):
    kind, call = RIGHTS[right]
    case = case_in("verified", kind, li, wu)
    assert_refused(
        lambda: call(li, Actor.visitor("form"), case),
        lambda: snapshot(li, wu),
        label="visitor:form",
        reason="not_allowed",
    )


@pytest.mark.parametrize("passed", NOT_ACTORS)
@pytest.mark.parametrize("right", RIGHTS)
def test_anything_but_an_actor_is_refused_even_with_a_verified_case(li, wu, right, passed):
    """The old forms (a user, the "system" label) reach no right, and neither does None."""
    kind, call = RIGHTS[right]
    value = NOT_ACTORS[passed]()
    case = case_in("verified", kind, li, wu)
    assert_refused(
        lambda: call(li, value, case),
        lambda: snapshot(li, wu),
        label=f"unknown:{type(value).__name__}",
        reason="not_an_actor",
    )


# --- The portal's own services --------------------------------------------------------------


@pytest.mark.parametrize(
    "service",
    [
        lambda actor: rights_view_recorded(actor=actor),
        lambda actor: rights_request(actor=actor, kind="complaint", details="Why?"),
        lambda actor: rights_suppress(actor=actor),
        lambda actor: rights_email_change_confirm(actor=actor),
    ],
    ids=["view_recorded", "request", "suppress", "email_confirm"],
)
@pytest.mark.parametrize(
    "who",
    [
        lambda user: Actor.staff(user),
        lambda user: Actor.system("cases.test"),
        lambda user: Actor.visitor("form"),
        lambda user: user,
    ],
    ids=["staff", "system", "visitor", "a user"],
)
def test_the_portals_own_services_are_for_the_subject_alone(li, wu, service, who):
    actor = who(staff(Role.PRIVACY_OFFICER))
    before, refused_before = snapshot(li, wu), refusals().count()
    with pytest.raises(PermissionDenied):
        service(actor)
    assert snapshot(li, wu) == before
    assert refusals().count() == refused_before + 1


def test_a_request_opens_one_case_in_the_language_of_the_page_else_of_the_link(li, wu):
    """``portal_case`` and ``rights_request`` open the same case with one fallback."""
    actor = subject_of(li.email)
    with translation.override("zh-hans"):
        asked = rights_request(actor=actor, kind="complaint", details="Why?")
    with translation.override(None):
        fallback = rights_request(actor=actor, kind="complaint", details="Why again?")
        rights_correct(person=li, changes={"name": "Li Lei (Acme)"}, actor=actor)
    assert asked.language == "zh-hans"
    assert fallback.language == "en"  # the link's language
    assert Case.objects.get(kind="correction").language == "en"
    assert asked.identity == Identity.VERIFIED_EMAIL and asked.channel == "portal"


def test_a_colleague_cannot_lift_the_opt_out_someone_else_asked_for_their_organisation(li, wu):
    assert li.organization_id and li.organization_id == wu.organization_id
    rights_opt_out(
        person=li, kind="do_not_contact", scope="organisation", actor=subject_of(li.email)
    )
    rights_opt_out(
        person=wu,
        kind="do_not_contact",
        scope="organisation",
        lift=True,
        actor=subject_of(wu.email),
    )
    assert OptOut.objects.get(organization=li.organization).lifted_at is None
    rights_opt_out(
        person=li,
        kind="do_not_contact",
        scope="organisation",
        lift=True,
        actor=subject_of(li.email),
    )
    assert OptOut.objects.get(organization=li.organization).lifted_at is not None


def test_a_link_that_opens_no_one_reaches_no_right_but_asking_and_never_contact(li, wu):
    stranger = subject_of("nobody@example-mail.cn")
    assert stranger.access.person is None
    assert_refused(
        lambda: rights_view(person=None, actor=stranger),
        lambda: snapshot(li, wu),
        label=stranger.label,
        reason="not_yours",
        error=NotYours,
    )
    assert_allowed(lambda: rights_suppress(actor=stranger))


def test_never_contact_is_for_an_address_held_by_no_one(li, wu):
    actor = subject_of(li.email)
    assert_refused(
        lambda: rights_suppress(actor=actor),
        lambda: snapshot(li, wu),
        label=actor.label,
        reason="known_address",
        error=NotYours,
    )


def test_a_subject_cannot_work_their_own_case_as_staff_would(li, wu):
    """The link opens and closes the requester's own requests; assigning, verifying, sending
    links and refusing stay with staff."""
    from pledge.cases.services import case_identity_set, case_link_send, case_refuse

    actor = subject_of(li.email)
    case = rights_request(actor=actor, kind="complaint", details="Please explain.")
    for act in (
        lambda: case_identity_set(case=case, identity=Identity.VERIFIED_STAFF, actor=actor),
        lambda: case_link_send(case=case, actor=actor),
        lambda: case_refuse(case=case, actor=actor, reason="no"),
    ):
        with pytest.raises(PermissionDenied):
            act()
    case.refresh_from_db()
    assert case.status not in (CaseStatus.REFUSED, CaseStatus.DONE)
