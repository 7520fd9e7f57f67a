"""The privacy portal's door: an emailed link, signed and expiring, instead of an account.

``link_request`` is what the public form calls. It does the same work whether or not the
address belongs to anyone (look up, store a link, queue the same email), so neither the page nor
its timing says whether the organisation knows the address (P18). The token travels only in the email and
the portal's path; the database keeps its SHA-256, and Django's signer makes it expire even if
the row outlived its time.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from pledge.cases.models import PortalLink
from pledge.inventory.loader import current_inventory
from pledge.mail.services import mail_send
from pledge.people.models import Person
from pledge.people.services import person_find_by_email
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.tokens import link_token, link_token_hash

LINK_HOURS = 24
SALT = "pledge.cases.portal"


def signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT, sep=".")


def link_create(
    *,
    email: str,
    language: str,
    actor,
    person: Person | None = None,
    case=None,
    on_behalf: bool = False,
    confirms_email: bool = False,
) -> tuple[PortalLink, str]:
    """Store a link and email it to ``email``; returns the link and its token (for tests).

    ``confirms_email``: ``email`` is the new address ``person`` asked to change to; the link
    opens the page that confirms it.
    """
    secret, secret_hash = link_token()
    token = signer().sign(secret)
    with transaction.atomic():
        link = PortalLink.objects.create(
            token_hash=secret_hash,
            email=email.strip(),
            person=person,
            case=case,
            on_behalf=on_behalf,
            confirms_email=confirms_email,
            language=language,
            expires_at=timezone.now() + timedelta(hours=LINK_HOURS),
        )
        with translation.override(language):
            organization = str(current_inventory().organization.name)
            # The page opens in the language of the email (/en/... for English).
            page = "web:portal_email_confirm" if confirms_email else "web:portal"
            link_path = reverse(page, args=[token])
        mail_send(
            kind="portal_email_confirm" if confirms_email else "portal_link",
            to=link.email,
            language=language,
            links={"link": link_path},
            context={
                "hours": LINK_HOURS,
                "on_behalf": on_behalf,
                "organization": organization,
            },
            actor=actor,
            # Linked to the person only when it is their own address; nothing otherwise.
            person=person if person is not None and not on_behalf else None,
        )
        audit_record(actor=actor, action="portal.link_sent", target=link)
    return link, token


def link_request(*, email: str, language: str) -> None:
    """A visitor asked for their link. Same work, same email, known address or not."""
    person = person_find_by_email(email)
    link_create(email=email, language=language, actor=Actor.visitor("portal"), person=person)


@dataclass
class PortalAccess:
    """What an opened link grants: the person behind it (None: nothing held), until expiry."""

    link: PortalLink
    person: Person | None
    token: str

    @property
    def actor(self) -> Actor:
        """Who acts: the person, or their guardian (P19), by this link; the audit log names them
        ``person:<link id>`` or ``guardian:<link id>``."""
        return Actor.subject(self)

    @property
    def email(self) -> str:
        return self.link.email

    def alive(self) -> bool:
        return PortalLink.objects.filter(
            pk=self.link.pk, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).exists()


def link_open(token: str) -> PortalAccess | None:
    """The access an emailed link grants, or None if it is forged, expired or revoked.

    The first opening is recorded; a link sent for a case verifies the requester's identity.
    """
    from pledge.cases.services import case_verified_by_link

    try:
        secret = signer().unsign(token, max_age=timedelta(hours=LINK_HOURS))
    except signing.BadSignature:
        return None
    link = (
        PortalLink.objects.filter(
            token_hash=link_token_hash(secret),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("case")
        .first()
    )
    if link is None:
        return None
    person = link.person
    if person is None:
        person = person_find_by_email(link.email)
    access = PortalAccess(link=link, person=person, token=token)
    if link.opened_at is None:
        with transaction.atomic():
            PortalLink.objects.filter(pk=link.pk).update(opened_at=timezone.now())
            audit_record(actor=access.actor, action="portal.link_opened", target=link)
            if link.case is not None:
                case_verified_by_link(case=link.case, actor=access.actor)
    return access
