"""The retention twin of the completeness test (P10; issue 15; SECURITY.md P6).

One person has a record in every personal table, all made at one fixed instant. The clock moves
past each declared period in turn; after each ``pledge purge`` exactly the records whose period
has ended are gone, as the person's own export shows, while what is still within its period,
or held, stays; in the end the person goes too, and a standing opt-out stays behind as a
fingerprint. The policy page states the same periods the purge applied.
"""

from datetime import UTC, datetime, timedelta
from html import escape

import pytest
from django.apps import apps
from django.test import Client
from django.utils import translation

from pledge.cases.models import Case, CaseStatus
from pledge.cases.tests.seeding import seed_everything
from pledge.inventory.loader import current_inventory
from pledge.inventory.vocabulary import days_text
from pledge.mail.models import Subscription, SubscriptionStatus
from pledge.people.checks import personal_reasons
from pledge.people.models import Account, Person
from pledge.people.optouts import tombstone_find
from pledge.people.registry import exemptions, registry_export
from pledge.people.retention import retained_models, retention_purge
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

SEEDED_AT = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def private_uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def purge_at(time_machine, instant):
    time_machine.move_to(instant, tick=False)
    return retention_purge(actor=Actor.system("test"), dry_run=False)


def held_sections(person) -> set[str]:
    """The export's sections that still hold something of ``person``."""
    return {key for key, records in registry_export(person).items() if records}


def days(key: str) -> int:
    return current_inventory().retention_days(key)


def test_every_personal_table_has_a_retention_rule():
    """The twin of people.E001: every personal model is emptied by some rule (people.E003)."""
    retained = retained_models()
    exempt = {exemption.model for exemption in exemptions()}
    missing = [
        model._meta.label
        for model in apps.get_models()
        if personal_reasons(model)
        and model._meta.label not in retained
        and model._meta.label not in exempt
    ]
    assert missing == []


HELD_SECTIONS = {
    "intake.submissions",
    "meetings.leads",
    "mail.messages",
    "mail.deliveries",
    "people.consents",
    "tracking.cookie_consents",
    "cases.disclosures",
    "cases.requests",
    "inbox.messages",
}


def test_an_open_request_holds_everything_of_the_person(time_machine):
    time_machine.move_to(SEEDED_AT, tick=False)
    ada = seed_everything("ada").person
    assert held_sections(ada) >= HELD_SECTIONS
    purge_at(time_machine, SEEDED_AT + timedelta(days=days("requests") + 30))
    assert held_sections(Person.objects.get(pk=ada.pk)) >= HELD_SECTIONS


def test_each_period_removes_exactly_what_expired(time_machine):
    time_machine.move_to(SEEDED_AT, tick=False)
    ada = seed_everything("ada").person
    bo_seeded_later_at = SEEDED_AT + timedelta(days=days("people") + 10)
    case = Case.objects.get(person=ada)
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.DONE, completed_at=SEEDED_AT + timedelta(hours=1)
    )

    # A day on: the portal link and its email are gone, the rest stays.
    report = purge_at(time_machine, SEEDED_AT + timedelta(days=2))
    counts = {purged.key: purged.count for purged in report.rules}
    assert counts["cases.portal_links"] == 1
    assert "intake.submissions" in held_sections(ada)

    # After the week a sign-up may wait: unconfirmed sign-ups and minors' forms.
    counts = {p.key: p.count for p in purge_at(time_machine, SEEDED_AT + timedelta(days=8)).rules}
    assert counts["mail.signups"] == 1
    assert counts["intake.guardian_pending"] == 1

    # Six months: page views, the browser they made, sign-in records, mail received.
    sections = held_sections(ada)
    purge_at(time_machine, SEEDED_AT + timedelta(days=days("page_views") + 1))
    after = held_sections(ada)
    assert "tracking.visits" in sections and "tracking.visits" not in after
    assert "inbox.messages" not in after
    assert "intake.submissions" in after and "meetings.leads" in after

    # Two years with no contact (the last was the demo, three days after the form): the form,
    # its lead and meeting, the emails we sent.
    purge_at(time_machine, SEEDED_AT + timedelta(days=days("sales") + 2))
    assert "intake.submissions" in held_sections(ada)
    purge_at(time_machine, SEEDED_AT + timedelta(days=days("sales") + 4))
    after = held_sections(ada)
    assert "intake.submissions" not in after
    assert "meetings.leads" not in after
    assert "mail.deliveries" not in after
    # Their account and their standing subscription keep the person and what stands.
    assert Person.objects.filter(pk=ada.pk).exists()
    assert {"people.person", "people.consents", "people.opt_outs", "mail.subscriptions"} <= after

    # Three years: cookie choices, disclosures, the closed request.
    purge_at(time_machine, SEEDED_AT + timedelta(days=days("requests") + 1))
    after = held_sections(ada)
    assert "tracking.cookie_consents" not in after
    assert "cases.disclosures" not in after
    assert not Case.objects.filter(pk=case.pk).exists()

    # They close their account and leave the list: now nothing keeps them.
    Account.objects.filter(person=ada).delete()
    Subscription.objects.filter(person=ada).update(
        status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=SEEDED_AT + timedelta(days=1)
    )
    purge_at(time_machine, SEEDED_AT + timedelta(days=days("requests") + 2))
    assert not Person.objects.filter(pk=ada.pk).exists()
    # Their opt-out outlives them as a fingerprint, so no list brings them back.
    tombstone = tombstone_find("ada.everything@ada-corp.cn")
    assert tombstone is not None and "affiliate_sharing" in tombstone.opt_outs

    # Someone who arrived later is untouched.
    time_machine.move_to(bo_seeded_later_at, tick=False)
    bo = seed_everything("bo").person
    purge_at(time_machine, bo_seeded_later_at + timedelta(days=1))
    assert "intake.submissions" in held_sections(bo)


def test_a_dry_run_counts_and_deletes_nothing(time_machine):
    time_machine.move_to(SEEDED_AT, tick=False)
    ada = seed_everything("ada").person
    Case.objects.filter(person=ada).update(status=CaseStatus.DONE, completed_at=SEEDED_AT)
    time_machine.move_to(SEEDED_AT + timedelta(days=days("sales") + 4), tick=False)
    report = retention_purge(actor=Actor.system("test"), dry_run=True)
    assert {p.key: p.count for p in report.rules}["intake.submissions"] == 1
    assert "intake.submissions" in held_sections(ada)


def test_the_policy_states_the_periods_the_purge_applies():
    """Each row of the policy's retention table shows the days the purge reads."""
    inventory = current_inventory()
    for language, prefix in (("en", "/en"), ("zh-hans", "")):
        page = Client().get(f"{prefix}/privacy/").content.decode()
        with translation.override(language):
            for key, period in inventory.retention.items():
                kept = inventory.retention_days(key)
                shown = days_text(kept) if kept else ""
                row = f"<tr><td>{escape(period.records.get(language))}</td><td>"
                assert row in page, key
                assert shown in page.split(row, 1)[1].split("</td>", 1)[0], key
