"""Finding people by a part of their name, email or company, though names and emails are
encrypted (P22: staff search; SECURITY.md's encryption at rest).

An encrypted column cannot be searched, so each person carries keyed digests of short
fragments of their name and email (rows of ``PersonNameToken``, beside the digests of their
whole name tokens):

- the three-character pieces of each word of the name and of the whole email address
  (``lovelace`` gives ``lov``, ``ove`` ... ``ace``), so three characters or more find any part;
- the first two characters of each word of the name and of each part of the email, marked as
  a start (``^lo``), so two characters find the start of a word;
- Han names are already searchable character by character (``name_tokens``).

A fragment's digest is an HMAC under the key ring, like every blind index, cut to four hex
characters (16 bits): each digest stands for many fragments, so the table's counts say little
about which fragments are common, and nobody without the key can compute one. A search
gathers the people holding all of a word's fragment digests, then decrypts only those
candidates and keeps the ones whose name, email or organisation really holds the word:
collisions cost a little time, never a wrong result. Organisation names and domains are not
personal data and are stored in clear; they are matched directly.
"""

import re
from dataclasses import dataclass, field, replace

from django.db.models import Exists, OuterRef, Q, QuerySet

from pledge.people.models import Organization, Person, PersonNameToken
from pledge.vault.access import access_require
from pledge.vault.audit import audit_record
from pledge.vault.fields import lookup_digests
from pledge.vault.keys import current_ring, name_tokens, normalise_email, normalise_text

NAME_CONTEXT = "people.Person.name"  # whole name tokens
SEARCH_CONTEXT = "people.Person.search"  # fragments of names and emails
FRAGMENT_CHARACTERS = 4  # hex: 16 bits of the HMAC
START = "^"
# A search decrypts at most this many candidates (the newest); more means "type more".
CANDIDATES_MAX = 5000
# A digest held by more people than this is common ("com" of every address): it is looked up
# only among the people the rarer digests found, not read whole.
DIGEST_ROWS_MAX = 2000
# The list counts at most this many people; more reads "more than" (a count of a million rows
# costs more than the page).
COUNT_MAX = 10_000
PART_SEPARATORS = re.compile(r"[^\w]+")


def is_han(text: str) -> bool:
    return bool(text) and all("\u4e00" <= character <= "\u9fff" for character in text)


def word_fragments(word: str) -> set[str]:
    """The start of ``word`` and its three-character pieces."""
    fragments = {START + word[:2]} if len(word) >= 2 else set()
    fragments.update(word[i : i + 3] for i in range(len(word) - 2))
    return fragments


def search_fragments(*, name: str, email: str) -> set[str]:
    """Every fragment a search may ask for, of a name and an email address."""
    fragments = set()
    for word in normalise_text(name).split():
        if not is_han(word):
            fragments |= word_fragments(word)
    address = normalise_email(email) if email else ""
    if address:
        fragments.update(address[i : i + 3] for i in range(len(address) - 2))
        for part in PART_SEPARATORS.split(address):
            if len(part) >= 2:
                fragments.add(START + part[:2])
    return fragments


def fragment_digests(fragment: str) -> list[str]:
    """The fragment's short digest under every key of the ring (a lookup matches any)."""
    return [
        digest[:FRAGMENT_CHARACTERS]
        for digest in current_ring().digests(fragment, context=SEARCH_CONTEXT)
    ]


def search_fragment_digests(*, name: str, email: str) -> list[str]:
    """What a person's row stores: each fragment's digest under the primary key, once."""
    ring = current_ring()
    return sorted(
        {
            ring.digest(fragment, context=SEARCH_CONTEXT)[:FRAGMENT_CHARACTERS]
            for fragment in search_fragments(name=name, email=email)
        }
    )


def searchable(text: str) -> str:
    """``text`` without control characters: none is in a name, an email or an organisation,
    and a NUL would be refused by PostgreSQL."""
    return "".join(character if character.isprintable() else " " for character in text)


def query_words(query: str) -> list[str]:
    """The words of a search, each to be found somewhere; a lone Latin letter finds too much
    to be a search and is left out."""
    return [word for word in normalise_text(query).split() if len(word) >= 2 or is_han(word)]


def word_token_groups(word: str) -> list[list[str]]:
    """For one searched word, groups of digests: a person matches when they hold one digest
    of every group (each group is one token under every key)."""
    ring = current_ring()
    if is_han(word):
        return [ring.digests(token, context=NAME_CONTEXT) for token in name_tokens(word)]
    if len(word) == 2:
        return [fragment_digests(START + word)]
    return [fragment_digests(word[i : i + 3]) for i in range(len(word) - 2)]


def people_holding(groups: list[list[str]]) -> set[int]:
    """Ids of the people holding a digest of every group.

    Each group's holders are first counted, up to DIGEST_ROWS_MAX (one row back each); the
    rarest group is read, and every other one is looked up only among the people it found, so
    a long word (a whole address) never reads the many holders of its commonest fragments
    ("com"). When even the rarest is common, the database intersects them."""
    tokens = PersonNameToken.objects
    sizes = [tokens.filter(digest__in=digests)[: DIGEST_ROWS_MAX + 1].count() for digests in groups]
    if not groups or min(sizes) == 0:
        return set()
    ordered = [digests for _size, digests in sorted(zip(sizes, groups, strict=True))]
    rarest, *rest = ordered
    if min(sizes) > DIGEST_ROWS_MAX:
        # One index lookup per holder of the rarest, instead of sets of a million ids here.
        holders = tokens.filter(digest__in=rarest)
        for digests in rest:
            holders = holders.filter(
                Exists(tokens.filter(person_id=OuterRef("person_id"), digest__in=digests))
            )
        return set(holders.values_list("person_id", flat=True))
    found = set(tokens.filter(digest__in=rarest).values_list("person_id", flat=True))
    if not rest:
        return found
    # The other groups in one query, among those people only; each must hold one of every group.
    held: dict[int, set[str]] = {}
    wanted = {digest for digests in rest for digest in digests}
    for person_id, digest in tokens.filter(person_id__in=found, digest__in=wanted).values_list(
        "person_id", "digest"
    ):
        held.setdefault(person_id, set()).add(digest)
    return {
        person_id
        for person_id, digests in held.items()
        if all(digests.intersection(group) for group in rest)
    }


def organizations_matching(word: str) -> QuerySet:
    return Organization.objects.filter(Q(name__icontains=word) | Q(domain__icontains=word))


def word_found(word: str, *, name: str, email: str, organization: str) -> bool:
    """Whether the decrypted values really hold ``word``: two characters start a word (of the
    name, the email's parts or the organisation), three or more may be anywhere."""
    name, email = normalise_text(name), normalise_email(email) if email else ""
    organization = normalise_text(organization)
    if len(word) == 2 and not is_han(word):
        words = [*name.split(), *PART_SEPARATORS.split(email), *PART_SEPARATORS.split(organization)]
        return any(part.startswith(word) for part in words) or word in organization
    return word in name or word in email or word in organization


@dataclass(frozen=True)
class PeopleFilters:
    """What narrows the people list besides the words searched."""

    do_not_contact: bool | None = None  # standing, for the person or their organisation
    source: str = ""  # Person.source
    organization: str = ""  # a part of the organisation's name or domain
    # People chosen by an app above (meetings: those with an open lead), as a queryset of ids.
    among: QuerySet | None = field(default=None, compare=False)

    def used(self) -> list[str]:
        """The names of the filters in use, for the audit entry (never their values)."""
        return [
            name
            for name, value in (
                ("do_not_contact", self.do_not_contact is not None),
                ("source", bool(self.source)),
                ("organization", bool(self.organization)),
                ("among", self.among is not None),
            )
            if value
        ]


@dataclass(frozen=True)
class PeopleFound:
    people: QuerySet  # newest first
    count: int  # at most COUNT_MAX
    # More people than COUNT_MAX: ``count`` is COUNT_MAX, and the list's pages go that far.
    more: bool = False
    # More candidates than one search decrypts: only the newest were checked.
    truncated: bool = False
    # Words left out of the search (a lone Latin letter).
    too_short: bool = False


def people_filtered(filters: PeopleFilters) -> QuerySet:
    people = Person.objects.select_related("organization")
    if filters.do_not_contact is True:
        people = people.filter(Q(do_not_contact=True) | Q(organization__do_not_contact=True))
    elif filters.do_not_contact is False:
        people = people.filter(do_not_contact=False).exclude(organization__do_not_contact=True)
    if filters.source:
        people = people.filter(source=filters.source)
    if filters.organization:
        people = people.filter(organization__in=organizations_matching(filters.organization))
    if filters.among is not None:
        people = people.filter(id__in=filters.among)
    return people.order_by("-created_at", "-id")


def exact_matches(query: str) -> set[int]:
    """The person whose whole email or phone number was typed (their blind indexes)."""
    query = query.strip()
    ids = set()
    if "@" in query:
        digests = lookup_digests(Person, "email_index", query)
        ids |= set(Person.objects.filter(email_index__in=digests).values_list("id", flat=True))
    elif sum(character.isdigit() for character in query) >= 5:
        digests = lookup_digests(Person, "phone_index", query)
        ids |= set(Person.objects.filter(phone_index__in=digests).values_list("id", flat=True))
    return ids


def words_matching(people: QuerySet, words: list[str]) -> tuple[list[int], bool]:
    """Ids of ``people`` whose name, email or organisation holds every word, newest first;
    and whether there were more candidates than one search decrypts."""
    candidates = None
    for word in words:
        ids = people_holding(word_token_groups(word)) | set(
            Person.objects.filter(organization__in=organizations_matching(word)).values_list(
                "id", flat=True
            )
        )
        candidates = ids if candidates is None else candidates & ids
        if not candidates:
            return [], False
    rows = list(
        people.filter(id__in=candidates).values_list(
            "id", "name", "email", "organization__name", "organization__domain"
        )[: CANDIDATES_MAX + 1]
    )
    truncated = len(rows) > CANDIDATES_MAX
    found = [
        pk
        for pk, name, email, org_name, org_domain in rows[:CANDIDATES_MAX]
        if all(
            word_found(
                word,
                name=name or "",
                email=email or "",
                organization=f"{org_name or ''} {org_domain or ''}",
            )
            for word in words
        )
    ]
    return found, truncated


def people_list(*, actor, query: str = "", filters: PeopleFilters | None = None) -> PeopleFound:
    """The people staff may list (``view_person``): everyone, newest first, narrowed by the
    filters and by the words of ``query``, each found in the name, email or organisation by
    its start (two characters) or any part (three or more), or the whole email or phone.

    Audited as a search (``person.searched``) with the number found and the filters' names,
    never the words searched (they may be someone's name).
    """
    access_require(actor, "view_person")
    filters = filters or PeopleFilters()
    if filters.organization:
        filters = replace(filters, organization=searchable(filters.organization).strip())
    people = people_filtered(filters)
    query = searchable(query).strip()
    words = query_words(query)
    too_short = bool(query) and len(words) < len(query.split())
    truncated = False
    if query:
        exact = exact_matches(query)
        found, truncated = words_matching(people, words) if words else ([], False)
        ids = set(found) | set(people.filter(id__in=exact).values_list("id", flat=True))
        people = people.filter(id__in=ids)
    count = people[: COUNT_MAX + 1].count()
    more = count > COUNT_MAX
    count = min(count, COUNT_MAX)
    details = {"results": count, "filters": filters.used(), "words": len(words)}
    if more:
        details["more"] = True
    audit_record(actor=actor, action="person.searched", details=details)
    return PeopleFound(
        people=people,
        count=count,
        more=more,
        truncated=truncated,
        too_short=too_short,
    )
