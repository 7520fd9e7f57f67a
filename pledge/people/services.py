"""People: the only way code creates, finds and shows a person."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from pledge.people.models import Consent, Organization, Person, PersonNameToken
from pledge.people.optouts import opt_outs_restore
from pledge.people.registry import OPEN, person_access_granted
from pledge.people.search import NAME_CONTEXT, search_fragment_digests
from pledge.people.values import validate_name, validate_phone, validate_single_line
from pledge.vault.access import access_require, has_access, refuse
from pledge.vault.audit import audit_record
from pledge.vault.fields import lookup_digests
from pledge.vault.keys import current_ring, name_tokens


def name_token_digests(name: str) -> list[str]:
    ring = current_ring()
    return [ring.digest(token, context=NAME_CONTEXT) for token in name_tokens(name)]


def person_search_digests(person: Person) -> list[str]:
    """Every blind-indexed search token of ``person``: the whole tokens of their name, and the
    short fragment digests of their name and email that let staff search by a part of either
    (``people.search``)."""
    return [
        *name_token_digests(person.name),
        *search_fragment_digests(name=person.name, email=person.email),
    ]


def person_name_tokens_refresh(person: Person) -> None:
    """Rebuild the person's search tokens (after any change of name, email or key)."""
    PersonNameToken.objects.filter(person=person).delete()
    PersonNameToken.objects.bulk_create(
        PersonNameToken(person=person, digest=digest) for digest in person_search_digests(person)
    )


@transaction.atomic
def person_create(
    *, actor, source: str, name: str = "", email: str = "", phone: str = "", **fields
):
    """A new person, with name tokens for search and an audit entry naming the source."""
    person = Person.objects.create(name=name, email=email, phone=phone, source=source, **fields)
    person_name_tokens_refresh(person)
    audit_record(actor=actor, action="person.created", target=person, details={"source": source})
    # Someone erased earlier who writes again is a new, consented record; the opt-outs that
    # stood at the erasure still stand (docs/personal-data.md).
    opt_outs_restore(person=person, actor=actor)
    return person


def person_find_by_email(email: str) -> Person | None:
    """The person with this address, however it is cased or spaced (blind index)."""
    digests = lookup_digests(Person, "email_index", email)
    return (
        Person.objects.filter(email_index__in=digests).order_by("id").first() if digests else None
    )


def person_find_by_phone(phone: str) -> Person | None:
    digests = lookup_digests(Person, "phone_index", phone)
    return (
        Person.objects.filter(phone_index__in=digests).order_by("id").first() if digests else None
    )


def person_view(*, person: Person, actor, reason: str = "") -> Person:
    """Allow ``actor`` to see ``person``'s personal data, and record that they did (P22)."""
    access_require(actor, "view_person", target=person)
    audit_record(actor=actor, action="person.viewed", target=person, reason=reason)
    return person


def person_open(*, person: Person, actor, reason: str = "") -> Person:
    """Let ``actor`` open ``person``'s page (their data and timeline), and record it (P22).

    The privacy officer (``view_person``) may open anyone; others only whom a rule registered
    by an app above allows (meetings: an expert, the people of their own leads).
    """
    if not person_may_open(person=person, actor=actor):
        refuse(actor, "view_person", target=person)
    audit_record(actor=actor, action="person.viewed", target=person, reason=reason)
    return person


def person_may_open(*, person: Person, actor) -> bool:
    """Whether ``person_open`` would let ``actor`` in, asked without a refusal on record (a
    lead's page shows the person's timeline only to whom may open the person)."""
    return has_access(actor, "view_person") or person_access_granted(
        actor, purpose=OPEN, person=person
    )


def organization_open(*, organization: Organization, actor) -> Organization:
    """An organisation's page lists its people: the privacy officer's view (P01 covers it)."""
    allowed = has_access(actor, "view_person") or person_access_granted(
        actor, purpose=OPEN, organization=organization
    )
    if not allowed:
        refuse(actor, "view_person", target=organization)
    audit_record(actor=actor, action="organization.viewed", target=organization)
    return organization


# Addresses at these domains belong to people, not to the organisations they work for.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "aliyun.com",
        "139.com",
        "189.cn",
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "yandex.com",
        "mail.ru",
        "gmx.com",
    }
)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().casefold() if "@" in email else ""


def organization_for(*, email: str, company: str = "") -> Organization | None:
    """The organisation behind a work address (found by domain, P01), created on first sight.

    Public mailbox domains (qq.com, 163.com, gmail.com ...) name no organisation; a company
    name alone, with such an address, creates none either: it stays in the submission.
    """
    domain = email_domain(email)
    if not domain or domain in PUBLIC_MAIL_DOMAINS:
        return None
    organization, created = Organization.objects.get_or_create(
        domain=domain, defaults={"name": company.strip()[:200]}
    )
    if not created and company.strip() and not organization.name:
        organization.name = company.strip()[:200]
        organization.save(update_fields=["name"])
    return organization


@transaction.atomic
def person_upsert(
    *,
    actor,
    source: str,
    email: str,
    name: str = "",
    phone: str = "",
    company: str = "",
    language: str = "zh-hans",
    policy_version: int | None = None,
) -> tuple[Person, bool]:
    """The person with this address, updated with what they just gave, or a new one.

    Found by the email's blind index, so case and spacing never make two people of one
    (P02). What a person gives replaces what was held; earlier values stay in the submissions
    that carried them. Returns (person, created).
    """
    person = person_find_by_email(email)
    organization = organization_for(email=email, company=company)
    if person is None:
        person = person_create(
            actor=actor,
            source=source,
            name=name.strip(),
            email=email.strip(),
            phone=phone.strip(),
            organization=organization,
            language=language,
            policy_version=policy_version,
        )
        return person, True
    changed = []
    for field, value in (("name", name.strip()), ("phone", phone.strip())):
        if value and getattr(person, field) != value:
            setattr(person, field, value)
            changed.append(field)
    if organization is not None and person.organization_id != organization.pk:
        person.organization = organization
        changed.append("organization")
    if person.language != language:
        person.language = language
        changed.append("language")
    if changed:
        person.save(update_fields=[*changed, "updated_at", "email_index", "phone_index"])
        if "name" in changed:
            person_name_tokens_refresh(person)
        audit_record(
            actor=actor, action="person.updated", target=person, details={"fields": changed}
        )
    return person, False


def consent_record(
    *,
    person: Person,
    subject: str,
    granted: bool,
    text: str,
    language: str,
    method: str,
    actor,
    form: str = "",
    policy_version: int | None = None,
) -> Consent:
    """Append one consent given or withdrawn, with the exact words shown, as proof (P17)."""
    consent = Consent.objects.create(
        person=person,
        subject=subject,
        granted=granted,
        text=text,
        text_hash=hashlib.sha256(text.encode()).hexdigest(),
        language=language,
        method=method,
        form=form,
        policy_version=policy_version,
    )
    audit_record(
        actor=actor,
        action="consent.granted" if granted else "consent.withdrawn",
        target=person,
        details={"subject": subject, "method": method},
    )
    return consent


def consent_current(person: Person, subject: str) -> bool:
    """Whether ``person``'s latest word on ``subject`` is a yes."""
    latest = person.consents.filter(subject=subject).order_by("-created_at", "-id").first()
    return bool(latest and latest.granted)


CORRECTABLE = ("name", "phone", "language")
# What a corrected value must pass: the same rules as the forms that first collected it.
CORRECTION_RULES = {
    "name": (validate_single_line, validate_name),
    "phone": (validate_single_line, validate_phone),
}


def corrections_check(changes: dict) -> None:
    """Refuse the whole correction (ValidationError by field) if any value breaks its rule;
    an empty phone is allowed (the person removes it)."""
    problems = {}
    for field, rules in CORRECTION_RULES.items():
        value = str(changes.get(field, "")).strip()
        if not value:
            continue
        for rule in rules:
            try:
                rule(value)
            except ValidationError as refused:
                problems[field] = refused.messages
                break
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def person_email_set(*, person: Person, email: str, actor) -> bool:
    """Move ``person`` to a new address they have shown is theirs (P18). Refused when another
    person holds it (two records to merge, which staff do). Audited without either address."""
    email = email.strip()
    other = person_find_by_email(email)
    if other is not None and other.pk != person.pk:
        raise ValueError("another person holds this address")
    if other is not None:
        return False
    person.email = email
    person.save(update_fields=["email", "email_index", "updated_at"])
    person_name_tokens_refresh(person)  # the email's fragments are search tokens too
    audit_record(
        actor=actor, action="person.corrected", target=person, details={"fields": ["email"]}
    )
    return True


@transaction.atomic
def person_correct(*, person: Person, changes: dict, actor) -> list[str]:
    """Correct what Pledge holds about ``person`` (P18): name, phone, preferred language.

    Callers authorise first (the person's verified link, or staff working a case). Returns the
    names of the fields that changed; the audit entry names them, never their values. A value
    a form would refuse is refused here too (``corrections_check``), and nothing changes.
    """
    corrections_check(changes)
    changed = []
    for field in CORRECTABLE:
        if field not in changes:
            continue
        value = str(changes[field]).strip()
        if field == "language" and value not in {code for code, _name in settings.LANGUAGES}:
            continue
        if getattr(person, field) != value:
            setattr(person, field, value)
            changed.append(field)
    if changed:
        person.save(update_fields=[*changed, "updated_at", "email_index", "phone_index"])
        if "name" in changed:
            person_name_tokens_refresh(person)
        audit_record(
            actor=actor, action="person.corrected", target=person, details={"fields": changed}
        )
    return changed
