"""``pledge inbox``: read the service mailbox (poll), take one message from a pipe (receive),
or listen for mail from the mail server (serve)."""

import signal
import sys
import threading

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Read the service mailbox: poll it over IMAP, receive one message, or serve SMTP/LMTP."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("poll", help="Store and move every message of INBOUND_URL's folder.")
        commands.add_parser(
            "receive", help="Store one message read from standard input (a pipe transport)."
        )
        serve = commands.add_parser("serve", help="Listen for mail handed on by a mail server.")
        serve.add_argument("--port", type=int, required=True)
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")

    def handle(self, *args, command, **options):
        if command == "poll":
            self.poll()
        elif command == "receive":
            self.receive()
        else:
            self.serve(options["host"], options["port"], options["lmtp"])

    def poll(self):
        from django.conf import settings

        from pledge.inbox.imap import mailbox_poll

        if not settings.INBOUND_URL:
            raise CommandError("INBOUND_URL is not set: nothing to poll.")
        result = mailbox_poll()
        self.stdout.write(f"{result.seen} seen, {result.stored} stored, {result.moved} moved")

    def receive(self):
        from pledge.inbox.models import Source
        from pledge.inbox.services import inbound_receive

        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("no message on standard input")
        message = inbound_receive(raw, source=Source.PIPE)
        self.stdout.write(f"{message.public_id} {message.classification} {message.outcome}")

    def serve(self, host: str, port: int, lmtp: bool):
        from pledge.inbox.receiver import receiver_start

        controller = receiver_start(port=port, host=host, lmtp=lmtp)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"listening on {host}:{port} ({'LMTP' if lmtp else 'SMTP'})")
        try:
            stop.wait()
        finally:
            controller.stop()
