from django.shortcuts import get_object_or_404, render

from pledge.console.decorators import staff_view
from pledge.people.models import Person
from pledge.people.services import people_search, person_timeline, person_view


@staff_view("view_person")
def search(request):
    query = request.GET.get("q", "")[:200]
    results = people_search(query=query, actor=request.user) if query.strip() else []
    return render(
        request,
        "console/people.html",
        {"query": query, "results": results, "searched": bool(query)},
    )


@staff_view("view_person")
def detail(request, public_id):
    person = person_view(person=get_object_or_404(Person, public_id=public_id), actor=request.user)
    timeline = person_timeline(person=person, actor=request.user)
    return render(request, "console/person.html", {"person": person, "timeline": timeline})
