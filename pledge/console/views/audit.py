from django.core.paginator import Paginator
from django.shortcuts import render

from pledge.console.decorators import staff_view
from pledge.vault.audit import audit_entries, audit_verify


@staff_view("view_audit_log")
def audit_log(request):
    action = request.GET.get("action", "")[:80]
    entries = audit_entries(actor=request.actor, action=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    verdict = audit_verify() if request.GET.get("verify") else None
    return render(
        request,
        "console/audit.html",
        {"page": page, "action": action, "verdict": verdict},
    )
