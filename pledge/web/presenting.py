"""The privacy portal's words for what is held: each exported record as (label, text) rows a
person reads, in the active language and the reader's local time.

The records themselves come from the rights services (``pledge.cases.rights``) exactly as the
providers export them (ISO times, keys); only here do they become words. The console shows no
record rows: the words both presentations need (what a consent is to) are the domain's
``subject_name``, since the withdrawal is recorded with them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pledge.cases import kinds
from pledge.cases.models import CaseChannel, CaseStatus
from pledge.cases.rights import Section, subject_name
from pledge.intake.models import GuardianState
from pledge.inventory import labels
from pledge.inventory.loader import current_inventory
from pledge.mail.kinds import KIND_NAMES, message_kind_name
from pledge.mail.models import MessageStatus, SubscriptionStatus
from pledge.meetings.models import LeadStatus, MeetingMode, MeetingStatus
from pledge.people.models import ConsentMethod, OptOutKind, Source
from pledge.people.registry import PersonalDataProvider

SCOPES = {"person": gettext_lazy("you"), "organisation": gettext_lazy("your whole organisation")}


def moment(value: str) -> str | None:
    """An exported time (ISO 8601, UTC) as the reader's local time, or None if it is not one."""
    if len(value) < 19 or value[4] != "-" or value[10] != "T":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")


def display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and (local := moment(value)):
        return local
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return labels.words_join(display(item) for item in value) or "—"
    if isinstance(value, dict):
        return labels.words_join(f"{key}: {display(item)}" for key, item in value.items()) or "—"
    return str(value)


RECORD_NAMES = {
    "lead": gettext_lazy("Request to our sales team"),
    "note": gettext_lazy("Note by our staff"),
    "meeting": gettext_lazy("Meeting"),
}


def named(key: str, value):
    """Keys the inventory names (forms, purposes, lists, opt-outs) in the reader's words."""
    inventory = current_inventory()
    if key == "form" and isinstance(value, str):
        return labels.form_name(value)
    if key == "record" and value in RECORD_NAMES:
        return str(RECORD_NAMES[value])
    if key == "language" and isinstance(value, str):
        return labels.language_name(value)
    if key == "mode" and value in MeetingMode.values:
        return str(MeetingMode(value).label)
    if key == "guardian" and value in GuardianState.values:
        return str(GuardianState(value).label)
    if key == "kind" and value in KIND_NAMES:
        return message_kind_name(value)
    if key in ("purposes", "purpose") and isinstance(value, list):
        return [labels.use_name(item) for item in value]
    if key in ("categories", "category") and isinstance(value, list):
        return [labels.category_name(item) for item in value]
    if key == "subject" and isinstance(value, str):
        return subject_name(value)
    if key == "kind" and value in OptOutKind.values:
        return str(OptOutKind(value).label)
    if key == "kind" and (value in inventory.rights.requests or value == kinds.OTHER):
        return kinds.kind_name(value)
    if key == "status" and isinstance(value, str):
        for choices in (CaseStatus, MessageStatus, SubscriptionStatus, LeadStatus, MeetingStatus):
            if value in choices.values:
                return str(choices(value).label)
    if key == "channel" and value in CaseChannel.values:
        return str(CaseChannel(value).label)
    if key == "scope" and value in SCOPES:
        return str(SCOPES[value])
    if key == "source" and value in Source.values:
        return str(Source(value).label)
    if key == "method" and value in ConsentMethod.values:
        return str(ConsentMethod(value).label)
    return value


def answers_named(form_key: str, answers: dict) -> str:
    """A form's answers in words, each under its declared label (the inventory's ``labels``)."""
    return labels.answers_line(form_key, answers) or "—"


def present(provider: PersonalDataProvider, record: dict) -> list[tuple[str, str]]:
    """One record as (label, text) pairs in the active language, for people to read."""
    rows = []
    for key, value in record.items():
        if key == "id":
            continue
        label = str(provider.labels.get(key, key.replace("_", " ")))
        if key == "answers" and isinstance(value, dict) and "form" in record:
            rows.append((label, answers_named(record["form"], value)))
        else:
            rows.append((label, display(named(key, value))))
    return rows


@dataclass
class Shown:
    """A section as the portal page shows it: its title, description, records and their rows."""

    section: Section

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def title(self) -> str:
        return self.section.title

    @property
    def description(self) -> str:
        return self.section.description

    @property
    def records(self) -> list[dict]:
        return self.section.records

    def rows(self) -> list[list[tuple[str, str]]]:
        return [present(self.section.provider, record) for record in self.section.records]


def shown(sections: list[Section]) -> list[Shown]:
    return [Shown(section) for section in sections]
