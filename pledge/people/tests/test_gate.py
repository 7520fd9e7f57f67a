"""The purpose gate refuses when it should (P01, P11, P12, P17, P23)."""

import pytest

from pledge.inventory.services import policy_publish
from pledge.people.gate import may
from pledge.people.models import ConsentMethod, Organization
from pledge.people.services import consent_record, person_create
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def person():
    version = policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    return person_create(
        actor=Actor.system("test"),
        source="web_form",
        email="p@example-org.cn",
        policy_version=version.number,
    )


def consent(person, use, granted=True, version=1):
    consent_record(
        person=person,
        subject=use,
        granted=granted,
        text="I agree.",
        language="en",
        method=ConsentMethod.FORM,
        actor=Actor.system("test"),
        policy_version=version,
    )


def test_an_undeclared_purpose_is_refused_and_selling_does_not_exist_p12(person):
    assert not may(person, "third_party_sharing.sale")
    assert "not a purpose declared" in may(person, "advertising.profiling").reason


def test_a_consent_purpose_needs_a_consent_p11(person):
    assert not may(person, "marketing.communications.email")
    consent(person, "marketing.communications.email")
    assert may(person, "marketing.communications.email")


def test_a_withdrawn_consent_refuses_again_p17(person):
    consent(person, "sales")
    consent(person, "sales", granted=False)
    assert not may(person, "sales")


def test_do_not_contact_stops_every_contact_use_p01(person):
    consent(person, "sales")
    consent(person, "marketing.communications.email")
    person.do_not_contact = True
    person.save()
    assert not may(person, "sales")
    assert not may(person, "marketing.communications.email")
    assert may(person, "essential.service.security")  # not a contact: still allowed


def test_an_organization_on_do_not_contact_covers_its_people_p01(person):
    consent(person, "sales")
    person.organization = Organization.objects.create(domain="example-org.cn", do_not_contact=True)
    person.save()
    decision = may(person, "sales")
    assert not decision and "organisation" in decision.reason


def test_a_use_declared_only_later_is_refused_for_older_data_p23(person, use_site):
    """Data collected under version 1; version 2 adds a purpose: the older data may not serve it."""
    use_site.edit(
        '[uses."essential.legal_obligation"]',
        '[uses."functional.service.personalize"]\n'
        'name = { zh-hans = "个性化", en = "Personalising the site" }\n'
        'legal_basis = "legitimate_interests"\nextension = true\n\n[uses."essential.legal_obligation"]',
    )
    policy_publish(summary={"en": "v2"}, material=True, published_by="test")
    decision = may(person, "functional.service.personalize")
    assert not decision and "(P23)" in decision.reason
    consent(person, "functional.service.personalize", version=2)
    assert may(person, "functional.service.personalize")


def test_a_bundled_word_from_sending_a_form_counts_only_for_the_request_pipl_14(person):
    """Forms used to record sending them as consent to all their purposes: such a word still
    counts for answering the request, never for sales follow-up, which needs its own box."""
    for use in ("essential.service.operations.support", "sales"):
        consent_record(
            person=person,
            subject=use,
            granted=True,
            text="Sending this form",
            language="en",
            method=ConsentMethod.FORM_SUBMISSION,
            actor=Actor.system("test"),
            form="contact",
        )
    assert may(person, "essential.service.operations.support")
    assert not may(person, "sales")
    consent_record(
        person=person,
        subject="sales",
        granted=True,
        text="Yes, tell me about other products",
        language="en",
        method=ConsentMethod.FORM,
        actor=Actor.system("test"),
        form="contact",
    )
    assert may(person, "sales")
