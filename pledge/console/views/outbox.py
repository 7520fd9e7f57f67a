from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from pledge.console.decorators import staff_view
from pledge.mail.models import Message
from pledge.mail.services import message_view, outbox


@staff_view("read_mailbox")
def outbox_list(request):
    page = Paginator(outbox(actor=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "console/outbox.html", {"page": page})


@staff_view("read_mailbox")
def outbox_message(request, public_id):
    message = message_view(
        message=get_object_or_404(Message, public_id=public_id), actor=request.user
    )
    return render(request, "console/outbox_message.html", {"message": message})
