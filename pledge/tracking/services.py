"""Tracking's rules: consent choices and their proof, attribution, stitching, retention.

What other apps call (intake calls the last three when it stores a submission):

- ``consent_choose(...)``: record a banner choice; returns the cookies to set.
- ``attribution_for(request) -> dict``: the promotional or affiliate arrival to attach (P09).
- ``visitor_id_for(request) -> str | None``: the returning-visitor id, only with consent.
- ``visits_stitch(*, visitor_id, person, actor) -> int``: link earlier visits (P10).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from pledge.dates import site_date
from pledge.tracking import declarations, events
from pledge.tracking.banner import banner_wording
from pledge.tracking.consent import Consent, consent_for, new_token, visitor_key_from
from pledge.tracking.consent import encode as consent_cookie_value
from pledge.tracking.models import (
    BannerText,
    ConsentMethod,
    ConsentRecord,
    DailySalt,
    PageView,
    Visitor,
)
from pledge.vault.access import access_require
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record

log = logging.getLogger(__name__)

ARRIVAL_SALT = "pledge.tracking.arrival"
ARRIVAL_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref")


# --- Consent (P09, P17) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentChoice:
    """A recorded choice and the cookies the response must set or delete."""

    record: ConsentRecord
    cookie_value: str
    cookie_max_age: int
    visitor_key: str  # "" when analytics is refused: the visitor cookie must go


def choices_for(method: str, categories) -> dict[str, bool]:
    choosable = declarations.choosable_categories()
    if method == ConsentMethod.ACCEPT_ALL:
        return dict.fromkeys(choosable, True)
    if method in (ConsentMethod.REJECT_ALL, ConsentMethod.WITHDRAW):
        return dict.fromkeys(choosable, False)
    if method == ConsentMethod.CHOOSE:
        return {category: category in set(categories) for category in choosable}
    raise ValueError(f"unknown consent method {method!r}")


def consent_choose(
    *,
    current: Consent,
    method: str,
    categories=(),
    language: str,
    visitor_key: str = "",
) -> ConsentChoice:
    """Record one choice made on the banner or the settings page, and say what to set.

    Guarantees: the record holds every choosable category as granted or refused, the hash
    and words of the banner shown, the policy version and the cookie declarations in force,
    and whether a privacy signal was sent; GPC/DNT keep analytics and marketing refused
    whatever was clicked. A returning-visitor id exists only while analytics is granted.
    """
    choices = choices_for(method, categories)
    if current.privacy_signal:
        for category in ("analytics", "marketing"):
            if category in choices:
                choices[category] = False
    consent_id = current.consent_id or new_token()
    granted = [category for category, given in choices.items() if given]
    # A returning-visitor id exists only while analytics is granted (P09).
    visitor_key = (visitor_key or new_token()) if choices.get("analytics") else ""
    settings = declarations.consent_settings()
    days = settings.accepted_days if granted else settings.refused_days
    now = timezone.now()
    wording = banner_wording(language)
    with transaction.atomic():
        banner_text, _ = BannerText.objects.get_or_create(
            hash=wording.version, defaults={"language": language, "text": wording.as_text()}
        )
        record = ConsentRecord.objects.create(
            consent_id=consent_id,
            visitor_key=visitor_key,
            choices=choices,
            method=method,
            banner_text=banner_text,
            declarations_hash=declarations.cookie_declarations_hash(),
            policy_version=declarations.policy_version_number(),
            language=language,
            privacy_signal=current.privacy_signal,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit_record(
            actor=Actor.visitor("form"),
            action="consent.recorded",
            target=record,
            details={"method": method, "granted": granted},
        )
    return ConsentChoice(
        record=record,
        cookie_value=consent_cookie_value(consent_id, granted),
        cookie_max_age=days * 86400,
        visitor_key=visitor_key,
    )


def consent_history(*, consent_id: str) -> list[ConsentRecord]:
    """A browser's own choices, newest first: the visitor's proof (P18's access, for cookies)."""
    if not consent_id:
        return []
    return list(
        ConsentRecord.objects.filter(consent_id=consent_id)
        .select_related("banner_text")
        .order_by("-created_at", "-id")
    )


def consent_records(*, actor, consent_id: str = "", limit: int = 100) -> list[ConsentRecord]:
    """Consent records as proof, for the privacy officer; the look-up is audited."""
    access_require(actor, "view_person")
    records = ConsentRecord.objects.select_related("banner_text").order_by("-created_at", "-id")
    if consent_id:
        records = records.filter(consent_id=consent_id.strip().lower())
    found = list(records[:limit])
    audit_record(actor=actor, action="consent.records_viewed", details={"results": len(found)})
    return found


def consent_record_export(record: ConsentRecord) -> dict:
    return {
        "id": str(record.public_id),
        "consent_id": record.consent_id,
        "time": record.created_at.isoformat(),
        "method": record.method,
        "choices": record.choices,
        "banner_text_version": record.banner_text.hash,
        "banner_text": record.banner_text.text,
        "language": record.language,
        "policy_version": record.policy_version,
        "cookie_declarations": record.declarations_hash,
        "privacy_signal": record.privacy_signal,
        "expires_at": record.expires_at.isoformat(),
    }


# --- Attribution (P09) ------------------------------------------------------------------------


def arrival_cookie_value(campaign: dict, landing_path: str) -> str:
    """The signed browser-session cookie that keeps a promotional or affiliate arrival."""
    payload = {key: campaign[key] for key in ARRIVAL_FIELDS if campaign.get(key)}
    payload["landing_path"] = landing_path
    payload["arrived_at"] = timezone.now().isoformat(timespec="seconds")
    return signing.dumps(payload, salt=ARRIVAL_SALT, compress=True)


def attribution_for(request) -> dict:
    """The promotional or affiliate arrival to attach to a submission, or {} (P09).

    Read from the arrival cookie (set only with marketing consent), else from the current
    address's ``utm_*``/``ref``/``source`` when marketing is allowed. Keys among utm_source,
    utm_medium, utm_campaign, utm_term, utm_content, ref, landing_path, arrived_at.
    """
    if not consent_for(request).allows("marketing"):
        return {}
    value = request.COOKIES.get(declarations.cookie("arrival").name, "")
    if value:
        try:
            found = signing.loads(value, salt=ARRIVAL_SALT)
        except signing.BadSignature:
            found = None
        if isinstance(found, dict):
            keep = (*ARRIVAL_FIELDS, "landing_path", "arrived_at")
            return {key: str(found[key])[:500] for key in keep if found.get(key)}
    path, campaign = events.path_and_campaign(request.get_full_path())
    return {**campaign, "landing_path": path} if campaign else {}


# --- Stitching (P10) --------------------------------------------------------------------------


def visitor_id_for(request) -> str | None:
    """The browser's returning-visitor id, or None without analytics consent (P09, P10)."""
    return visitor_key_from(request.COOKIES, consent_for(request)) or None


def visits_stitch(*, visitor_id: str | None, person, actor) -> int:
    """Link a consenting visitor's earlier (and later) visits to ``person``; return how many.

    Nothing is linked unless the latest consent recorded with this visitor id grants
    analytics (P10: "with consent"); the link is audited, shown in the person's timeline and
    export, and undone by erasure. Calling it again for the same person changes nothing.
    """
    if not visitor_id:
        return 0
    latest = (
        ConsentRecord.objects.filter(visitor_key=visitor_id).order_by("-created_at", "-id").first()
    )
    if latest is None or not latest.choices.get("analytics"):
        return 0
    with transaction.atomic():
        visitor, created = Visitor.objects.get_or_create(
            key=visitor_id, defaults={"person": person, "stitched_at": timezone.now()}
        )
        if not created and visitor.person_id != person.pk:
            # The same browser now belongs to someone else's submission: the newest wins.
            visitor.person, visitor.stitched_at = person, timezone.now()
            visitor.save(update_fields=["person", "stitched_at"])
        ConsentRecord.objects.filter(consent_id=latest.consent_id, person=None).update(
            person=person
        )
        visits = PageView.objects.filter(visitor_key=visitor_id).count()
        audit_record(
            actor=actor,
            action="visits.stitched",
            target=person,
            details={"visits": visits, "new_link": created},
        )
    return visits


def visits_of(person) -> list[PageView]:
    """The person's stitched visits, oldest first."""
    keys = list(Visitor.objects.filter(person=person).values_list("key", flat=True))
    if not keys:
        return []
    return list(PageView.objects.filter(visitor_key__in=keys).order_by("at", "id"))


# --- Retention and salts (P08, cookieless counting) -------------------------------------------


def salts_forget(*, now=None) -> int:
    """Delete the salts older than the declared hours (48): their hashes can't be recomputed."""
    now = now or timezone.now()
    kept_hours = declarations.visit_counting().salt_kept_hours
    # A day's salt serves from the day's start; it goes once that start is kept_hours old.
    began_too_long_ago = site_date(now - timedelta(hours=kept_hours))
    removed, _ = DailySalt.objects.filter(day__lte=began_too_long_ago).delete()
    events.salts_cache_clear()
    return removed
