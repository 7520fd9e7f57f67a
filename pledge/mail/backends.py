"""The embedded default's mail backend: keeps messages in the outbox instead of sending them."""

from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    """Sends nothing. Every message is already a row of the outbox (``mail.Message``), which
    the console shows; with this backend the row is marked "kept in the outbox"."""

    holds_mail = True

    def send_messages(self, email_messages):
        return len(email_messages)
