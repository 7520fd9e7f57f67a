"""P23 for the whole declaration: data collected under a version keeps that version's protection,
dimension by dimension, until the person agrees to a newer one; ``audience`` still answers as
``may`` does, person by person."""

import pytest
from django.utils import translation

from pledge.inventory.services import policy_publish
from pledge.people import gate
from pledge.people.agreements import policy_agree, policy_agreement, protection_reduced
from pledge.people.gate import MAILINGS, Mailing, audience, may
from pledge.people.models import Consent, ConsentMethod, Person
from pledge.people.services import consent_record, person_create
from pledge.people.versions import (
    person_version,
    policy_subject,
    policy_subject_name,
    version_inventory,
)
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
SYSTEM = Actor.system("test")
INSIGHTS = "analytics.reporting.campaign_insights"
IMPROVE = "functional.service.improve"


def publish(summary: str):
    return policy_publish(summary={"en": summary}, material=True, published_by="test").number


def someone(tag: str, version: int | None) -> Person:
    return person_create(
        actor=SYSTEM, source="web_form", email=f"{tag}@example.cn", policy_version=version
    )


def word(person, subject, *, granted=True, version=None):
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


def fresh(person) -> Person:
    return Person.objects.get(pk=person.pk)


def insights_on_legitimate_interests(site):
    """The weakening change: campaign insights no longer ask for consent."""
    site.edit_in(
        f'uses."{INSIGHTS}"', 'legal_basis = "consent"', 'legal_basis = "legitimate_interests"'
    )


def assert_bulk_equals_may(people, use, consent_subject=""):
    allowed, excluded = audience(
        Person.objects.filter(pk__in=[p.pk for p in people]),
        Mailing(use, False, False),
        consent_subject,
    )
    for person in people:
        assert (person.pk in allowed) == bool(
            may(fresh(person), use, consent_subject=consent_subject)
        ), person.email
    assert len(allowed) + sum(excluded.values()) == len(people)


# --- Legal basis --------------------------------------------------------------------------------


def test_a_use_moved_from_consent_to_legitimate_interests_stays_refused_without_consent(use_site):
    first = publish("v1")
    earlier = someone("earlier", first)
    insights_on_legitimate_interests(use_site)
    second = publish("v2: insights on legitimate interests")
    later = someone("later", second)
    decision = may(earlier, INSIGHTS)
    assert not decision and "(P23)" in decision.reason
    assert f"version {first}" in decision.reason
    assert may(later, INSIGHTS)  # collected under the version that says so
    word(earlier, INSIGHTS, version=second)
    assert may(fresh(earlier), INSIGHTS)  # the person's own consent still opens it
    word(earlier, INSIGHTS, granted=False, version=second)
    assert not may(fresh(earlier), INSIGHTS)


def test_the_bulk_answer_keeps_the_earlier_basis_too(use_site):
    first = publish("v1")
    earlier = someone("earlier", first)
    consented = someone("consented", first)
    word(consented, INSIGHTS, version=first)
    withdrawn = someone("withdrawn", first)
    word(withdrawn, INSIGHTS, version=first)
    word(withdrawn, INSIGHTS, granted=False, version=first)
    insights_on_legitimate_interests(use_site)
    second = publish("v2")
    later = someone("later", second)
    agreed = someone("agreed", first)
    policy_agree(person=agreed, number=second, language="en", actor=SYSTEM)
    people = [earlier, consented, withdrawn, later, agreed]
    assert_bulk_equals_may(people, INSIGHTS)
    allowed, excluded = audience(Person.objects.all(), Mailing(INSIGHTS, False, False))
    assert set(allowed) == {consented.pk, later.pk, agreed.pk}
    assert excluded == {gate.NO_CONSENT: 1, gate.WITHDRAWN: 1}


def test_a_use_added_on_legitimate_interests_is_refused_for_older_data(use_site):
    """The earlier rule, now read through the helper: a use only a newer version declared."""
    first = publish("v1")
    earlier = someone("earlier", first)
    use_site.edit(
        '[uses."essential.legal_obligation"]',
        '[uses."functional.service.personalize"]\n'
        'name = { zh-hans = "个性化", en = "Personalising the site" }\n'
        'legal_basis = "legitimate_interests"\nextension = true\n\n'
        '[uses."essential.legal_obligation"]',
    )
    second = publish("v2")
    later = someone("later", second)
    assert not may(earlier, "functional.service.personalize")
    assert may(later, "functional.service.personalize")
    assert_bulk_equals_may([earlier, later], "functional.service.personalize")


# --- Agreeing to the newer version -------------------------------------------------------------


def test_a_person_who_agreed_is_then_treated_under_the_new_version(use_site):
    first = publish("v1")
    earlier = someone("earlier", first)
    insights_on_legitimate_interests(use_site)
    second = publish("v2")
    assert person_version(earlier) == first
    agreement = policy_agreement(earlier, second, "en")
    assert agreement is not None and agreement.held_under == first
    consent = policy_agree(person=earlier, number=second, language="en", actor=SYSTEM)
    assert consent.subject == policy_subject(second) and consent.granted
    assert consent.text == agreement.text and "Learning how visitors find us" in consent.text
    assert consent.method == ConsentMethod.DOUBLE_OPT_IN and consent.policy_version == second
    assert person_version(earlier) == second
    assert may(fresh(earlier), INSIGHTS)
    # Nothing more to agree to: a second agreement records nothing.
    assert policy_agree(person=earlier, number=second, language="en", actor=SYSTEM) is None
    assert Consent.objects.filter(subject=policy_subject(second)).count() == 1


def test_withdrawing_the_agreement_brings_the_earlier_protection_back(use_site):
    first = publish("v1")
    earlier = someone("earlier", first)
    insights_on_legitimate_interests(use_site)
    second = publish("v2")
    policy_agree(person=earlier, number=second, language="en", actor=SYSTEM)
    word(earlier, policy_subject(second), granted=False, version=second)
    assert person_version(earlier) == first
    assert not may(fresh(earlier), INSIGHTS)
    assert_bulk_equals_may([earlier], INSIGHTS)


def test_nothing_to_agree_to_without_an_earlier_promise_or_a_weaker_version(use_site):
    first = publish("v1")
    earlier = someone("earlier", first)
    unversioned = someone("unversioned", None)
    use_site.edit_in("forms.demo.fields.email", "retention_days = 730", "retention_days = 365")
    second = publish("v2: shorter")
    assert policy_agreement(earlier, second, "en") is None  # only stronger
    assert policy_agreement(unversioned, second, "en") is None  # no earlier promise
    assert policy_agreement(earlier, first, "en") is None  # not a later version
    assert policy_agreement(earlier, 99, "en") is None  # never published
    assert policy_agree(person=earlier, number=second, language="en", actor=SYSTEM) is None
    assert not Consent.objects.filter(subject__startswith="policy:").exists()


# --- What reduces protection, in words ----------------------------------------------------------


def reductions_after(use_site, edit) -> list:
    first = publish("v1")
    edit(use_site)
    second = publish("v2")
    return protection_reduced(version_inventory(first), version_inventory(second))


@pytest.mark.parametrize(
    ("edit", "dimension", "words"),
    [
        (insights_on_legitimate_interests, "legal_basis", "would no longer ask for your consent"),
        (
            lambda site: site.edit_in(
                "processors.list_purchase",
                'categories = ["user.name", "user.contact.email", "user.workplace"]',
                'categories = ["user.name", "user.contact.email", "user.contact.phone_number", '
                '"user.workplace"]',
            ),
            "category",
            "Customer list suppliers could also receive: Phone number.",
        ),
        (
            lambda site: site.edit_in(
                "processors.market_intelligence",
                'contract = "data processing agreement on file"',
                'contract = "data processing agreement on file"\ncountry = "SG"',
            ),
            "abroad",
            "Market intelligence providers would receive your data and process it abroad.",
        ),
        (
            lambda site: site.edit(
                "[affiliates.group]",
                "[processors.event_partner]\n"
                'name = { zh-hans = "活动合作方", en = "Event partners" }\n'
                'function = { zh-hans = "举办产品活动", en = "Running our product events" }\n'
                'purposes = ["sales"]\ncategories = ["user.name", "user.contact.email"]\n'
                'contract = "data processing agreement on file"\n\n[affiliates.group]',
            ),
            "recipient",
            "Your data could be shared with a new recipient: Event partners.",
        ),
        (
            lambda site: site.edit_in(
                "forms.demo.fields.email", "retention_days = 730", "retention_days = 1095"
            ),
            "retention",
            "“Email address” of “Book a free demo” would be kept 1095 days instead of 730.",
        ),
    ],
)
def test_each_weakening_is_named_in_words_people_understand(use_site, edit, dimension, words):
    found = reductions_after(use_site, edit)
    assert [reduction.dimension for reduction in found] == [dimension]
    assert words in found[0].words


def test_the_reductions_read_in_chinese_too(use_site):
    first = publish("v1")
    use_site.edit_in(
        "processors.list_purchase",
        'categories = ["user.name", "user.contact.email", "user.workplace"]',
        'categories = ["user.name", "user.contact.email", "user.contact.phone_number", '
        '"user.workplace"]',
    )
    second = publish("v2")
    with translation.override("zh-hans"):
        found = protection_reduced(version_inventory(first), version_inventory(second))
    assert "客户名单供应商" in found[0].words and "电话号码" in found[0].words


def test_a_stronger_version_reduces_nothing(use_site):
    first = publish("v1")
    use_site.edit_in("forms.demo.fields.email", "retention_days = 730", "retention_days = 365")
    use_site.edit_in(
        "processors.list_purchase",
        'categories = ["user.name", "user.contact.email", "user.workplace"]',
        'categories = ["user.name", "user.workplace"]',
    )
    second = publish("v2")
    assert protection_reduced(version_inventory(first), version_inventory(second)) == []
    assert protection_reduced(None, version_inventory(second)) == []


# --- Reading a version ------------------------------------------------------------------------


def test_a_version_is_read_once_and_cannot_be_changed_through_the_helper(
    use_site, django_assert_max_num_queries
):
    first = publish("v1")
    declared = version_inventory(first)
    assert declared["uses"][INSIGHTS]["legal_basis"] == "consent"
    with pytest.raises(TypeError):
        declared["uses"][INSIGHTS] = {}
    with django_assert_max_num_queries(1):  # the check that it is still the same version
        assert version_inventory(first) is declared
    assert version_inventory(None) is None and version_inventory(99) is None


def test_the_policy_notice_mailing_is_not_stopped_by_an_earlier_version(use_site):
    first = publish("v1")
    earlier = someone("earlier", first)
    assert may(earlier, gate.NOTICE_USE, required_by_law=True)
    allowed, _excluded = audience(Person.objects.all(), MAILINGS["policy_notice"])
    assert allowed == [earlier.pk]


def test_an_agreement_is_named_in_words_where_consents_are_listed():
    assert (
        policy_subject_name(policy_subject(3))
        == "Version 3 of the privacy policy, for the data held about you"
    )
    with translation.override("zh-hans"):
        assert policy_subject_name("policy:3") == "隐私政策第 3 版（适用于我们持有的您的数据）"
    assert policy_subject_name("sales") is None and policy_subject_name("policy:x") is None
