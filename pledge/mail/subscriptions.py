"""Mailing-list subscriptions with double opt-in (P13, P17)."""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledge.inventory.loader import current_inventory
from pledge.mail.models import (
    CampaignRecipient,
    Subscription,
    SubscriptionRequest,
    SubscriptionStatus,
)
from pledge.mail.services import mail_send
from pledge.people.models import ConsentMethod, Source
from pledge.people.services import consent_record, person_upsert
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.tokens import link_token, link_token_hash

CONFIRM_DAYS = 7


def list_subject(list_key: str) -> str:
    """The consent subject of a mailing list, as recorded in people.Consent."""
    return f"list:{list_key}"


@transaction.atomic
def subscription_request(
    *, email: str, lists: list[str], language: str, consent_text: str, actor
) -> SubscriptionRequest:
    """Keep the signup aside and email a confirmation link; nothing is subscribed yet."""
    token, digest = link_token()
    request = SubscriptionRequest.objects.create(
        email=email.strip(),
        lists=sorted(set(lists)),
        language=language,
        consent_text=consent_text,
        token_hash=digest,
        expires_at=timezone.now() + timedelta(days=CONFIRM_DAYS),
    )
    mail_send(
        kind="subscription_confirm",
        to=request.email,
        language=language,
        context={"days": CONFIRM_DAYS},
        links={"link": reverse("web:subscription_confirm", args=[token])},
        actor=actor,
    )
    audit_record(actor=actor, action="subscription.requested", target=request)
    return request


def subscription_request_find(token: str) -> SubscriptionRequest | None:
    return SubscriptionRequest.objects.filter(
        token_hash=link_token_hash(token), expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def subscription_confirm(*, request: SubscriptionRequest, policy_version: int | None):
    """The link was followed: the person exists now, is on each list, and the consent is proof."""
    person, _created = person_upsert(
        actor=Actor.visitor("subscription"),
        source=Source.WEB_FORM,
        email=request.email,
        language=request.language,
    )
    now = timezone.now()
    for list_key in request.lists:
        Subscription.objects.update_or_create(
            person=person,
            list_key=list_key,
            defaults={
                "status": SubscriptionStatus.ACTIVE,
                "confirmed_at": now,
                "unsubscribed_at": None,
            },
        )
        consent_record(
            person=person,
            subject=list_subject(list_key),
            granted=True,
            text=request.consent_text,
            language=request.language,
            method=ConsentMethod.DOUBLE_OPT_IN,
            actor=Actor.visitor("subscription"),
            form="newsletter",
            policy_version=policy_version,
        )
    audit_record(
        actor=Actor.visitor("subscription"), action="subscription.confirmed", target=person
    )
    request.delete()
    return person


@transaction.atomic
def subscription_end(*, person, list_key: str, actor) -> bool:
    """Take ``person`` off ``list_key``; the row stays as the record of when (P13, P17).

    Callers record the consent withdrawn with it (the words the person saw when leaving).
    """
    ended = Subscription.objects.filter(
        person=person, list_key=list_key, status=SubscriptionStatus.ACTIVE
    ).update(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    if ended:
        audit_record(
            actor=actor, action="subscription.ended", target=person, details={"list": list_key}
        )
    return bool(ended)


def list_name(list_key: str, language: str | None = None) -> str:
    """A list's declared name in ``language`` (the active one by default); the key only for a
    list no longer declared. The one place a list's name is looked up."""
    lists = current_inventory().mailing_lists
    if list_key not in lists:
        return list_key
    return lists[list_key].name.get(language or translation.get_language() or "")


def lists_subscribed(person) -> list[str]:
    """The lists the person is on now."""
    return list(
        Subscription.objects.filter(person=person, status=SubscriptionStatus.ACTIVE)
        .order_by("list_key")
        .values_list("list_key", flat=True)
    )


@transaction.atomic
def subscriptions_unsubscribe(
    *,
    person,
    actor,
    method: str,
    list_keys: list[str] | None = None,
    recipient: CampaignRecipient | None = None,
) -> list[str]:
    """Take the person off ``list_keys`` (every list they are on when None), each with the
    consent withdrawn recorded in the words the person would read (P13, P17), and count it on
    the campaign that carried the link (``recipient``). Returns the lists left; unsubscribing
    twice leaves nothing the second time and records nothing."""
    current = lists_subscribed(person)
    leaving = [key for key in current if list_keys is None or key in list_keys]
    with translation.override(person.language):
        for list_key in leaving:
            subscription_end(person=person, list_key=list_key, actor=actor)
            consent_record(
                person=person,
                subject=list_subject(list_key),
                granted=False,
                text=_("I unsubscribe from this mailing list: %(list)s")
                % {"list": list_name(list_key, person.language)},
                language=person.language,
                method=method,
                actor=actor,
            )
    if recipient is not None and leaving:
        CampaignRecipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
    return leaving
