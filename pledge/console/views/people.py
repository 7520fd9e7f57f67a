from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from pledge.cases.services import cases_of
from pledge.console.decorators import staff_view
from pledge.meetings.leads import people_with_open_leads
from pledge.people.models import Organization, Person, Source
from pledge.people.optouts import do_not_contact_set
from pledge.people.search import PeopleFilters, people_list
from pledge.people.services import organization_open, person_open
from pledge.people.timeline import person_timeline
from pledge.tracking.identification import organization_networks_set
from pledge.vault.access import has_access

PEOPLE_PER_PAGE = 50
DO_NOT_CONTACT_CHOICES = {"yes": True, "no": False}


def people_filters_from(params) -> PeopleFilters:
    """The list's filters from the address; a value that is not one of the choices counts as
    no filter (a hand-edited address never fails)."""
    source = params.get("source", "")
    return PeopleFilters(
        do_not_contact=DO_NOT_CONTACT_CHOICES.get(params.get("dnc", "")),
        source=source if source in Source.values else "",
        organization=params.get("org", "").strip()[:200],
        among=people_with_open_leads() if params.get("open") == "1" else None,
    )


@staff_view("view_person")
def search(request):
    """Everyone Pledge holds, newest first: searched by a part of a name, email or company,
    filtered, a page at a time. Each showing is audited as a search (``people_list``)."""
    query = request.GET.get("q", "")[:200]
    filters = people_filters_from(request.GET)
    found = people_list(actor=request.actor, query=query, filters=filters)
    paginator = Paginator(found.people, PEOPLE_PER_PAGE)
    paginator.count = found.count  # counted once, and at most COUNT_MAX (people_list)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "console/people.html",
        {
            "query": query,
            "found": found,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
            "filtered": bool(query.strip() or filters.used()),
            "sources": Source.choices,
            "dnc": request.GET.get("dnc", "") if filters.do_not_contact is not None else "",
            "source": filters.source,
            "org": filters.organization,
            "open": filters.among is not None,
        },
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
