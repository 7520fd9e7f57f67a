from django.conf import settings
from django.urls import translate_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from pledge.inventory.loader import current_site
from pledge.mail.campaigns import acquisition_notice_current, notice_shown
from pledge.tracking.banner import banner_wording
from pledge.tracking.beacon import new_event_id
from pledge.tracking.consent import consent_for
from pledge.tracking.events import referrer_domain


def site(request):
    """What every public and console page needs: the site folder's facts (``site``: names,
    domain, mailbox, page texts; ``site_name`` in the page's language), its time zone (its days
    run midnight to midnight there), its language links, and what search engines read: the
    page's absolute address in each language and its description."""
    current = get_language()
    path = request.get_full_path()
    loaded = current_site()
    return {
        "site": loaded,
        "site_name": str(loaded.name),
        "site_time_zone": settings.TIME_ZONE,
        "language_links": [
            {
                "code": code,
                "name": name,
                "url": translate_url(path, code),
                "current": code == current,
            }
            for code, name in settings.LANGUAGES
        ],
        **page_addresses(request.path, current),
        "page_description": SimpleLazyObject(lambda: page_description(request, loaded)),
    }


def page_addresses(path: str, current: str) -> dict:
    """The page's canonical address and its alternates in every language (and x-default, the
    site's default language), absolute under PLEDGE_SITE_URL as search engines require; the
    query string is left out, so a tracked link never becomes a page of its own."""
    base = settings.PLEDGE_SITE_URL
    alternates = [
        {"code": code, "url": base + translate_url(path, code)} for code, _ in settings.LANGUAGES
    ]
    alternates.append(
        {"code": "x-default", "url": base + translate_url(path, settings.LANGUAGE_CODE)}
    )
    return {"canonical_url": base + translate_url(path, current), "alternate_links": alternates}


def page_description(request, loaded) -> str:
    """The description of a page whose template gives none: a form's, as the inventory
    declares it, else the home page's (site.toml)."""
    match = getattr(request, "resolver_match", None)
    form_key = match.kwargs.get("form_key") if match else None
    if form_key:
        try:
            return str(loaded.inventory.form(form_key).description)
        except KeyError:
            pass
    return str(loaded.home.description) if loaded.home else str(loaded.name)


def notices(request):
    """The acquisition notice's headline on every public page (P14), once one was sent."""

    def headline():
        campaign = acquisition_notice_current()
        return notice_shown(campaign, get_language()).subject if campaign else ""

    return {"acquisition_headline": SimpleLazyObject(headline)}


def tracking(request):
    """The consent banner (shown until a choice is made) and the no-script beacon pixel."""
    consent = consent_for(request)
    domain = referrer_domain(request.META.get("HTTP_REFERER", ""), request.get_host())
    return {
        "consent": consent,
        "consent_allowed": [
            category
            for category in ("preferences", "analytics", "marketing")
            if consent.allows(category)
        ],
        "banner": banner_wording(),
        "banner_open": consent.asks,
        "beacon_pixel": {
            "id": new_event_id(),
            "path": request.get_full_path(),
            "referrer": f"//{domain}" if domain else "",
        },
    }
