"""``pledge share RECIPIENT``: the file for a declared processor or affiliate (P12, P14).

Only the columns the recipient's declared categories allow, only the people it may receive
(``gate.share_audience``); each one is written to the disclosure log, and standard error says
how many were left out and why. Without ``--output`` the CSV goes to standard output.
"""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pledge.cases.disclosures import share_export
from pledge.vault.actors import Actor


class Command(BaseCommand):
    help = "Export people to a declared processor or affiliate, logging each disclosure."

    def add_arguments(self, parser):
        parser.add_argument("recipient", help="the recipient's key in the inventory")
        parser.add_argument("--output", "-o", help="write the CSV to this file")

    def handle(self, *args, recipient, output=None, **options):
        try:
            share = share_export(key=recipient, actor=Actor.system("share"))
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from None
        text = share.csv()
        if output:
            with open(output, "w", encoding="utf-8", newline="") as file:
                file.write(text)
        else:
            self.stdout.write(text, ending="")
        # How many, which columns, who was left out and why (the gate's reasons, translated).
        print(share.summary() + " " + _("Each disclosure is logged."), file=sys.stderr)
