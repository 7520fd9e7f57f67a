"""``pledge share RECIPIENT``: the file for a declared processor or affiliate (P12, P14).

Only the columns the recipient's declared categories allow, only the people it may receive;
each one is written to the disclosure log. Without ``--output`` the CSV goes to standard output.
"""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

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
        print(
            f"{len(share.people)} people, columns {', '.join(share.columns)}; "
            f"{share.opted_out} left out for opting out, {share.not_allowed} whose data may not "
            "be used for the recipient's purposes. Each disclosure is logged.",
            file=sys.stderr,
        )
