"""The people app's own personal data: the person, consents, opt-outs, the visitor account.

Registered with the registry from ``PeopleConfig.ready``. The person's row goes last
(``order=1000``): the other providers find their records through it.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pledge.inventory import labels
from pledge.people.models import Account, Consent, OptOut, Person, PersonNameToken, Provenance
from pledge.people.registry import (
    Erased,
    PersonalDataProvider,
    TimelineEntry,
    exempt_register,
    provider_register,
    when,
)

# --- The person ----------------------------------------------------------------------------


def person_export(person: Person) -> list[dict]:
    if not Person.objects.filter(pk=person.pk).exists():
        return []
    organization = person.organization
    return [
        {
            "id": str(person.public_id),
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "organisation": organization.name if organization else "",
            "organisation_domain": organization.domain if organization else "",
            "language": person.language,
            "source": person.source,
            "do_not_contact": person.do_not_contact,
            "created_at": when(person.created_at),
            "updated_at": when(person.updated_at),
        }
    ]


def person_erase(person: Person) -> Erased:
    """The row, its searchable name tokens, and the organisation if it was only theirs."""
    organization = person.organization
    # The name's search tokens are part of the record: they go with it, uncounted.
    PersonNameToken.objects.filter(person_id=person.pk).delete()
    removed = Person.objects.filter(pk=person.pk).delete()[1].get(Person._meta.label, 0)
    if (
        organization is not None
        and not organization.people.exists()
        and not organization.opt_outs.exists()
    ):
        # A company domain known only through this person identifies them too.
        organization.delete()
    return Erased(removed=removed)


# --- Consents ------------------------------------------------------------------------------


def consents_export(person: Person) -> list[dict]:
    return [
        {
            "id": str(consent.public_id),
            "subject": consent.subject,
            "granted": consent.granted,
            "text": consent.text,
            "language": consent.language,
            "method": consent.method,
            "form": consent.form,
            "policy_version": consent.policy_version,
            "at": when(consent.created_at),
        }
        for consent in Consent.objects.filter(person_id=person.pk).order_by("created_at", "id")
    ]


def consents_timeline(person: Person) -> list[TimelineEntry]:
    """Each consent given (+) or withdrawn (-), with the exact words, how, and the policy."""
    return [
        TimelineEntry(
            at=consent.created_at,
            kind="consent",
            summary=(_("Given: %(subject)s") if consent.granted else _("Withdrawn: %(subject)s"))
            % {"subject": labels.subject_name(consent.subject)},
            detail=consent.text,
            source=consent.get_method_display(),
            policy_version=consent.policy_version,
        )
        for consent in Consent.objects.filter(person_id=person.pk)
    ]


def consents_erase(person: Person) -> int:
    return Consent.objects.filter(person_id=person.pk).delete()[0]


# --- Opt-outs ------------------------------------------------------------------------------


def opt_outs_of(person: Person):
    return OptOut.objects.filter(person_id=person.pk) | OptOut.objects.filter(
        requested_by_id=person.pk
    )


def opt_outs_export(person: Person) -> list[dict]:
    return [
        {
            "kind": opt_out.kind,
            "scope": "person" if opt_out.person_id else "organisation",
            "channel": opt_out.channel,
            "set_at": when(opt_out.created_at),
            "lifted_at": when(opt_out.lifted_at),
        }
        for opt_out in opt_outs_of(person).order_by("created_at", "id")
    ]


def opt_outs_erase(person: Person) -> Erased:
    """The person's own opt-outs go (the tombstone keeps the standing ones); an organisation's
    opt-out they asked for stands, no longer naming them."""
    removed, _ = OptOut.objects.filter(person_id=person.pk).delete()
    anonymised = OptOut.objects.filter(requested_by_id=person.pk).update(requested_by=None)
    return Erased(removed=removed + anonymised)


# --- Provenance: where each piece came from (P06, P07) -----------------------------------


def provenance_export(person: Person) -> list[dict]:
    return [
        {
            "kind": record.kind,
            "source": record.source,
            "legal_basis": record.legal_basis,
            "import_batch": str(record.batch) if record.batch else "",
            "notice_due": when(record.notice_due),
            "notice_sent_at": when(record.notice_sent_at),
            "at": when(record.created_at),
        }
        for record in Provenance.objects.filter(person_id=person.pk).order_by("created_at", "id")
    ]


def provenance_erase(person: Person) -> int:
    return Provenance.objects.filter(person_id=person.pk).delete()[0]


# --- The visitor account and its sign-in records ------------------------------------------

LOGIN_RECORDS = (AccessAttempt, AccessFailureLog, AccessLog)


def login_records(person: Person):
    """django-axes keeps, with the IP and browser, the email typed at a sign-in and, at a
    successful one, the account's own username (``visitor-...``): both are the person's."""
    email = (person.email or "").strip()
    usernames = list(
        Account.objects.filter(person_id=person.pk).values_list("user__username", flat=True)
    )
    if not (email or usernames):
        return []
    condition = Q(username__in=usernames)
    if email:
        condition |= Q(username__iexact=email)
    return [model.objects.filter(condition) for model in LOGIN_RECORDS]


def account_export(person: Person) -> list[dict]:
    records = [
        {
            "record": "account",
            "created_at": when(account.created_at),
            "last_login": when(account.user.last_login),
        }
        for account in Account.objects.filter(person_id=person.pk).select_related("user")
    ]
    for queryset in login_records(person):
        for row in queryset.order_by("attempt_time"):
            records.append(
                {
                    "record": "sign_in_" + row._meta.model_name,
                    "at": when(row.attempt_time),
                    "ip_address": row.ip_address,
                    "browser": row.user_agent,
                    "page": row.path_info,
                }
            )
    return records


def account_erase(person: Person) -> int:
    removed = 0
    records = login_records(person)  # before the account goes: they are found by its username
    for queryset in records:
        removed += queryset.delete()[0]
    for account in Account.objects.filter(person_id=person.pk).select_related("user"):
        removed += account.user.delete()[0]  # the Django user goes, and the account with it
    return removed


def register() -> None:
    provider_register(
        PersonalDataProvider(
            key="people.person",
            title=_("Your details"),
            description=_("Your name, email address, phone number, organisation and language."),
            models=("people.Person", "people.PersonNameToken", "people.Organization"),
            export=person_export,
            erase=person_erase,
            labels={
                "name": _("Name"),
                "email": _("Email"),
                "phone": _("Phone"),
                "organisation": _("Organisation"),
                "organisation_domain": _("Organisation's domain"),
                "language": _("Language"),
                "source": _("Source"),
                "do_not_contact": _("Do not contact"),
                "created_at": _("Since"),
                "updated_at": _("Last changed"),
            },
            order=1000,
        )
    )
    provider_register(
        PersonalDataProvider(
            key="people.consents",
            title=_("Consents"),
            description=_("Each consent you gave or withdrew, with the exact words you saw."),
            models=("people.Consent",),
            export=consents_export,
            erase=consents_erase,
            timeline=consents_timeline,
            labels={
                "subject": _("What for"),
                "granted": _("Given"),
                "text": _("The words you saw"),
                "language": _("Language"),
                "method": _("How"),
                "form": _("Form"),
                "policy_version": _("Policy version"),
                "at": _("When"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="people.opt_outs",
            title=_("Opt-outs"),
            description=_(
                "What you asked us not to do: contact you, share with affiliates, identify "
                "your organisation."
            ),
            models=("people.OptOut",),
            export=opt_outs_export,
            erase=opt_outs_erase,
            labels={
                "kind": _("Opt-out"),
                "scope": _("For"),
                "channel": _("Asked through"),
                "set_at": _("Since"),
                "lifted_at": _("Lifted"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="people.provenance",
            title=_("Where your information came from"),
            description=_(
                "Each time your information reached us from a list or another source: which "
                "source, on what legal basis, and when we told you."
            ),
            models=("people.Provenance",),
            export=provenance_export,
            erase=provenance_erase,
            labels={
                "kind": _("How"),
                "source": _("Source"),
                "legal_basis": _("Legal basis"),
                "import_batch": _("Import"),
                "notice_due": _("Notice due"),
                "notice_sent_at": _("Notice sent"),
                "at": _("When"),
            },
        )
    )
    provider_register(
        PersonalDataProvider(
            key="people.account",
            title=_("Your account"),
            description=_("Your account on the site and its sign-in records."),
            models=(
                "people.Account",
                "axes.AccessAttempt",
                "axes.AccessFailureLog",
                "axes.AccessLog",
            ),
            export=account_export,
            erase=account_erase,
            labels={
                "record": _("Record"),
                "created_at": _("Created"),
                "last_login": _("Last sign-in"),
                "at": _("When"),
                "ip_address": _("IP address"),
                "browser": _("Browser"),
                "page": _("Page"),
            },
        )
    )
    exempt_register(
        "people.Tombstone",
        reason="a keyed fingerprint of an erased address, linked to no one "
        "(the inventory's `suppression` legal hold)",
    )
    exempt_register(
        "vault.AuditEntry",
        reason="names objects by type and random id and holds no personal values; kept intact "
        "so the chain still verifies after an erasure",
    )
    exempt_register(
        "people.ImpactAssessment",
        reason="records about a processing (PIPL Art. 55), not a person's data",
    )
