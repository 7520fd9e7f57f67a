"""The links in every campaign and notice: one-click unsubscribe (RFC 8058) and the preference
page (P13, P17), opened without a password.

The token is signed (``django.core.signing``, a salt of its own) and carries the person's public
id, the recipient row it was sent with and the list; it never expires, so a link in an old email
still unsubscribes. It opens only that person's email preferences: their lists and their
language, nothing else of their data (the privacy portal, with its expiring links, does that).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledge.inventory.loader import current_inventory
from pledge.inventory.services import policy_in_force
from pledge.mail.models import CampaignRecipient, Subscription, SubscriptionStatus
from pledge.mail.subscriptions import (
    list_subject,
    lists_subscribed,
    subscription_request,
    subscriptions_unsubscribe,
)
from pledge.people.models import ConsentMethod, Person
from pledge.people.services import consent_record
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record

SALT = "pledge.mail.preferences"
UNSUBSCRIBE = Actor.visitor("unsubscribe")
PREFERENCES = Actor.visitor("preferences")


@dataclass(frozen=True)
class Preference:
    """What a valid token opens: the person, the mailing it came with (if any) and its list."""

    person: Person
    recipient: CampaignRecipient | None
    list_key: str


@dataclass(frozen=True)
class Saved:
    """What ``preferences_save`` did: lists left, lists joined again, lists whose confirmation
    was emailed (never confirmed before: double opt-in), and whether the language changed."""

    left: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    confirmation_sent: list[str] = field(default_factory=list)
    language_changed: bool = False


def preference_token(person, *, recipient=None, list_key: str = "") -> str:
    """The key to ``person``'s email preferences (and, with ``list_key``, to leaving that list
    in one click). ``recipient``: the ``CampaignRecipient`` (or its id) the link was sent with,
    so an unsubscribe is counted on that campaign."""
    recipient_id = getattr(recipient, "pk", recipient)
    payload = {"p": person.public_id.hex}
    if recipient_id:
        payload["r"] = int(recipient_id)
    if list_key:
        payload["l"] = list_key
    return signing.dumps(payload, salt=SALT, compress=True)


def preference_find(token: str) -> Preference | None:
    """The preference a token opens; None for a forged or damaged token, or a person erased
    (or left without an address) since."""
    try:
        payload = signing.loads(token or "", salt=SALT)
        person = Person.objects.filter(public_id=payload["p"]).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if person is None or not person.email:
        return None
    recipient = None
    if payload.get("r"):
        recipient = CampaignRecipient.objects.filter(pk=payload["r"], person=person).first()
    list_key = str(payload.get("l") or "")
    return Preference(person=person, recipient=recipient, list_key=list_key)


def unsubscribe_by_token(
    token: str, *, method: str = ConsentMethod.UNSUBSCRIBE_LINK, every_list: bool = False
) -> list[str]:
    """One-click unsubscribe: the link's list, or every list for a link that names none or
    with ``every_list`` (the preference page's "unsubscribe from all"). Each withdrawal is
    recorded as consent withdrawn and counted on the campaign. Returns the lists left (none for
    a bad token, or a second click)."""
    preference = preference_find(token)
    if preference is None:
        return []
    one_list = preference.list_key and not every_list
    return subscriptions_unsubscribe(
        person=preference.person,
        actor=UNSUBSCRIBE,
        method=method,
        list_keys=[preference.list_key] if one_list else None,
        recipient=preference.recipient,
    )


def join_words(language: str) -> str:
    """The words the preference page shows beside its lists; a list joined again is recorded
    with them, exactly as shown (P17)."""
    with translation.override(language):
        return _(
            "I would like to receive the emails of the lists I ticked, and can unsubscribe at "
            "any time."
        )


def preferences_save(*, preference: Preference, lists: set[str], language: str) -> Saved:
    """Save the preference page: leave the unticked lists (consent withdrawn, P17), join the
    ticked ones (a list confirmed before joins again with the words shown; one never confirmed
    gets the double opt-in email, P13), and set the language of future mail."""
    person = preference.person
    declared = current_inventory().mailing_lists
    wanted = {key for key in lists if key in declared}
    current = set(lists_subscribed(person))
    languages = dict(settings.LANGUAGES)
    shown_language = translation.get_language() or person.language
    if shown_language not in languages:
        shown_language = settings.LANGUAGE_CODE
    words = join_words(shown_language)
    with transaction.atomic():
        left = []
        leaving = sorted(current - wanted)
        if leaving:
            left = subscriptions_unsubscribe(
                person=person,
                actor=PREFERENCES,
                method=ConsentMethod.PREFERENCES,
                list_keys=leaving,
                recipient=preference.recipient,
            )
        joining = sorted(wanted - current)
        confirmed_before = set(
            Subscription.objects.filter(person=person, list_key__in=joining).values_list(
                "list_key", flat=True
            )
        )
        joined = [key for key in joining if key in confirmed_before]
        version = policy_in_force()
        for list_key in joined:
            Subscription.objects.filter(person=person, list_key=list_key).update(
                status=SubscriptionStatus.ACTIVE, unsubscribed_at=None
            )
            consent_record(
                person=person,
                subject=list_subject(list_key),
                granted=True,
                text=words,
                language=shown_language,
                method=ConsentMethod.PREFERENCES,
                actor=PREFERENCES,
                policy_version=version.number if version else None,
            )
            audit_record(
                actor=PREFERENCES,
                action="subscription.resumed",
                target=person,
                details={"list": list_key},
            )
        confirming = [key for key in joining if key not in confirmed_before]
        if confirming:
            subscription_request(
                email=person.email,
                lists=confirming,
                language=shown_language,
                consent_text=words,
                actor=PREFERENCES,
            )
        changed = language in languages and language != person.language
        if changed:
            Person.objects.filter(pk=person.pk).update(language=language, updated_at=timezone.now())
            person.language = language
            audit_record(
                actor=PREFERENCES,
                action="person.language_set",
                target=person,
                details={"language": language},
            )
    return Saved(left=left, joined=joined, confirmation_sent=confirming, language_changed=changed)
