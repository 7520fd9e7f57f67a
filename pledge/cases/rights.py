"""The rights themselves: see, take, correct, withdraw, opt out, erase (P01, P14, P15, P18).

One service per right, called alike by the portal (``actor`` is the ``PortalAccess`` of a
verified link) and by staff working a case (``actor`` is the user, who needs
``manage_cases``). Every action is a case: the portal's are opened and closed at once, verified
by the link; staff record theirs on the case they work. Everything reaches the person's data
through the personal data registry, so nothing registered is left out.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pledge.cases import kinds
from pledge.cases.models import OPEN_STATUSES, Case, CaseChannel, CaseStatus, Identity, PortalLink
from pledge.cases.portal import PortalAccess, link_create
from pledge.cases.services import case_complete, case_open, case_record, staff_check
from pledge.dates import site_date
from pledge.inventory.loader import current_inventory
from pledge.mail.models import Message, MessageStatus, SubscriptionStatus
from pledge.mail.providers import signups_of
from pledge.mail.services import mail_send
from pledge.mail.subscriptions import subscription_end
from pledge.people.models import ConsentMethod, OptOutChannel, OptOutKind, Person, Source
from pledge.people.optouts import (
    opt_out_lift,
    opt_out_set,
    opt_outs_standing,
    tombstone_record,
)
from pledge.people.registry import PersonalDataProvider, providers, registry_erase
from pledge.people.services import consent_record, person_correct, person_email_set
from pledge.vault.audit import audit_record
from pledge.vault.fields import lookup_digests
from pledge.vault.keys import normalise_email


class NotYours(PermissionError):
    """A portal link used for someone else's data, or after it expired."""


def authorise(actor, person: Person):
    """Who acts, for the audit log: the person (or guardian) holding a live link to exactly
    this person, or staff allowed to work cases."""
    if isinstance(actor, PortalAccess):
        if actor.person is None or actor.person.pk != person.pk or not actor.alive():
            raise NotYours("this link does not open this person's data")
        if actor.link.confirms_email:  # until confirmed, it only confirms the new address
            raise NotYours("this link only confirms a new address")
        return actor.label
    staff_check(actor, target=person)
    return actor


def portal_case(access: PortalAccess, kind: str, *, details: str = "") -> Case:
    """The case a portal action belongs to: the case its link was sent for, if it is open and
    of this kind; otherwise a new one, verified by the link."""
    case = access.link.case
    if case is not None and case.kind == kind:
        case.refresh_from_db()
        if case.status in OPEN_STATUSES:
            return case
    return case_open(
        kind=kind,
        channel=CaseChannel.GUARDIAN if access.link.on_behalf else CaseChannel.PORTAL,
        actor=access.label,
        requester_email=access.email,
        person=access.person,
        details=details,
        language=translation.get_language() or access.link.language,
        identity=Identity.VERIFIED_EMAIL,
        acknowledge=False,
    )


def finish(actor, label, case: Case | None, kind: str, action: str, result: dict) -> Case:
    """Close the portal's case at once; note staff's action on the case they work."""
    if isinstance(actor, PortalAccess):
        case = case or portal_case(actor, kind)
        return case_complete(case=case, actor=label, result=result, notify=False)
    if case is not None:
        return case_record(case=case, actor=label, action=action, result=result)
    return None


# --- See: every record, section by section ------------------------------------------------


@dataclass
class Section:
    """One provider's records for the person, with the words to show them."""

    provider: PersonalDataProvider
    records: list[dict] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.provider.key

    @property
    def title(self) -> str:
        return str(self.provider.title or self.provider.key)

    @property
    def description(self) -> str:
        return str(self.provider.description)

    def rows(self) -> list[list[tuple[str, str]]]:
        """Each record as (label, text) pairs in the active language, for people to read."""
        return [present(self.provider, record) for record in self.records]


def sections_of(person: Person) -> list[Section]:
    return [Section(provider, provider.export(person)) for provider in providers()]


def rights_view(*, person: Person, actor) -> list[Section]:
    """Everything held about ``person``, for the portal or a case (audited, P18)."""
    label = authorise(actor, person)
    sections = sections_of(person)
    audit_record(
        actor=label,
        action="person.shown",
        target=person,
        details={"sections": sum(1 for section in sections if section.records)},
    )
    return sections


def rights_view_recorded(*, access: PortalAccess) -> list[Section]:
    """The portal's first page: what is held, and the access request it answers as a case."""
    sections = rights_view(person=access.person, actor=access)
    if access.link.opened_at is None:  # once per link, not per page view
        with transaction.atomic():
            finish(
                access,
                access.label,
                None,
                kinds.ACCESS,
                "shown",
                {"sections": sorted(section.key for section in sections if section.records)},
            )
    return sections


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
        return ", ".join(display(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {display(item)}" for key, item in value.items()) or "—"
    return str(value)


def named(key: str, value):
    """Keys the inventory names (forms, purposes, lists, opt-outs) in the reader's words."""
    inventory = current_inventory()
    if key == "form" and value in inventory.forms:
        return str(inventory.form(value).name)
    if key == "subject" and isinstance(value, str):
        if value.startswith("list:") and value[5:] in inventory.mailing_lists:
            return str(inventory.mailing_list(value[5:]).name)
        if value in inventory.uses:
            return str(inventory.use(value).name)
    if key == "kind" and value in OptOutKind.values:
        return str(OptOutKind(value).label)
    if key == "kind" and (value in inventory.rights.requests or value == kinds.OTHER):
        return kinds.kind_name(value)
    if key == "status" and isinstance(value, str):
        for choices in (CaseStatus, MessageStatus, SubscriptionStatus):
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
    inventory = current_inventory()
    form = inventory.forms.get(form_key)
    parts = []
    for key, value in answers.items():
        label = key
        if form is not None:
            declared = next((f for f in form.field_list if f.key == key), None)
            label = str(declared.label) if declared is not None else key
        parts.append(f"{label}: {display(value)}")
    return "; ".join(parts) or "—"


def present(provider: PersonalDataProvider, record: dict) -> list[tuple[str, str]]:
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


# --- Take: the download -------------------------------------------------------------------


@dataclass
class Archive:
    filename: str
    content: bytes


def rights_archive(*, person: Person, actor, case: Case | None = None) -> Archive:
    """Everything held, as a zip of JSON and CSV with a readme (P18: copy, portability)."""
    from pledge.cases.archive import archive_build

    label = authorise(actor, person)
    language = translation.get_language() or person.language
    with transaction.atomic():
        sections = sections_of(person)
        files = []
        for section in sections:
            if section.provider.files is not None:
                files.extend(section.provider.files(person))
        content = archive_build(person=person, sections=sections, files=files, language=language)
        result = {
            "exported": sorted(section.key for section in sections if section.records),
            "files": len(files),
        }
        finish(actor, label, case, kinds.COPY, "exported", result)
        audit_record(actor=label, action="person.exported", target=person, details=result)
    stamp = site_date().strftime("%Y%m%d")
    return Archive(filename=f"gonex-my-data-{stamp}.zip", content=content)


# --- Correct ------------------------------------------------------------------------------


def rights_correct(*, person: Person, changes: dict, actor, case: Case | None = None) -> list:
    """Correct the person's details (P18); the case notes which fields, not the values."""
    label = authorise(actor, person)
    with transaction.atomic():
        changed = person_correct(person=person, changes=changes, actor=label)
        finish(actor, label, case, kinds.CORRECTION, "corrected", {"corrected": changed})
    return changed


EMAIL_CHANGES_PER_DAY = 3


def rights_email_change_request(*, person: Person, email: str, actor) -> bool:
    """Ask to move to a new address: a link goes to it, and nothing changes until the person
    opens it and confirms (so no one can move a record to an address that is not theirs).
    One such link is live at a time, and a person asks at most three times a day (each sends
    mail to an address of their choosing). Returns False when the address is held already."""
    label = authorise(actor, person)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address.")) from None
    if normalise_email(email) == normalise_email(person.email):
        return False
    now = timezone.now()
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()  # one request at a time
        pending = PortalLink.objects.filter(person=person, confirms_email=True)
        if pending.filter(created_at__gt=now - timedelta(days=1)).count() >= EMAIL_CHANGES_PER_DAY:
            raise ValidationError(
                _(
                    "You asked to change your address three times today. Open the link we sent "
                    "to the new address, or try again tomorrow."
                )
            )
        pending.filter(revoked_at__isnull=True).update(revoked_at=now)
        language = translation.get_language() or person.language
        link_create(email=email, language=language, actor=label, person=person, confirms_email=True)
    return True


def rights_email_change_confirm(*, access: PortalAccess) -> bool:
    """The link sent to the new address was opened and confirmed: the person moves to it.

    What was kept under the old address without naming the person (mail and links sent before
    they were one) is linked to them, so an export or erasure still finds it; unconfirmed
    signups for it go, and every live link to it stops working. The old address is told (if
    the change was not theirs, they can say so). The link then opens the person's privacy page
    like any other. Returns False when it was done already."""
    person, link = access.person, access.link
    if person is None or link.person_id != person.pk or not access.alive():
        raise NotYours("this link does not open this person's data")
    if not link.confirms_email:
        raise NotYours("this link does not confirm an address")
    old_email = person.email
    with transaction.atomic():
        records_under_old_address_claim(person)
        try:
            moved = person_email_set(person=person, email=access.email, actor=access.label)
        except ValueError:
            raise ValidationError(
                _(
                    "We already hold information under this address for someone else, so we "
                    "cannot move yours there by ourselves. Use “Ask us something or complain” "
                    "on your privacy page and we will merge the two with you."
                )
            ) from None
        PortalLink.objects.filter(pk=link.pk).update(confirms_email=False)
        link.confirms_email = False
        if not moved:
            return False
        finish(access, access.label, None, kinds.CORRECTION, "corrected", {"corrected": ["email"]})
        mail_send(
            kind="portal_email_changed",
            to=old_email,
            language=person.language,
            context={"organisation": str(current_inventory().organisation.name)},
            actor=access.label,
            person=person,
        )
    return True


def records_under_old_address_claim(person: Person) -> None:
    """Before ``person`` leaves their address: link to them what is found only by it, drop
    their unconfirmed signups, and stop every live link sent to it."""
    old = person.email or ""
    Message.objects.filter(
        person__isnull=True, hold="", to_index__in=lookup_digests(Message, "to_index", old)
    ).update(person=person)
    to_old = PortalLink.objects.filter(
        email_index__in=lookup_digests(PortalLink, "email_index", old)
    )
    to_old.filter(person__isnull=True).update(person=person)
    to_old.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    for signup in signups_of(person):
        signup.delete()


# --- Withdraw a consent -------------------------------------------------------------------


def consents_standing(person: Person) -> list:
    """The person's latest word per subject, where it is a yes: what can be withdrawn."""
    latest = {}
    for consent in person.consents.order_by("created_at", "id"):
        latest[consent.subject] = consent
    return [consent for consent in latest.values() if consent.granted]


def rights_consent_withdraw(
    *, person: Person, subject: str, actor, case: Case | None = None
) -> bool:
    """Withdraw one consent (P17, P18), recorded with the words shown; a mailing list's
    subscription ends with it (P13)."""
    label = authorise(actor, person)
    if subject not in {consent.subject for consent in consents_standing(person)}:
        return False
    language = translation.get_language() or person.language
    with translation.override(language):
        text = _("I withdraw my consent: %(subject)s") % {"subject": named("subject", subject)}
    with transaction.atomic():
        consent_record(
            person=person,
            subject=subject,
            granted=False,
            text=text,
            language=language,
            method=ConsentMethod.PORTAL if isinstance(actor, PortalAccess) else ConsentMethod.STAFF,
            actor=label,
        )
        if subject.startswith("list:"):
            subscription_end(person=person, list_key=subject[5:], actor=label)
        finish(actor, label, case, kinds.WITHDRAW_CONSENT, "withdrawn", {"withdrawn": [subject]})
    return True


# --- Opt out (P01, P14, P15) --------------------------------------------------------------


def rights_opt_out(
    *,
    person: Person,
    kind: str,
    actor,
    scope: str = "person",
    lift: bool = False,
    case: Case | None = None,
) -> None:
    """Set (or lift) an opt-out for the person, or for their whole organisation where the
    inventory's right covers organisations."""
    label = authorise(actor, person)
    if kind not in kinds.opt_out_kinds():
        raise ValueError(f"this site offers no {kind} opt-out")
    if scope not in kinds.opt_out_scopes(kind) or (
        scope == "organisation" and person.organization is None
    ):
        raise ValueError(f"the {kind} opt-out cannot cover a {scope}")
    if isinstance(actor, PortalAccess):
        channel = OptOutChannel.GUARDIAN if actor.link.on_behalf else OptOutChannel.PORTAL
    else:
        channel = OptOutChannel(case.channel) if case is not None else OptOutChannel.STAFF
    subject = {"person": person} if scope == "person" else {"organization": person.organization}
    with transaction.atomic():
        if lift:
            opt_out_lift(kind=kind, actor=label, **subject)
        else:
            opt_out_set(
                kind=kind,
                actor=label,
                channel=channel,
                requested_by=person if scope == "organisation" else None,
                **subject,
            )
        finish(
            actor,
            label,
            case,
            kinds.opt_out_right(kind),
            "opt_out",
            {"opt_out": kind, "scope": scope, "lifted": lift},
        )


# --- Erase --------------------------------------------------------------------------------


@dataclass
class Kept:
    title: str
    count: int
    records: str
    reason: str
    law: str
    duration: str


@dataclass
class ErasureReport:
    case: Case
    removed: list[tuple[str, int]]
    kept: list[Kept]


def hold_duration(hold) -> str:
    if hold.days:
        return _("%(days)d days") % {"days": hold.days}
    text = str(hold.kept_while or "")
    return text[:1].lower() + text[1:]


def rights_erase(*, person: Person, actor, case: Case | None = None) -> ErasureReport:
    """Erase the person (P18 beyond: PIPL Art. 47, GDPR Art. 17).

    Every provider removes or anonymises its records in one transaction; what the inventory's
    legal holds require stays, with their reason. A keyed fingerprint of the address stays so an
    import cannot bring the person back and their opt-outs keep standing. The audit log says
    who erased whom and how many records went, never what they held. A certificate listing
    what was removed and what was kept, and why, is emailed to the address when it commits.
    """
    label = authorise(actor, person)
    email, language = person.email, person.language
    inventory = current_inventory()
    hold_of = {provider.key: provider.hold for provider in providers()}
    standing = sorted(opt_outs_standing(person)["person"])
    with transaction.atomic():
        if isinstance(actor, PortalAccess):
            case = case or portal_case(actor, kinds.DELETION)
        if case is None:
            raise ValueError("staff erase a person through a case")
        results = registry_erase(person)
        tombstone_record(email=email, opt_outs=standing, erased=True)
        removed = {key: outcome.removed for key, outcome in results.items() if outcome.removed}
        kept = {key: outcome.kept for key, outcome in results.items() if outcome.kept}
        case = case_complete(
            case=case,
            actor=label,
            result={"removed": removed, "kept": kept},
            notify=False,
        )
        audit_record(
            actor=label,
            action="person.erased",
            target=person,
            details={"removed": removed, "kept": kept, "case": case.reference},
        )
        with translation.override(language):
            titles = {provider.key: str(provider.title or provider.key) for provider in providers()}
            report = ErasureReport(
                case=case,
                removed=[(titles[key], count) for key, count in removed.items()],
                kept=[
                    Kept(
                        title=titles[key],
                        count=count,
                        records=str(inventory.legal_hold(hold_of[key]).records),
                        reason=str(inventory.legal_hold(hold_of[key]).reason),
                        law=str(inventory.legal_hold(hold_of[key]).law),
                        duration=hold_duration(inventory.legal_hold(hold_of[key])),
                    )
                    for key, count in kept.items()
                    if hold_of.get(key) in inventory.legal_holds
                ],
            )
            holds = [
                {
                    "records": str(hold.records),
                    "reason": str(hold.reason),
                    "law": str(hold.law),
                    "duration": hold_duration(hold),
                }
                for hold in inventory.legal_holds.values()
            ]
        if email:
            mail_send(
                kind="erasure_certificate",
                to=email,
                language=language,
                context={
                    "reference": case.reference,
                    "erased_at": case.completed_at,
                    "removed": report.removed,
                    "kept": report.kept,
                    "holds": holds,
                    "organisation": str(inventory.organisation.name),
                },
                actor=label,
                hold="rights_requests",
            )
    return report


def rights_suppress(*, access: PortalAccess) -> None:
    """An address Gonex holds nothing about asks never to be contacted (P01): its fingerprint
    is kept, so no import or outreach reaches it later."""
    if not access.alive():
        raise NotYours("this link has expired")
    with transaction.atomic():
        tombstone_record(email=access.email, opt_outs=[OptOutKind.DO_NOT_CONTACT], erased=False)
        audit_record(actor=access.label, action="portal.suppressed", target=access.link)


def rights_request(*, access: PortalAccess, kind: str, details: str) -> Case:
    """Anything the portal cannot do by itself (a complaint, an explanation, closing the
    account): a case for the privacy officer, verified by the link, due when the law says."""
    if not access.alive():
        raise NotYours("this link has expired")
    return case_open(
        kind=kind,
        channel=CaseChannel.GUARDIAN if access.link.on_behalf else CaseChannel.PORTAL,
        actor=access.label,
        requester_email=access.email,
        person=access.person,
        details=details,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        identity=Identity.VERIFIED_EMAIL,
    )


def export_json(sections: list[Section], person: Person) -> str:
    """The machine-readable export: every section's records, as JSON."""
    return json.dumps(
        {
            "format": "pledge-export/1",
            "generated_at": timezone.now().isoformat(),
            "person": str(person.public_id),
            "sections": {
                section.key: {
                    "title": section.title,
                    "description": section.description,
                    "records": section.records,
                }
                for section in sections
            },
        },
        ensure_ascii=False,
        indent=2,
        default=str,
    )
