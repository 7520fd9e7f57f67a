"""The cases app's personal data: the person's requests (kept, by law, after erasure) and
their portal links (removed). Registered from ``CasesConfig.ready``."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pledge.cases.models import Case, Disclosure, PortalLink
from pledge.inventory.loader import current_inventory
from pledge.people.registry import Erased, PersonalDataProvider, provider_register, when
from pledge.vault.fields import lookup_digests

HOLD = "rights_requests"  # the inventory's [legal_holds.rights_requests]
DISCLOSURE_HOLD = "processing_records"  # [legal_holds.processing_records]


def cases_export(person) -> list[dict]:
    return [
        {
            "reference": case.reference,
            "kind": case.kind,
            "channel": case.channel,
            "status": case.status,
            "identity": case.identity,
            "details": case.details,
            "resolution": case.resolution,
            "opened_at": when(case.opened_at),
            "due_at": when(case.due_at),
            "completed_at": when(case.completed_at),
        }
        for case in Case.objects.filter(person_id=person.pk).order_by("opened_at", "id")
    ]


def cases_erase(person) -> Erased:
    """Kept: the law asks us to show we handled each request. Unlinked from the person, so
    nothing finds them through the person any more; their own fields stay encrypted."""
    kept = Case.objects.filter(person_id=person.pk).update(person=None, hold=HOLD)
    return Erased(kept=kept)


def links_of(person):
    condition = Q(person_id=person.pk)
    digests = lookup_digests(PortalLink, "email_index", person.email or "")
    if digests:
        condition |= Q(email_index__in=digests)
    return PortalLink.objects.filter(condition)


def links_export(person) -> list[dict]:
    return [
        {
            "sent_to": link.email,
            "created_at": when(link.created_at),
            "expires_at": when(link.expires_at),
            "opened_at": when(link.opened_at),
        }
        for link in links_of(person).order_by("created_at", "id")
    ]


def links_erase(person) -> int:
    return links_of(person).delete()[0]


def recipient_named(disclosure: Disclosure, *, declared: dict | None = None) -> str:
    """The recipient as the policy names it; ``declared`` (the inventory's processors and
    affiliates) when the caller names many."""
    if declared is None:
        inventory = current_inventory()
        declared = inventory.processors | inventory.affiliates
    if disclosure.recipient in declared:
        return str(declared[disclosure.recipient].name)
    return disclosure.recipient_name


def disclosures_export(person) -> list[dict]:
    return [
        {
            "recipient": recipient_named(disclosure),
            "basis": disclosure.get_basis_display(),
            "categories": ", ".join(disclosure.categories),
            "reference": disclosure.reference,
            "at": when(disclosure.created_at),
        }
        for disclosure in Disclosure.objects.filter(person_id=person.pk).order_by("created_at")
    ]


def disclosures_erase(person) -> Erased:
    """Kept, as the law asks of the processing records, but unlinked: they name no one."""
    kept = Disclosure.objects.filter(person_id=person.pk).update(person=None, hold=DISCLOSURE_HOLD)
    return Erased(kept=kept)


def register() -> None:
    provider_register(
        PersonalDataProvider(
            key="cases.requests",
            title=_("Your requests and complaints"),
            description=_(
                "Each request or complaint you made about your information, and our answer."
            ),
            models=("cases.Case",),
            export=cases_export,
            erase=cases_erase,
            hold=HOLD,
            labels={
                "reference": _("Reference"),
                "kind": _("Request"),
                "channel": _("Made through"),
                "status": _("Status"),
                "details": _("What you asked"),
                "resolution": _("Our answer"),
                "opened_at": _("Received"),
                "due_at": _("Answer due"),
                "completed_at": _("Answered"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="cases.portal_links",
            title=_("Links to your privacy page"),
            description=_("The links to your privacy page we emailed, and when they expire."),
            models=("cases.PortalLink",),
            export=links_export,
            erase=links_erase,
            labels={
                "sent_to": _("Sent to"),
                "created_at": _("Sent"),
                "expires_at": _("Expires"),
                "opened_at": _("Opened"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="cases.disclosures",
            title=_("Who we gave your information to"),
            description=_(
                "Each time your information left us: to whom, which kinds of it, why, and when."
            ),
            models=("cases.Disclosure",),
            export=disclosures_export,
            erase=disclosures_erase,
            hold=DISCLOSURE_HOLD,
            labels={
                "recipient": _("Recipient"),
                "basis": _("Why"),
                "categories": _("What"),
                "reference": _("Reference"),
                "at": _("When"),
            },
        )
    )
