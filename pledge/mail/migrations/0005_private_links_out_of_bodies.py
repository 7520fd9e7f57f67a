"""Take the private links out of mail stored before they were kept apart.

A sent (or failed) message keeps a placeholder where its link was. One not sent yet (queued,
being sent, or held in the outbox for want of a mail server) keeps its link as a private link,
so it still leaves with the link, and the recipient's copy still works in the demo.
"""

import re

from django.db import migrations

# A link with a path segment long enough to be a token (as pledge.logs.TOKEN), to its end
# (the email-change link goes on after its token).
LINK = re.compile(r"https?://[^\s\"'<>]*?/[A-Za-z0-9_\-.:]{40,}/[^\s\"'<>]*")
PLACEHOLDER = "[pledge-private-link:link]"
UNSENT = {"queued", "sending", "held"}


def links_separate(apps, schema_editor):
    Message = apps.get_model("mail", "Message")
    for message in Message.objects.iterator(chunk_size=500):
        found = LINK.search(message.body_text) or LINK.search(message.body_html)
        if not found:
            continue
        message.body_text = LINK.sub(PLACEHOLDER, message.body_text)
        message.body_html = LINK.sub(PLACEHOLDER, message.body_html)
        message.private_links = {"link": found[0]} if message.status in UNSENT else {}
        message.save(update_fields=["body_text", "body_html", "private_links"])


class Migration(migrations.Migration):
    dependencies = [("mail", "0004_message_private_links")]

    operations = [migrations.RunPython(links_separate, migrations.RunPython.noop)]
