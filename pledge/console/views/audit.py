from django.shortcuts import render

from pledge.console.decorators import staff_view
from pledge.vault.audit import audit_cursor, audit_page, audit_verify


@staff_view("view_audit_log")
def audit_log(request):
    """The log, newest first, 50 entries a page; ``?before=``/``?after=`` a sequence number
    turn the pages (a keyset: a page deep in the log costs what the first does)."""
    action = request.GET.get("action", "")[:80]
    page = audit_page(
        actor=request.actor,
        action=action,
        before=audit_cursor(request.GET.get("before")),
        after=audit_cursor(request.GET.get("after")),
    )
    verdict = audit_verify() if request.GET.get("verify") else None
    return render(
        request,
        "console/audit.html",
        {"page": page, "action": action, "verdict": verdict},
    )
