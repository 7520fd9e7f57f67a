"""Shares keep the promises of the version data was collected under (P23), and ask for the
separate consents PIPL requires (Art. 23 for another handler, Art. 38-39 for a recipient abroad):
a recipient added later does not receive earlier people, a category added later stays out of
their cells, a recipient moved abroad needs their consent to that, an affiliate their consent to
sharing; who agreed to the newer version is treated under it. ``share_audience`` answers as
``may_share`` does, person by person."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledge.cases.disclosures import share_export, share_plan
from pledge.cases.models import Disclosure
from pledge.inventory.services import policy_publish
from pledge.people import gate
from pledge.people.agreements import policy_agree
from pledge.people.gate import may_share, share_audience
from pledge.people.models import ConsentMethod, OptOutChannel, OptOutKind, Organization, Person
from pledge.people.optouts import opt_out_set
from pledge.people.services import consent_record
from pledge.people.tests.factories import demo_requester
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english"), pytest.mark.clock]
SYSTEM = Actor.system("test")
PHONE = "+86 138 0013 8000"
EVENT_PARTNER = (
    "[processors.event_partner]\n"
    'name = { zh-hans = "活动合作方", en = "Event partners" }\n'
    'function = { zh-hans = "举办我们的产品活动", en = "Running our product events" }\n'
    'purposes = ["sales"]\n'
    'categories = ["user.name", "user.contact.email"]\n'
    'contract = "data processing agreement on file"\n\n'
)


def publish(summary: str) -> int:
    return policy_publish(summary={"en": summary}, material=True, published_by="test").number


@pytest.fixture
def acme(db):
    return Organization.objects.create(name="Acme Robots", domain="acme-robots.cn")


@pytest.fixture
def requester(acme):
    """Someone who sent the demo form (consent to sales) under a given version."""

    def make(tag: str, version: int) -> Person:
        return demo_requester(
            tag, organization=acme, policy_version=version, name=f"{tag.title()} Han", phone=PHONE
        )

    return make


@pytest.fixture
def assessed(request):
    """Impact assessments of every processing as declared now (call it after the last edit)."""
    return lambda: request.getfixturevalue("impact_assessments")


def word(person, subject, *, granted=True):
    consent_record(
        person=person,
        subject=subject,
        granted=granted,
        text="I agree.",
        language="en",
        method=ConsentMethod.FORM,
        actor=SYSTEM,
        policy_version=person.policy_version,
    )


def rows(share) -> dict[str, dict]:
    return {row["email"]: row for row in csv.DictReader(io.StringIO(share.csv()))}


def officer_actor(privacy_officer):
    return Actor.staff(privacy_officer)


# --- Recipients ---------------------------------------------------------------------------------


def test_a_recipient_added_later_does_not_receive_earlier_people(
    use_site, requester, assessed, privacy_officer
):
    first = publish("v1")
    early = requester("early", first)
    use_site.edit("[affiliates.group]", EVENT_PARTNER + "[affiliates.group]")
    second = publish("v2: event partners")
    late = requester("late", second)
    assessed()
    share = share_export(key="event_partner", actor=officer_actor(privacy_officer))
    assert set(rows(share)) == {"late@acme-robots.cn"}
    assert share.left_out == {gate.RECIPIENT_NOT_DECLARED: 1}
    assert not Disclosure.objects.filter(person=early).exists()
    assert Disclosure.objects.filter(person=late, recipient="event_partner").exists()
    decision = may_share(early, "event_partner")
    assert (
        not decision
        and decision.code == gate.RECIPIENT_NOT_DECLARED
        and "(P23)" in (decision.reason)
    )
    # Once the person agrees to version 2, it is theirs: the recipient it declares may receive.
    assert policy_agree(person=early, number=second, language="en", actor=SYSTEM) is not None
    again = share_plan(key="event_partner", actor=officer_actor(privacy_officer))
    assert {person.email for person in again.people} == {
        "early@acme-robots.cn",
        "late@acme-robots.cn",
    }
    assert again.left_out == {}


def test_a_category_added_to_a_recipient_is_not_in_earlier_peoples_cells(
    use_site, requester, assessed, privacy_officer
):
    first = publish("v1")
    early = requester("early", first)
    use_site.edit_in(
        "processors.list_purchase",
        'categories = ["user.name", "user.contact.email", "user.workplace"]',
        'categories = ["user.name", "user.contact.email", "user.contact.phone_number", '
        '"user.workplace"]',
    )
    second = publish("v2: phones to list suppliers")
    late = requester("late", second)
    assessed()
    share = share_export(key="list_purchase", actor=officer_actor(privacy_officer))
    assert share.columns == ["name", "email", "phone", "organisation"]
    file = rows(share)
    # Left in the file with what both versions allow, the phone cell empty: the recipient
    # still gets what it may, and nothing more.
    assert file["early@acme-robots.cn"]["phone"] == ""
    assert file["early@acme-robots.cn"]["name"] == "Early Han"
    assert file["late@acme-robots.cn"]["phone"] == PHONE
    assert Disclosure.objects.get(person=early).categories == [
        "user.name",
        "user.contact.email",
        "user.workplace",
    ]
    assert "user.contact.phone_number" in Disclosure.objects.get(person=late).categories
    assert may_share(early, "list_purchase").categories == (
        "user.name",
        "user.contact.email",
        "user.workplace",
    )


def test_a_recipient_moved_abroad_needs_consent_to_that(
    use_site, requester, assessed, privacy_officer
):
    first = publish("v1")
    early = requester("early", first)
    early_agreed = requester("early-agreed", first)
    word(early_agreed, gate.abroad_subject("market_intelligence"))
    use_site.edit_in(
        "processors.market_intelligence",
        'contract = "data processing agreement on file"',
        'contract = "data processing agreement on file"\ncountry = "SG"',
    )
    second = publish("v2: market intelligence from Singapore")
    late = requester("late", second)
    late_agreed = requester("late-agreed", second)
    word(late_agreed, gate.abroad_subject("market_intelligence"))
    assessed()
    share = share_plan(key="market_intelligence", actor=officer_actor(privacy_officer))
    assert {person.pk for person in share.people} == {early_agreed.pk, late_agreed.pk}
    assert share.left_out == {gate.NO_ABROAD_CONSENT: 2}
    assert may_share(early, "market_intelligence").code == gate.NO_ABROAD_CONSENT
    assert may_share(late, "market_intelligence").code == gate.NO_ABROAD_CONSENT
    # Withdrawing the consent to the transfer takes the person out again.
    word(late_agreed, gate.abroad_subject("market_intelligence"), granted=False)
    assert not may_share(late_agreed, "market_intelligence")


def test_a_recipient_that_was_abroad_when_data_was_collected_still_needs_that_consent(
    use_site, requester, assessed, privacy_officer
):
    use_site.edit_in(
        "processors.market_intelligence",
        'contract = "data processing agreement on file"',
        'contract = "data processing agreement on file"\ncountry = "SG"',
    )
    first = publish("v1: market intelligence from Singapore")
    early = requester("early", first)
    use_site.edit_in("processors.market_intelligence", 'country = "SG"', 'country = "CN"')
    second = publish("v2: market intelligence at home")
    late = requester("late", second)
    assessed()
    share = share_plan(key="market_intelligence", actor=officer_actor(privacy_officer))
    assert [person.pk for person in share.people] == [late.pk]
    assert share.left_out == {gate.NO_ABROAD_CONSENT: 1}
    assert may_share(early, "market_intelligence").code == gate.NO_ABROAD_CONSENT


# --- Affiliates and processors ------------------------------------------------------------------


def test_an_affiliate_needs_the_separate_consent_and_the_opt_out_still_applies(
    requester, impact_assessments, privacy_officer
):
    version = publish("v1")
    consented = requester("consented", version)
    word(consented, gate.share_subject("group"))
    silent = requester("silent", version)
    opted_out = requester("opted-out", version)
    word(opted_out, gate.share_subject("group"))
    opt_out_set(
        kind=OptOutKind.AFFILIATE_SHARING,
        actor=SYSTEM,
        channel=OptOutChannel.PORTAL,
        person=opted_out,
    )
    share = share_plan(key="group", actor=officer_actor(privacy_officer))
    assert [person.pk for person in share.people] == [consented.pk]
    assert share.left_out == {gate.NO_SHARE_CONSENT: 1, gate.OPTED_OUT: 1}
    assert share.opted_out == 1 and share.not_allowed == 1
    assert may_share(silent, "group").code == gate.NO_SHARE_CONSENT
    assert may_share(opted_out, "group").code == gate.OPTED_OUT
    # A processor (entrusted processing, Art. 21) needs no separate consent.
    processor = share_plan(key="lead_generation", actor=officer_actor(privacy_officer))
    assert {person.pk for person in processor.people} == {consented.pk, silent.pk, opted_out.pk}


# --- The bulk answer is may_share's -----------------------------------------------------------


@pytest.fixture
def crowd(use_site, requester, acme):
    """People in every situation a share tells apart, across two versions: version 2 adds a
    recipient and a category, moves one abroad."""
    first = publish("v1")
    people = {}
    people["early"] = requester("early", first)
    people["early_everything"] = requester("early-everything", first)
    for key in ("group", "market_intelligence"):
        word(people["early_everything"], gate.share_subject(key))
        word(people["early_everything"], gate.abroad_subject(key))
    people["early_opted_out"] = requester("early-opted-out", first)
    word(people["early_opted_out"], gate.share_subject("group"))
    opt_out_set(
        kind=OptOutKind.AFFILIATE_SHARING,
        actor=SYSTEM,
        channel=OptOutChannel.EMAIL,
        person=people["early_opted_out"],
    )
    people["early_no_sales"] = requester("early-no-sales", first)
    word(people["early_no_sales"], "sales", granted=False)
    people["unversioned"] = requester("unversioned", first)
    Person.objects.filter(pk=people["unversioned"].pk).update(policy_version=None)
    people["unknown_version"] = requester("unknown-version", first)
    Person.objects.filter(pk=people["unknown_version"].pk).update(policy_version=99)
    use_site.edit("[affiliates.group]", EVENT_PARTNER + "[affiliates.group]")
    use_site.edit_in(
        "processors.list_purchase",
        'categories = ["user.name", "user.contact.email", "user.workplace"]',
        'categories = ["user.name", "user.contact.email", "user.contact.phone_number", '
        '"user.workplace"]',
    )
    use_site.edit_in(
        "processors.market_intelligence",
        'contract = "data processing agreement on file"',
        'contract = "data processing agreement on file"\ncountry = "SG"',
    )
    second = publish("v2")
    people["early_agreed"] = requester("early-agreed", first)
    policy_agree(person=people["early_agreed"], number=second, language="en", actor=SYSTEM)
    people["late"] = requester("late", second)
    people["late_everything"] = requester("late-everything", second)
    for key in ("group", "market_intelligence"):
        word(people["late_everything"], gate.share_subject(key))
        word(people["late_everything"], gate.abroad_subject(key))
    people["late_dnc"] = requester("late-dnc", second)
    Person.objects.filter(pk=people["late_dnc"].pk).update(do_not_contact=True)
    return {name: Person.objects.get(pk=person.pk) for name, person in people.items()}


@pytest.mark.parametrize(
    "key",
    [
        "list_purchase",
        "customer_data_analysis",
        "market_intelligence",
        "lead_generation",
        "event_partner",
        "group",
        "no_such_recipient",
    ],
)
def test_the_bulk_answer_is_may_shares_for_every_person(crowd, key):
    allowed, excluded = share_audience(Person.objects.all(), key)
    counted: dict[str, int] = {}
    for name, person in crowd.items():
        decision = may_share(person, key)
        assert (person.pk in allowed) == bool(decision), name
        if decision:
            assert allowed[person.pk] == decision.categories, name
        else:
            counted[decision.code] = counted.get(decision.code, 0) + 1
    assert excluded == counted


def test_the_crowd_is_shared_as_each_version_allows(crowd, assessed, privacy_officer):
    assessed()
    allowed, excluded = share_audience(Person.objects.all(), "event_partner")
    names = {person.pk: name for name, person in crowd.items()}
    assert {names[pk] for pk in allowed} == {
        "early_agreed",
        "late",
        "late_everything",
        "unversioned",
        "unknown_version",
    }
    assert excluded == {gate.RECIPIENT_NOT_DECLARED: 4, gate.PURPOSE_REFUSED: 1}
    allowed, _excluded = share_audience(Person.objects.all(), "group")
    assert {names[pk] for pk in allowed} == {"early_everything", "late_everything"}


def test_a_share_costs_the_same_queries_whatever_the_list(crowd, requester, privacy_officer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            share_audience(Person.objects.all(), "group")
        return len(captured)

    few = queries()
    for number in range(20):
        word(requester(f"more-{number}", 2), gate.share_subject("group"))
    assert queries() == few


# --- What the staff read ----------------------------------------------------------------------


def test_the_command_and_the_console_name_the_reasons_in_words(
    requester, impact_assessments, privacy_officer, client_for, capsys
):
    version = publish("v1")
    word(requester("consented", version), gate.share_subject("group"))
    requester("silent", version)
    call_command("share", "group", output="/dev/null")
    err = capsys.readouterr().err
    assert "1 person" in err and "no separate consent to sharing with this affiliate: 1" in err
    assert gate.NO_SHARE_CONSENT not in err
    officer = client_for(privacy_officer)
    page = officer.get("/en/console/disclosures/", {"plan": "group"})
    assert page.status_code == 200
    assert "no separate consent to sharing with this affiliate" in page.text
    assert gate.NO_SHARE_CONSENT not in page.text
    chinese = officer.get("/console/disclosures/", {"plan": "group"})
    assert "没有单独同意向该关联公司提供" in chinese.text
    unknown = officer.get("/en/console/disclosures/", {"plan": "data_broker"})
    assert unknown.status_code == 400 and "No processor or affiliate" in unknown.text
