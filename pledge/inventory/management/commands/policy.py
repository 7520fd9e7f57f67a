"""``pledge policy publish|list``: publish the policy as a new version, list the versions."""

import getpass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pledge.inventory.loader import current_site
from pledge.inventory.problems import InventoryError
from pledge.inventory.services import (
    NothingToPublish,
    policy_in_force,
    policy_publish,
    policy_versions,
)


class Command(BaseCommand):
    help = "Publish the privacy and cookie policies as a new version, or list the versions."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{publish,list}")
        publish = actions.add_parser(
            "publish", help="Snapshot the inventory and the rendered policies as the next version."
        )
        kind = publish.add_mutually_exclusive_group(required=True)
        kind.add_argument(
            "--material",
            action="store_true",
            help="A material change: announced on the site (P23).",
        )
        kind.add_argument("--minor", action="store_true", help="A change that is not material.")
        publish.add_argument(
            "--summary",
            required=True,
            help=f"What changed, in the site's default language ({settings.LANGUAGE_CODE}).",
        )
        publish.add_argument("--summary-en", help="What changed, in English (default: --summary).")
        publish.add_argument(
            "--by", default=None, help="Who publishes (default: the operating system user)."
        )
        publish.add_argument(
            "--no-notice",
            action="store_true",
            help="A material change: do not email the notice now (send it later with "
            "`pledge notice policy --version N`).",
        )
        actions.add_parser("list", help="List the published versions, newest first.")

    def handle(self, *args, action, **options):
        if action == "publish":
            self.publish(options)
        else:
            self.list()

    def publish(self, options):
        summary = {settings.LANGUAGE_CODE: options["summary"]}
        if options.get("summary_en"):
            summary["en"] = options["summary_en"]
        try:
            version = policy_publish(
                summary=summary,
                material=options["material"],
                published_by=options["by"] or getpass.getuser(),
            )
        except NothingToPublish as refusal:
            raise CommandError(str(refusal)) from None
        except InventoryError as error:
            raise CommandError(
                "The inventory is not valid, so nothing was published; "
                "run `pledge inventory check`.\n" + str(error)
            ) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        kind = "material" if version.material else "minor"
        self.stdout.write(
            self.style.SUCCESS(f"Published policy version {version.number} ({kind})")
            + f" on {timezone.localtime(version.published_at):%Y-%m-%d %H:%M}, "
            f"fingerprint {version.content_hash[:12]}. It is now the version in force."
        )
        if version.material and not options.get("no_notice"):
            self.notify(version.number)

    def notify(self, number: int) -> None:
        """P23: a material change is emailed to everyone whose data is held. By the command's
        name: the inventory sits below mail and may not import it."""
        try:
            call_command("notice", "policy", "--version", str(number), stdout=self.stdout)
        except CommandError as error:
            self.stderr.write(
                f"Version {number} is published, but its notice was not sent: {error}\n"
                f"Send it with `pledge notice policy --version {number}`."
            )

    def list(self):
        versions = policy_versions()
        if not versions:
            self.stdout.write("No policy version is published yet: run `pledge policy publish`.")
            return
        for version in versions:
            kind = "material" if version.material else "minor"
            self.stdout.write(
                f"{version.number:>4}  {timezone.localtime(version.published_at):%Y-%m-%d}  "
                f"{kind:<8}  {version.content_hash[:12]}  "
                + version.summary_in(settings.LANGUAGE_CODE)
            )
        try:
            site = current_site()
        except InventoryError:
            self.stdout.write("The inventory is not valid: run `pledge inventory check`.")
            return
        in_force = policy_in_force()
        if in_force.content_hash != site.content_hash:
            self.stdout.write(
                f"The site's declarations have changed since version {in_force.number}: "
                "publish them with `pledge policy publish --minor|--material --summary ...`."
            )
