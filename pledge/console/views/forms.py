from django.shortcuts import render

from pledge.console.decorators import staff_view
from pledge.intake.activity import forms_activity
from pledge.inventory.loader import current_inventory


@staff_view("view_aggregates")
def forms_overview(request):
    activity = forms_activity(actor=request.actor)
    rows = [
        {
            "name": collection.name,
            "received": activity["received"].get(key, 0),
            "refused": activity["refused"].get(key, {}),
        }
        for key, collection in current_inventory().forms.items()
    ]
    return render(request, "console/forms.html", {"rows": rows, "days": activity["days"]})
