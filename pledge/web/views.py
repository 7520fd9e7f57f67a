from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pledge.inventory import services as policies
from pledge.inventory.models import PolicyVersion

DOCUMENT_TITLES = {"privacy": _("Privacy policy"), "cookies": _("Cookie policy")}


def home(request):
    return render(request, "web/home.html")


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


def careers(request):
    """Open positions, and the way to apply (the job application form, P05)."""
    return render(request, "web/careers.html")
