from django.shortcuts import render

from pledge.cases.services import cases_today
from pledge.console.decorators import staff_view
from pledge.meetings.experts import expert_agenda
from pledge.meetings.leads import leads_today
from pledge.vault.access import ROLE_NAMES, roles_of


@staff_view()
def home(request):
    """What needs doing today, for whoever is signed in: an expert's meetings first."""
    return render(
        request,
        "console/home.html",
        {
            "roles": [ROLE_NAMES[role] for role in roles_of(request.user)],
            "agenda": expert_agenda(actor=request.actor),
            "leads": leads_today(actor=request.actor),
            "cases": cases_today(actor=request.actor),
        },
    )
