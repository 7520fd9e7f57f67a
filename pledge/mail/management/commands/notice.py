"""``pledge notice policy|acquisition|status``: the notices the law requires (P14, P23).

``policy`` announces a material change of the privacy policy (the version in force, or
``--version N``) to everyone whose data is held; ``acquisition`` announces an acquisition;
``status`` prints each notice's report. Both notices start sending at once, through the
campaign engine (one recipient row per person: recorded per person, resumable).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pledge.inventory.services import policy_in_force
from pledge.mail.campaigns import (
    REPORT_STATUSES,
    CampaignError,
    campaign_report,
    notice_acquisition,
    notice_policy,
    notices_list,
)
from pledge.vault.actors import Actor

ACTOR = Actor.system("notice")


class Command(BaseCommand):
    help = "Send the notices the law requires (a policy change, an acquisition), or their status."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        policy = actions.add_parser("policy", help="Notify a material policy change (P23).")
        policy.add_argument(
            "--version", type=int, help="The version to announce (default: the one in force)."
        )
        acquisition = actions.add_parser("acquisition", help="Notify an acquisition (P14).")
        acquisition.add_argument("--acquirer", required=True, help="Who acquires the business.")
        acquisition.add_argument(
            "--summary",
            required=True,
            help=f"What it means for people's data, in {settings.LANGUAGE_CODE}.",
        )
        acquisition.add_argument("--summary-en", help="The same in English (default: --summary).")
        actions.add_parser("status", help="Each notice's report.")

    def handle(self, *args, action, **options):
        try:
            if action == "policy":
                self.policy(options.get("version"))
            elif action == "acquisition":
                self.acquisition(options)
            else:
                self.status()
        except CampaignError as error:
            raise CommandError(str(error)) from None

    def policy(self, number):
        if number is None:
            version = policy_in_force()
            if version is None:
                raise CommandError("No policy version is published: run `pledge policy publish`.")
            number = version.number
        campaign = notice_policy(version_number=number, actor=ACTOR)
        self.started(campaign)

    def acquisition(self, options):
        summary = {settings.LANGUAGE_CODE: options["summary"]}
        if options.get("summary_en"):
            summary["en"] = options["summary_en"]
        campaign = notice_acquisition(acquirer=options["acquirer"], summary=summary, actor=ACTOR)
        self.started(campaign)

    def started(self, campaign):
        total = campaign_report(campaign).total
        count = sum(total[status] for status in REPORT_STATUSES)
        left_out = sum((campaign.excluded or {}).values())
        self.stdout.write(
            self.style.SUCCESS(f"Notice {campaign.public_id} ({campaign.title}): ")
            + f"{count} queued, {left_out} left out (suppressed or without an address). "
            "It is sending now; see `pledge notice status`."
        )

    def status(self):
        notices = list(notices_list(actor=ACTOR))
        if not notices:
            self.stdout.write("No notice has been sent.")
            return
        for campaign in notices:
            report = campaign_report(campaign)
            counts = ", ".join(f"{key} {value}" for key, value in report.total.items() if value)
            self.stdout.write(
                f"{timezone.localtime(campaign.created_at):%Y-%m-%d %H:%M}  {campaign.get_status_display():<10}  "
                f"{campaign.title}: {counts or 'no recipients'}"
            )
            for reason, number in report.excluded.items():
                self.stdout.write(f"    left out, {reason}: {number}")
