"""The purpose gate: the one place that decides whether a use of a person's data is allowed (P11).

``may(person, use)`` answers with a ``Decision`` that says why. Every outbound contact and every
use of personal data asks it; nothing else decides. It checks, in order:

1. the use is declared in the inventory in force (an undeclared purpose does not exist, and
   selling is never declared, P12);
2. do-not-contact, for the person or their whole organisation, stops every contact use (P01);
3. a use whose legal basis is consent needs the person's latest word on it to be a yes (P11,
   P17); submitting a form counts as consent to that form's declared purposes, recorded as such;
4. P23, the more protective of two versions: the policy version the person's data is held
   under (``versions.person_version``: the one it was collected under, or a later one the
   person agreed to) and the current declarations. A use that version did not declare is
   refused unless the person consented to it since; a use it declared on consent still needs
   consent, whatever basis the current version gives it.

``may_share(person, recipient)`` is the same for a disclosure to a declared processor or
affiliate: the recipient, its categories and its purposes as both versions declare them, the
P14 opt-out, the separate consents PIPL asks for (Art. 23 for another handler, Art. 38-39 for
a recipient abroad), then ``may`` for one of its purposes. ``audience`` and ``share_audience``
answer the same for whole lists at once (``tests/test_gate_bulk.py`` and
``tests/test_gate_versions.py`` hold each equal to its twin, person by person).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from pledge.inventory.loader import current_inventory
from pledge.inventory.vocabulary import LEGAL_BASIS_NAMES
from pledge.people.models import Consent, ConsentMethod, OptOutKind, Person
from pledge.people.optouts import opted_out, people_not_opted_out
from pledge.people.services import consent_current
from pledge.people.versions import (
    AFFILIATE,
    current_declarations,
    people_versions,
    person_version,
    recipient_abroad,
    recipient_declared,
    use_basis,
    use_declared,
    version_inventories,
    version_inventory,
)

# Uses that reach out to the person: what do-not-contact stops (P01).
CONTACT_USES = frozenset(
    {
        "sales",
        "marketing.communications.email",
        "marketing.communications",
        "marketing",
        "essential.service.notifications.email",
    }
)
NOTICE_USE = "essential.service.notifications.email"


@dataclass(frozen=True)
class Mailing:
    """What a kind of mailing is, and so what may stop it. The one place that says which mail
    is marketing and which is a notice the law requires (P01, P13, P14, P17, P23)."""

    use: str
    # Sent only to the people on the list it goes to (their confirmed subscription).
    needs_subscription: bool
    # A notice the law requires (a policy change, P23; an acquisition, P14) reaches everyone
    # whose data is held: do-not-contact and email preferences do not stop it (P17).
    required_by_law: bool


MAILINGS = {
    # A campaign to a marketing list (newsletter, promotions): consent on the list, P13.
    "marketing": Mailing("marketing.communications.email", True, False),
    # A campaign to the service-notices list: product and terms updates (P17), which
    # do-not-contact stops like any other contact (P01).
    "service": Mailing(NOTICE_USE, True, False),
    "policy_notice": Mailing(NOTICE_USE, False, True),
    "acquisition_notice": Mailing(NOTICE_USE, False, True),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


# Why ``audience`` left a person out: stable codes (a campaign stores them; pages translate).
DO_NOT_CONTACT = "do_not_contact"
ORGANIZATION_DO_NOT_CONTACT = "organization_do_not_contact"
NO_CONSENT = "no_consent"
WITHDRAWN = "withdrawn"
NOT_DECLARED = "not_declared"  # P23: the policy version in question did not declare the use
USE_UNDECLARED = "use_undeclared"  # the use itself is not in the inventory in force
ALLOWED = ""


def is_contact(use: str) -> bool:
    return use in CONTACT_USES or use.startswith("marketing.")


@dataclass(frozen=True)
class Word:
    """A person's latest word on a consent subject, and whether the version it was given under
    declared the use (a version never published, or none, counts as declaring it)."""

    granted: bool
    version: int | None
    declares: bool


def use_verdict(use: str, basis_now: str, held_under: Mapping | None, word: Word | None) -> str:
    """Why ``use`` is refused (a code above), or ``ALLOWED``: the consent and P23 part of the
    gate, shared by ``may`` and ``audience`` so they cannot disagree. ``held_under``: the
    declarations of the version the person's data is held under (None: no earlier promise)."""
    # P23: the stricter basis is the one that asks for consent, now or in their version.
    if basis_now == "consent" or use_basis(held_under, use) == "consent":
        if word is None:
            return NO_CONSENT
        if not word.granted:
            return WITHDRAWN
        if not word.declares:
            return NOT_DECLARED
        return ALLOWED
    if word is not None and not word.granted:
        return WITHDRAWN
    if held_under is not None and not use_declared(held_under, use) and word is None:
        return NOT_DECLARED
    return ALLOWED


def declares(declarations: Mapping | None, use: str) -> bool:
    """Whether a version declared ``use``; True for no version (nothing to hold it to)."""
    return declarations is None or use_declared(declarations, use)


def may(
    person: Person, use: str, *, required_by_law: bool = False, consent_subject: str = ""
) -> Decision:
    """``required_by_law``: a notice the law requires (``MAILINGS``), which reaches everyone
    whose data is held: neither do-not-contact nor an email preference stops it (P14, P17, P23).
    ``consent_subject``: the consent that allows the use, when it is not the use itself (a
    mailing list's ``list:<key>``, P13). ``audience`` answers the same for a whole list."""
    inventory = current_inventory()
    if use not in inventory.uses:
        return Decision(
            False, _("“%(use)s” is not a purpose declared in the inventory") % {"use": use}
        )
    if required_by_law:
        return Decision(True, _("a notice the law requires (P14, P23)"))
    if is_contact(use) and person.do_not_contact:
        return Decision(False, _("the person asked not to be contacted (P01)"))
    if is_contact(use) and person.organization_id and person.organization.do_not_contact:
        return Decision(False, _("the person's organisation asked not to be contacted (P01)"))
    subject = consent_subject or use
    latest = (
        person.consents.filter(unbundled(), subject=subject).order_by("-created_at", "-id").first()
    )
    number = person_version(person)
    declared = version_inventories([number, latest.policy_version if latest else None])
    held_under = declared.get(number)
    word = None
    if latest is not None:
        given_under = declared.get(latest.policy_version)
        word = Word(latest.granted, latest.policy_version, declares(given_under, use))
    basis_now = inventory.use(use).legal_basis
    verdict = use_verdict(use, basis_now, held_under, word)
    names = {"use": use, "number": number}
    if verdict == NO_CONSENT and basis_now != "consent":
        return Decision(
            False,
            _(
                "“%(use)s” needed consent under policy version %(number)s, under which the "
                "data is held, and the person has not given it (P23)"
            )
            % names,
        )
    if verdict == NO_CONSENT:
        return Decision(False, _("no consent to “%(use)s” (P11, P17)") % names)
    if verdict == WITHDRAWN:
        return Decision(False, _("the person withdrew “%(use)s”") % names)
    if verdict == NOT_DECLARED and word is not None:
        return Decision(False, _("“%(use)s” was not declared when consent was given (P23)") % names)
    if verdict == NOT_DECLARED:
        return Decision(
            False,
            _(
                "“%(use)s” was not declared in policy version %(number)s, under which the "
                "data was collected, and the person has not agreed to it since (P23)"
            )
            % names,
        )
    if "consent" in (basis_now, use_basis(held_under, use)):
        return Decision(
            True, _("consented under policy version %(number)s") % {"number": word.version}
        )
    return Decision(
        True,
        _("legal basis: %(basis)s") % {"basis": LEGAL_BASIS_NAMES.get(basis_now, basis_now)},
    )


def unbundled() -> Q:
    """The consents that count. Sending a form is consent only to answering the request (its
    ``request_purposes``); a word recorded from a form's sending for anything more (as forms
    did before they asked separately) is bundled consent and counts for nothing (PIPL Art. 14):
    the person is asked again with its own box."""
    answering = Q(pk__in=[])
    for key, form in current_inventory().forms.items():
        answering |= Q(form=key, subject__in=form.request_purposes)
    return ~Q(method=ConsentMethod.FORM_SUBMISSION) | answering


def latest_words(people: QuerySet, subjects: list[str]) -> dict[tuple[int, str], tuple]:
    """Each person's latest word per subject, ``(granted, policy version)``: one query, rows in
    order, each later one replacing the earlier."""
    latest: dict[tuple[int, str], tuple] = {}
    consents = (
        Consent.objects.filter(
            unbundled(), subject__in=subjects, person__in=people.order_by().values("pk")
        )
        .order_by("person_id", "created_at", "id")
        .values_list("person_id", "subject", "granted", "policy_version")
    )
    for person_id, subject, granted, version in consents.iterator(chunk_size=5000):
        latest[(person_id, subject)] = (granted, version)
    return latest


def audience(
    people: QuerySet, mailing: Mailing, consent_subject: str = ""
) -> tuple[list[int], dict[str, int]]:
    """``may`` for a whole list at once: the ids of the ``people`` that ``mailing`` may reach,
    and how many were left out per reason (the codes above, only those above zero).

    Set-based, for lists of 100,000: one query for the people with their organisation's flag,
    one for their consents on the subject, one for their agreements to later versions, one or
    two for the policy versions; person by person it answers exactly as ``may(person,
    mailing.use, required_by_law=..., consent_subject=...)``.
    """
    inventory = current_inventory()
    rows = list(
        people.order_by().values_list(
            "pk", "do_not_contact", "organization__do_not_contact", "policy_version"
        )
    )
    excluded: dict[str, int] = {}

    def leave_out(reason: str) -> None:
        excluded[reason] = excluded.get(reason, 0) + 1

    use = mailing.use
    if use not in inventory.uses:
        return [], {USE_UNDECLARED: len(rows)} if rows else {}
    if mailing.required_by_law:
        return [row[0] for row in rows], {}
    contact = is_contact(use)
    basis_now = inventory.use(use).legal_basis
    subject = consent_subject or use
    latest = latest_words(people, [subject])
    held = people_versions(people, {row[0]: row[3] for row in rows})
    numbers = set(held.values()) | {version for _granted, version in latest.values()}
    declared = version_inventories(numbers)

    allowed = []
    for person_id, do_not_contact, organization_do_not_contact, _collected in rows:
        if contact and do_not_contact:
            leave_out(DO_NOT_CONTACT)
            continue
        if contact and organization_do_not_contact:
            leave_out(ORGANIZATION_DO_NOT_CONTACT)
            continue
        word = None
        if (person_id, subject) in latest:
            granted, version = latest[(person_id, subject)]
            word = Word(granted, version, declares(declared.get(version), use))
        verdict = use_verdict(use, basis_now, declared.get(held[person_id]), word)
        if verdict:
            leave_out(verdict)
        else:
            allowed.append(person_id)
    return allowed, excluded


# --- Disclosures to declared recipients (P12, P14, P23; PIPL Art. 21, 23, 38-39) --------------

# Why a share left a person out: stable codes (the disclosure pages and command translate them).
RECIPIENT_UNDECLARED = "recipient_undeclared"  # not a processor or affiliate declared now
OPTED_OUT = "opted_out"  # P14: the person or their organisation opted out of affiliate sharing
RECIPIENT_NOT_DECLARED = "recipient_not_declared"  # P23: not declared in the person's version
NO_CATEGORIES = "no_categories"  # P23: no category declared for it in both versions
NO_SHARE_CONSENT = "no_share_consent"  # PIPL Art. 23: another handler needs separate consent
NO_ABROAD_CONSENT = "no_abroad_consent"  # PIPL Art. 38-39: a recipient abroad, likewise
PURPOSE_REFUSED = "purpose_refused"  # the gate refuses every purpose it is declared for


def share_subject(key: str) -> str:
    """The separate consent to disclosure to affiliate ``key`` (PIPL Art. 23)."""
    return f"share:{key}"


def abroad_subject(key: str) -> str:
    """The separate consent to recipient ``key`` processing the data abroad (Art. 38-39)."""
    return f"abroad:{key}"


@dataclass(frozen=True)
class ShareTerms:
    """A recipient as the more protective of two versions declares it (``share_terms``)."""

    refusal: str  # a code above, or ALLOWED
    affiliate: bool  # another handler, now or in the person's version: Art. 23, P14
    abroad: bool  # abroad now, or in the person's version: Art. 38-39
    categories: tuple[str, ...]  # declared for it now and in the person's version
    purposes: tuple[str, ...]  # likewise


def share_terms(now: Mapping, held_under: Mapping | None, key: str) -> ShareTerms:
    """Recipient ``key`` for data held under ``held_under`` (None: no earlier promise): what
    both the current declarations ``now`` and that version allow, dimension by dimension."""
    found_now = recipient_declared(now, key)
    if found_now is None:
        return ShareTerms(RECIPIENT_UNDECLARED, False, False, (), ())
    kind, declared = found_now
    categories = tuple(declared.get("categories") or ())
    purposes = tuple(declared.get("purposes") or ())
    affiliate = kind == AFFILIATE
    abroad = recipient_abroad(now, key)
    refusal = ALLOWED
    if held_under is not None:
        found_then = recipient_declared(held_under, key)
        if found_then is None:
            refusal = RECIPIENT_NOT_DECLARED
        else:
            kind_then, then = found_then
            affiliate = affiliate or kind_then == AFFILIATE
            abroad = abroad or recipient_abroad(held_under, key)
            categories = tuple(c for c in categories if c in (then.get("categories") or ()))
            purposes = tuple(use for use in purposes if use in (then.get("purposes") or ()))
    if not refusal and not categories:
        refusal = NO_CATEGORIES
    return ShareTerms(refusal, affiliate, abroad, categories, purposes)


@dataclass(frozen=True)
class ShareDecision(Decision):
    code: str = ALLOWED  # why not, as ``share_audience`` counts it
    categories: tuple[str, ...] = ()  # what may be disclosed, when allowed


SHARE_REASONS = {
    RECIPIENT_UNDECLARED: lambda: _("the recipient is not a declared processor or affiliate"),
    OPTED_OUT: lambda: _("the person or their organisation opted out of affiliate sharing (P14)"),
    RECIPIENT_NOT_DECLARED: lambda: _(
        "the recipient was not declared in the policy version the data is held under (P23)"
    ),
    NO_CATEGORIES: lambda: _(
        "none of the recipient's categories was declared for it in the policy version the "
        "data is held under (P23)"
    ),
    NO_SHARE_CONSENT: lambda: _(
        "no separate consent to disclosure to this other handler (PIPL Art. 23)"
    ),
    NO_ABROAD_CONSENT: lambda: _(
        "no separate consent to this recipient processing the data abroad (PIPL Art. 39)"
    ),
    PURPOSE_REFUSED: lambda: _("the data may not be used for any of the recipient's purposes"),
}


def refused_share(code: str) -> ShareDecision:
    return ShareDecision(False, SHARE_REASONS[code](), code)


def may_share(person: Person, key: str) -> ShareDecision:
    """Whether ``person``'s data may be disclosed to the declared recipient ``key``, and which
    categories of it: those declared for the recipient both now and in the version the data is
    held under (P23). An affiliate (now or then) needs no P14 opt-out and the separate consent
    ``share:<key>`` (Art. 23); a recipient abroad (now or then) the consent ``abroad:<key>``
    (Art. 38-39); a processor (Art. 21) only the purpose gate, as every recipient does."""
    terms = share_terms(current_declarations(), version_inventory(person_version(person)), key)
    if terms.refusal == RECIPIENT_UNDECLARED:
        return refused_share(RECIPIENT_UNDECLARED)
    if terms.affiliate and opted_out(person, OptOutKind.AFFILIATE_SHARING):
        return refused_share(OPTED_OUT)
    if terms.refusal:
        return refused_share(terms.refusal)
    if terms.affiliate and not consent_current(person, share_subject(key)):
        return refused_share(NO_SHARE_CONSENT)
    if terms.abroad and not consent_current(person, abroad_subject(key)):
        return refused_share(NO_ABROAD_CONSENT)
    if not any(may(person, use) for use in terms.purposes):
        return refused_share(PURPOSE_REFUSED)
    return ShareDecision(True, _("may be disclosed to the recipient"), ALLOWED, terms.categories)


def share_audience(people: QuerySet, key: str) -> tuple[dict[int, tuple[str, ...]], dict[str, int]]:
    """``may_share`` for a whole list at once: the ids of the ``people`` whose data may go to
    recipient ``key``, each with the categories that may go, and how many were left out per
    reason (codes above zero only). A few queries whatever the list's length: the people, their
    agreements, the versions, the opt-outs, the separate consents, and ``audience`` once per
    purpose; person by person it answers exactly as ``may_share``."""
    rows = list(people.order_by().values_list("pk", "policy_version"))
    excluded: dict[str, int] = {}

    def leave_out(reason: str) -> None:
        excluded[reason] = excluded.get(reason, 0) + 1

    now = current_declarations()
    if recipient_declared(now, key) is None:
        return {}, {RECIPIENT_UNDECLARED: len(rows)} if rows else {}
    held = people_versions(people, dict(rows))
    declared = version_inventories(set(held.values()))
    terms = {number: share_terms(now, declared.get(number), key) for number in set(held.values())}
    may_opt_out = any(term.affiliate for term in terms.values())
    not_opted_out = (
        set(
            people_not_opted_out(people.order_by(), OptOutKind.AFFILIATE_SHARING).values_list(
                "pk", flat=True
            )
        )
        if may_opt_out
        else set()
    )
    words = latest_words(people, [share_subject(key), abroad_subject(key)])
    purposes = {use for term in terms.values() for use in term.purposes}
    usable = {use: set(audience(people, Mailing(use, False, False))[0]) for use in sorted(purposes)}

    def consented(person_id: int, subject: str) -> bool:
        word = words.get((person_id, subject))
        return bool(word and word[0])

    allowed: dict[int, tuple[str, ...]] = {}
    for person_id, _collected in rows:
        term = terms[held[person_id]]
        if term.affiliate and person_id not in not_opted_out:
            leave_out(OPTED_OUT)
        elif term.refusal:
            leave_out(term.refusal)
        elif term.affiliate and not consented(person_id, share_subject(key)):
            leave_out(NO_SHARE_CONSENT)
        elif term.abroad and not consented(person_id, abroad_subject(key)):
            leave_out(NO_ABROAD_CONSENT)
        elif not any(person_id in usable[use] for use in term.purposes):
            leave_out(PURPOSE_REFUSED)
        else:
            allowed[person_id] = term.categories
    return allowed, excluded
