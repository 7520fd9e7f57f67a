"""Take the private links out of mail stored before they were kept apart.

A sent message keeps a placeholder where its link was; a message held in the outbox (no mail
server) keeps its link as a private link, so the recipient's copy still works in the demo.
"""

import re

from django.db import migrations

# A link whose last path segment is long enough to be a token (as pledge.logs.TOKEN).
LINK = re.compile(r"https?://\S+?/[A-Za-z0-9_\-.:]{40,}/")
PLACEHOLDER = "[pledge-private-link:link]"


def links_separate(apps, schema_editor):
    Message = apps.get_model("mail", "Message")
    for message in Message.objects.iterator(chunk_size=500):
        found = LINK.search(message.body_text) or LINK.search(message.body_html)
        if not found:
            continue
        message.body_text = LINK.sub(PLACEHOLDER, message.body_text)
        message.body_html = LINK.sub(PLACEHOLDER, message.body_html)
        message.private_links = {"link": found[0]} if message.status == "held" else {}
        message.save(update_fields=["body_text", "body_html", "private_links"])


class Migration(migrations.Migration):
    dependencies = [("mail", "0004_message_private_links")]

    operations = [migrations.RunPython(links_separate, migrations.RunPython.noop)]
