from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from pledge.cases.services import cases_of
from pledge.console.decorators import staff_view
from pledge.people.models import Organization, Person
from pledge.people.optouts import do_not_contact_set
from pledge.people.services import organization_open, people_search, person_open
from pledge.people.timeline import person_timeline
from pledge.tracking.identification import organization_networks_set
from pledge.vault.access import has_access


@staff_view("view_person")
def search(request):
    query = request.GET.get("q", "")[:200]
    actor = request.actor
    results = people_search(query=query, actor=actor) if query.strip() else []
    return render(
        request,
        "console/people.html",
        {"query": query, "results": results, "searched": bool(query)},
    )


@staff_view(("view_person", "work_own_leads"))
def detail(request, public_id):
    """A person's page: their data and timeline, for the privacy officer or their expert."""
    person = get_object_or_404(Person.objects.select_related("organization"), public_id=public_id)
    actor = request.actor
    if request.method == "POST":
        do_not_contact_set(
            person=person,
            value=request.POST.get("do_not_contact") == "1",
            actor=actor,
            reason=request.POST.get("reason", "")[:300],
        )
        return redirect("console:person", public_id=person.public_id)
    person_open(person=person, actor=actor)
    cases = cases_of(person=person, actor=actor) if has_access(actor, "manage_cases") else None
    return render(
        request,
        "console/person.html",
        {"person": person, "timeline": person_timeline(person), "cases": cases},
    )


@staff_view("view_person")
def organizations(request):
    query = request.GET.get("q", "").strip()[:200]
    found = Organization.objects.order_by("domain")
    if query:
        found = found.filter(domain__icontains=query) | found.filter(name__icontains=query)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "console/organizations.html", {"page": page, "query": query})


@staff_view("view_person")
def organization(request, public_id):
    organization = get_object_or_404(Organization, public_id=public_id)
    actor = request.actor
    networks = " ".join(organization.networks)
    error = ""
    if request.method == "POST" and request.POST.get("action") == "networks":
        networks = request.POST.get("networks", "")[:4000]
        try:
            organization_networks_set(organization=organization, networks=networks, actor=actor)
            return redirect("console:organization", public_id=organization.public_id)
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    elif request.method == "POST":
        do_not_contact_set(
            organization=organization,
            value=request.POST.get("do_not_contact") == "1",
            actor=actor,
            reason=request.POST.get("reason", "")[:300],
        )
        return redirect("console:organization", public_id=organization.public_id)
    organization_open(organization=organization, actor=actor)
    return render(
        request,
        "console/organization.html",
        {
            "organization": organization,
            "people": organization.people.order_by("created_at"),
            "networks": networks,
            "error": error,
        },
        status=400 if error else 200,
    )
