import json

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pledge.inventory import services as policies
from pledge.inventory.loader import current_site
from pledge.inventory.models import PolicyVersion
from pledge.mail.campaigns import acquisition_notice_current, notice_shown
from pledge.tracking import declarations
from pledge.tracking.consent import TOKEN, consent_for
from pledge.tracking.models import ConsentMethod
from pledge.tracking.services import consent_choose, consent_history, consent_record_export

DOCUMENT_TITLES = {"privacy": _("Privacy policy"), "cookies": _("Cookie policy")}


OFFERING_PAGES = {"product": "web:product", "service": "web:service"}


def offering_cards(offerings) -> list[dict]:
    """Each product or service with the address of its page."""
    return [
        {"offering": offering, "url": reverse(OFFERING_PAGES[offering.kind], args=[offering.key])}
        for offering in offerings
    ]


def home(request):
    """The front page: what the site's organisation does, its offer, a customer story, the
    demo; every word from the site folder (site.toml)."""
    site = current_site()
    cards = offering_cards(site.offerings)
    return render(
        request,
        "web/home.html",
        {
            "products": [card for card in cards if card["offering"].kind == "product"],
            "services": [card for card in cards if card["offering"].kind == "service"],
            "story": site.stories.items[0] if site.stories else None,
        },
    )


def offering_page(request, kind, slug):
    """A product's or a service's own page, with the customer stories that tell of it."""
    site = current_site()
    offering = site.offering(kind, slug)
    if offering is None:
        raise Http404("No such product or service.")
    return render(
        request,
        "web/offering.html",
        {
            "offering": offering,
            "stories": [story for story in site.stories.items if slug in story.offerings],
            "others": offering_cards(o for o in site.offerings if o.key != slug),
        },
    )


def stories(request):
    """Customer stories, each told of a kind of customer, with the offerings it tells of."""
    site = current_site()
    cards = {card["offering"].key: card for card in offering_cards(site.offerings)}
    return render(
        request,
        "web/stories.html",
        {
            "stories": [
                {"story": story, "offerings": [cards[key] for key in story.offerings]}
                for story in site.stories.items
            ]
        },
    )


def about(request):
    """Who the organisation is: its own words, then only the facts its inventory declares
    (legal entity, postal address), never stand-ins for those it does not."""
    return render(request, "web/about.html")


def acquisition_notice(request):
    """The acquisition notice (P14), as emailed to everyone whose data we hold."""
    campaign = acquisition_notice_current()
    if campaign is None:
        raise Http404
    shown = notice_shown(campaign, get_language())
    return render(
        request, "web/acquisition_notice.html", {"notice": shown, "sent_at": campaign.started_at}
    )


def privacy_policy(request):
    return policy_page(request, "privacy")


def cookie_policy(request):
    return policy_page(request, "cookies")


def privacy_policy_version(request, number):
    return policy_version_page(request, "privacy", number)


def cookie_policy_version(request, number):
    return policy_version_page(request, "cookies", number)


def policy_page(request, document):
    """The policy as the site's declarations render it now, with the version in force."""
    current = policies.policy_current(document=document, language=get_language())
    return render(
        request,
        "web/policy.html",
        {
            "document": document,
            "title": DOCUMENT_TITLES[document],
            "text": current.text,
            "in_force": current.in_force,
            "in_force_summary": current.in_force.summary_in(get_language())
            if current.in_force
            else "",
            "published": current.published,
        },
    )


def version_or_404(number) -> PolicyVersion:
    try:
        return policies.policy_version_get(number=number)
    except PolicyVersion.DoesNotExist:
        raise Http404("No such policy version.") from None


def policy_version_page(request, document, number):
    """A published version exactly as it was published, kept at its own address."""
    version = version_or_404(number)
    return render(
        request,
        "web/policy_version.html",
        {
            "document": document,
            "title": DOCUMENT_TITLES[document],
            "version": version,
            "summary": version.summary_in(get_language()),
            "text": version.text(document, get_language()),
            "in_force": policies.policy_in_force(),
        },
    )


def policy_versions(request):
    language = get_language()
    versions = [
        {"version": version, "summary": version.summary_in(language)}
        for version in policies.policy_versions()
    ]
    return render(request, "web/policy_versions.html", {"versions": versions})


def policy_diff(request, older, newer):
    """What changed between two published versions, in the page's language."""
    older_version, newer_version = version_or_404(older), version_or_404(newer)
    difference = policies.policy_diff(
        older=older_version, newer=newer_version, language=get_language()
    )
    documents = [
        {"title": DOCUMENT_TITLES[document.document], "diff": document}
        for document in difference.documents
    ]
    return render(
        request,
        "web/policy_diff.html",
        {"difference": difference, "documents": documents},
    )


def token_or_empty(value: str) -> str:
    return value if TOKEN.match(value) else ""


def same_origin(request) -> bool:
    """The banner's form posts from this site only (checked on Origin, see consent_save)."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
    scheme = "https" if request.is_secure() else "http"
    return origin == f"{scheme}://{request.get_host()}"


@csrf_exempt  # P09: no CSRF cookie on every page for the banner; Origin is checked instead
@require_POST
def consent_save(request):
    """Record a choice from the banner or the settings page, set the cookies, go back.

    Browsers send Origin with every form POST, so a cross-site form cannot forge a choice;
    this keeps the CSRF cookie (declared for pages with forms) off pages that only show the
    banner.
    """
    if not same_origin(request):
        return HttpResponseForbidden("Choices are made on this site.")
    method = request.POST.get("decision", "")
    if method not in ConsentMethod.values:
        return HttpResponse("Unknown choice.", status=400, content_type="text/plain")
    current = consent_for(request)
    consent_cookie = declarations.cookie("consent")
    visitor_cookie = declarations.cookie("visitor")
    choice = consent_choose(
        current=current,
        method=method,
        categories=request.POST.getlist("category"),
        language=get_language(),
        visitor_key=token_or_empty(request.COOKIES.get(visitor_cookie.name, "")),
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:home")
    response = HttpResponseRedirect(target, status=303)
    secure = settings.SESSION_COOKIE_SECURE
    response.set_cookie(
        consent_cookie.name,
        choice.cookie_value,
        max_age=choice.cookie_max_age,
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    if choice.visitor_key:
        response.set_cookie(
            visitor_cookie.name,
            choice.visitor_key,
            max_age=visitor_cookie.lifetime_seconds,
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(visitor_cookie.name, samesite="Lax")
    if "marketing" not in choice.record.granted:
        response.delete_cookie(declarations.cookie("arrival").name, samesite="Lax")
    return response


def cookie_settings(request):
    """Change or withdraw a choice at any time, and see this browser's consent history."""
    consent = consent_for(request)
    return render(
        request,
        "web/cookie_settings.html",
        {
            "records": consent_history(consent_id=consent.consent_id),
            "cookies_by_category": declarations.cookies_by_category(),
            "saved": request.GET.get("saved") == "1",
        },
    )


def cookie_proof(request):
    """This browser's consent records as JSON: the visitor's own proof of what they chose."""
    consent = consent_for(request)
    records = consent_history(consent_id=consent.consent_id)
    body = json.dumps(
        {
            "consent_id": consent.consent_id,
            "records": [consent_record_export(record) for record in records],
        },
        ensure_ascii=False,
        indent=2,
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cookie-consent.json"'
    response["Cache-Control"] = "no-store"
    return response
