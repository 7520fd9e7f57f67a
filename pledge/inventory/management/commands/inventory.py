"""``pledge inventory check|export``: validate an inventory, or export it as a Fides data map."""

import json
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pledge.inventory.fides import fides_manifest, fides_validate
from pledge.inventory.gaps import inventory_gaps
from pledge.inventory.lines import TomlLines
from pledge.inventory.loader import place, site_load
from pledge.inventory.problems import InventoryError


class Command(BaseCommand):
    help = "Check the site's inventory, or export it in Fides' format."
    # `check` must run on a broken inventory, which the system checks would stop.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{check,export}")
        check = actions.add_parser(
            "check",
            help="Validate an inventory file and the policy texts, without starting the site.",
        )
        check.add_argument(
            "file",
            nargs="?",
            help="The inventory file (default: inventory.toml of PLEDGE_SITE). Its folder's "
            "policy/ texts are checked with it.",
        )
        export = actions.add_parser("export", help="Write the data map in another tool's format.")
        export.add_argument(
            "--format", choices=["fides"], default="fides", help="Only fides for now."
        )
        export.add_argument(
            "--output", "-o", help="Write to this file instead of standard output (.json for JSON)."
        )
        export.add_argument("--language", default="en", help="Language of names (default en).")

    def handle(self, *args, action, **options):
        if action == "check":
            self.check(options.get("file"))
        else:
            self.export(options["output"], options["language"])

    def load(self, file: str | None):
        if file:
            path = Path(file).resolve()
            return site_load(path.parent, inventory_path=path)
        return site_load(settings.SITE_DIR)

    def check(self, file: str | None):
        try:
            site = self.load(file)
        except InventoryError as error:
            for problem in error.problems:
                self.stderr.write(f"{problem.location}: ({problem.code}) {problem.message}")
                self.stderr.write(f"    Fix: {problem.fix}")
            count = len(error.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was changed."
            ) from None
        inventory = site.inventory
        self.stdout.write(
            self.style.SUCCESS(f"{site.inventory_path}: the inventory is valid.")
            + f"\n  forms: {len(inventory.forms)}, other channels: {len(inventory.channels)}, "
            f"cookies: {len(inventory.cookies)}, purposes: {len(inventory.uses)}, "
            f"processors: {len(inventory.processors)}, affiliates: {len(inventory.affiliates)}, "
            f"rights: {len(inventory.rights.requests)}; the policy texts render in "
            + ", ".join(site.texts["privacy"])
            + "."
        )
        # Valid, but empty where the law asks the policy to say something: warned, not refused.
        lines = TomlLines(site.source)
        for gap in inventory_gaps(inventory):
            gap = place(gap, site.inventory_path, lines)
            self.stdout.write(
                self.style.WARNING(f"Warning: {gap.location}: ({gap.code}) {gap.message}")
            )
            self.stdout.write(f"    Fix: {gap.fix}")

    def export(self, output: str | None, language: str):
        try:
            site = self.load(None)
        except InventoryError as error:
            raise CommandError(
                f"The inventory is not valid; run `pledge inventory check`.\n{error}"
            ) from None
        manifest = fides_manifest(site.inventory, language=language)
        problems = fides_validate(manifest)
        if problems:
            raise CommandError("fideslang refused the export:\n" + "\n".join(problems))
        if output and output.endswith(".json"):
            text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        else:
            text = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote the Fides data map to {output}.")
        else:
            self.stdout.write(text, ending="")
