"""The gate's bulk answer (``audience``) is ``may``'s, person by person (P01, P11, P17, P23)."""

import pytest
from django.utils import timezone

from pledge.inventory.models import PolicyVersion
from pledge.inventory.services import policy_publish
from pledge.people import gate
from pledge.people.gate import MAILINGS, audience, may
from pledge.people.models import ConsentMethod, Organization, Person
from pledge.people.services import consent_record, person_create
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.clock, pytest.mark.django_db, pytest.mark.usefixtures("english")]
SYSTEM = Actor.system("test")
MARKETING = "marketing.communications.email"
LIST = "list:newsletter"


@pytest.fixture
def versions():
    """Version 1 declared no marketing, and service notices only on consent (P23: that stays
    so for data collected under it); version 2 (the site) declares both, notices on contract."""
    PolicyVersion.objects.create(
        number=1,
        published_at=timezone.now(),
        material=True,
        summary={"en": "v1"},
        published_by="test",
        content_hash="0" * 64,
        inventory={
            "uses": {
                "essential.service.operations.support": {},
                gate.NOTICE_USE: {"legal_basis": "consent"},
            }
        },
        texts={},
    )
    policy_publish(summary={"en": "v2"}, material=True, published_by="test")


def word(person, subject, granted=True, version=2):
    consent_record(
        person=person,
        subject=subject,
        granted=granted,
        text="words",
        language="en",
        method=ConsentMethod.FORM,
        actor=SYSTEM,
        policy_version=version,
    )


def someone(tag, *, version=2, organization=None, do_not_contact=False):
    person = person_create(
        actor=SYSTEM,
        source="web_form",
        email=f"{tag}@example.cn",
        policy_version=version,
        organization=organization,
    )
    if do_not_contact:
        Person.objects.filter(pk=person.pk).update(do_not_contact=True)
    return Person.objects.get(pk=person.pk)


@pytest.fixture
def everyone(versions):
    """People in every situation the gate tells apart."""
    blocked = Organization.objects.create(domain="blocked.cn", do_not_contact=True)
    people = {}
    people["no_word"] = someone("no-word")
    people["granted"] = someone("granted")
    word(people["granted"], LIST)
    word(people["granted"], gate.NOTICE_USE)
    people["withdrawn"] = someone("withdrawn")
    word(people["withdrawn"], LIST)
    word(people["withdrawn"], LIST, granted=False)
    word(people["withdrawn"], gate.NOTICE_USE, granted=False)
    people["regranted"] = someone("regranted")
    word(people["regranted"], LIST, granted=False)
    word(people["regranted"], LIST)
    people["under_v1"] = someone("under-v1", version=1)
    word(people["under_v1"], LIST, version=1)
    people["v1_then_v2"] = someone("v1-then-v2", version=1)
    word(people["v1_then_v2"], LIST, version=1)
    word(people["v1_then_v2"], LIST, version=2)
    people["v1_notice_consent"] = someone("v1-notice", version=1)
    word(people["v1_notice_consent"], gate.NOTICE_USE, version=2)
    people["no_version"] = someone("no-version", version=None)
    word(people["no_version"], LIST, version=None)
    people["unknown_version"] = someone("unknown-version", version=99)
    word(people["unknown_version"], LIST, version=99)
    people["do_not_contact"] = someone("dnc", do_not_contact=True)
    word(people["do_not_contact"], LIST)
    people["organization"] = someone("org", organization=blocked)
    word(people["organization"], LIST)
    word(people["organization"], gate.NOTICE_USE)
    people["other_list_only"] = someone("other-list")
    word(people["other_list_only"], "list:promotions")
    # P23: agreeing to version 2 makes it theirs; withdrawing the agreement undoes it.
    people["v1_agreed_v2"] = someone("v1-agreed", version=1)
    word(people["v1_agreed_v2"], LIST, version=1)
    word(people["v1_agreed_v2"], "policy:2")
    people["v1_agreed_withdrawn"] = someone("v1-withdrew", version=1)
    word(people["v1_agreed_withdrawn"], "policy:2")
    word(people["v1_agreed_withdrawn"], "policy:2", granted=False)
    people["v1_notice_withdrawn"] = someone("v1-notice-withdrawn", version=1)
    word(people["v1_notice_withdrawn"], gate.NOTICE_USE, version=1)
    word(people["v1_notice_withdrawn"], gate.NOTICE_USE, granted=False, version=2)
    return people


@pytest.mark.parametrize(
    ("mailing", "subject"),
    [
        ("marketing", LIST),
        ("marketing", ""),
        ("service", "list:service_notices"),
        ("service", ""),
        ("policy_notice", ""),
        ("acquisition_notice", ""),
    ],
)
def test_the_bulk_answer_is_mays_for_every_person(everyone, mailing, subject):
    declared = MAILINGS[mailing]
    allowed, excluded = audience(Person.objects.all(), declared, subject)
    for name, person in everyone.items():
        expected = bool(
            may(
                person,
                declared.use,
                required_by_law=declared.required_by_law,
                consent_subject=subject,
            )
        )
        assert (person.pk in allowed) == expected, name
    assert len(allowed) + sum(excluded.values()) == len(everyone)
    assert all(number > 0 for number in excluded.values())


def test_the_reasons_are_counted(everyone):
    _allowed, excluded = audience(Person.objects.all(), MAILINGS["marketing"], LIST)
    assert excluded == {
        gate.DO_NOT_CONTACT: 1,
        gate.ORGANIZATION_DO_NOT_CONTACT: 1,
        # No word, the notice's consent only, the other list only, the agreement withdrawn,
        # the notice's consent withdrawn.
        gate.NO_CONSENT: 5,
        gate.WITHDRAWN: 1,
        gate.NOT_DECLARED: 2,  # consented to the list under version 1, which did not declare it
    }


def test_the_earlier_versions_consent_basis_and_agreements_are_counted(everyone):
    """Service notices rest on contract now, on consent in version 1: data collected under it
    still needs that consent, unless the person agreed to version 2 (P23)."""
    allowed, excluded = audience(Person.objects.all(), MAILINGS["service"])
    assert everyone["v1_agreed_v2"].pk in allowed  # version 2 is theirs now
    assert everyone["v1_notice_consent"].pk in allowed  # gave the consent version 1 needed
    for name in ("under_v1", "v1_then_v2", "v1_agreed_withdrawn"):
        assert everyone[name].pk not in allowed, name
    assert everyone["no_word"].pk in allowed  # collected under version 2: contract
    assert excluded[gate.NO_CONSENT] == 3  # under v1, v1 then v2, the agreement withdrawn
    assert excluded[gate.WITHDRAWN] == 2  # withdrew the notices, in v2 and under v1


def test_required_notices_reach_people_on_do_not_contact(everyone):
    allowed, excluded = audience(Person.objects.all(), MAILINGS["policy_notice"])
    assert set(allowed) == {person.pk for person in everyone.values()} and excluded == {}
    assert may(everyone["do_not_contact"], gate.NOTICE_USE, required_by_law=True)


def test_the_bulk_answer_takes_a_few_queries_whatever_the_list(
    everyone, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        audience(Person.objects.all(), MAILINGS["marketing"], LIST)
