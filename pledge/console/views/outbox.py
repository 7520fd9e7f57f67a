import re

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from pledge.console.decorators import staff_view
from pledge.mail.attachments import attachment_open
from pledge.mail.models import Message
from pledge.mail.services import message_delivered_copy, message_shown, message_view, outbox
from pledge.paging import window
from pledge.vault.access import has_access


@staff_view("read_mailbox")
def outbox_list(request):
    page = window(outbox(actor=request.actor), request.GET.get("page"))
    return render(request, "console/outbox.html", {"page": page})


@staff_view("read_mailbox")
def outbox_message(request, public_id):
    message = message_view(
        message=get_object_or_404(Message, public_id=public_id), actor=request.actor
    )
    return render(
        request,
        "console/outbox_message.html",
        {
            "message": message,
            "body": message_shown(message),
            "may_open_delivered": has_access(request.actor, "manage_staff"),
        },
    )


@staff_view("read_mailbox")
def outbox_attachment(request, public_id, index: int):
    """Download one attachment (an invite's .ics) as stored: private links stay placeholders."""
    message = get_object_or_404(Message, public_id=public_id)
    attachment = attachment_open(message=message, index=index, actor=request.actor)
    if attachment is None:
        raise Http404
    filename = re.sub(r"[^\w.-]", "_", attachment.get("filename") or "attachment")
    mimetype = attachment.get("mimetype") or "application/octet-stream"
    content = attachment.get("content", "")
    if isinstance(content, str):
        content, mimetype = content.encode(), f"{mimetype.split(';')[0]}; charset=utf-8"
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_view("manage_staff")
def outbox_delivered(request, public_id):
    """The recipient's copy with its links, for the administrator while mail stays here."""
    message = get_object_or_404(Message, public_id=public_id)
    body = message_delivered_copy(message=message, actor=request.actor)
    return render(request, "console/outbox_delivered.html", {"message": message, "body": body})
