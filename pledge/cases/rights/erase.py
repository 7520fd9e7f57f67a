"""Erase (P18 beyond: PIPL Art. 47, GDPR Art. 17): every provider removes or anonymises the
person's records; what the inventory's legal holds require stays, with why, in the report and
the certificate emailed to the person."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from pledge.cases import kinds
from pledge.cases.models import Case
from pledge.cases.rights.authorise import authorise, portal_case
from pledge.cases.services import case_complete
from pledge.inventory.loader import current_inventory
from pledge.mail.services import mail_send
from pledge.people.models import Person
from pledge.people.optouts import opt_outs_standing, tombstone_record
from pledge.people.registry import providers, registry_erase
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record


@dataclass
class Kept:
    """What a legal hold keeps, in the person's words: the report is the certificate's content,
    composed in their language and mailed from here, and the portal shows the same."""

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
    """How long a hold keeps its records, as the certificate says it."""
    if hold.days:
        return _("%(days)d days") % {"days": hold.days}
    text = str(hold.kept_while or "")
    return text[:1].lower() + text[1:]


def rights_erase(*, person: Person, actor: Actor, case: Case | None = None) -> ErasureReport:
    """Erase the person (P18 beyond: PIPL Art. 47, GDPR Art. 17).

    Every provider removes or anonymises its records in one transaction; what the inventory's
    legal holds require stays, with their reason. A keyed fingerprint of the address stays so an
    import cannot bring the person back and their opt-outs keep standing. The audit log says
    who erased whom and how many records went, never what they held. A certificate listing
    what was removed and what was kept, and why, is emailed to the address when it commits.
    """
    case = authorise(actor, person, right="erase", case=case)
    email, language = person.email, person.language
    inventory = current_inventory()
    hold_of = {provider.key: provider.hold for provider in providers()}
    standing = sorted(opt_outs_standing(person)["person"])
    with transaction.atomic():
        if actor.is_subject:
            case = case or portal_case(actor, kinds.DELETION)
        results = registry_erase(person)
        tombstone_record(email=email, opt_outs=standing, erased=True)
        removed = {key: outcome.removed for key, outcome in results.items() if outcome.removed}
        kept = {key: outcome.kept for key, outcome in results.items() if outcome.kept}
        case = case_complete(
            case=case,
            actor=actor,
            result={"removed": removed, "kept": kept},
            notify=False,
        )
        audit_record(
            actor=actor,
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
                    "organization": str(inventory.organization.name),
                },
                actor=actor,
                hold="rights_requests",
            )
    return report
