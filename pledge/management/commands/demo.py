"""``pledge demo``: loads the Gonex demo site into an empty database.

It publishes version 1 of the privacy and cookie policies when none is published yet,
creates the staff administrator and prints the password once; running it again changes
nothing (``--reset-password`` prints a new password for the same account).
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from pledge.inventory.services import policy_in_force, policy_publish

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Load the Gonex demo site: a staff administrator and sample data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Give the demo administrator a new password and print it.",
        )

    @transaction.atomic
    def handle(self, *args, reset_password, **options):
        self.publish_first_policy()
        users = get_user_model()
        admin = users.objects.filter(username=ADMIN_USERNAME).first()
        if admin is not None and not reset_password:
            self.stdout.write(
                "The demo is already loaded. Log in as 'admin' with the password printed the "
                "first time, or run `pledge demo --reset-password` for a new one."
            )
            return
        password = secrets.token_urlsafe(12)
        if admin is None:
            admin = users.objects.create_superuser(
                username=ADMIN_USERNAME, email="admin@letsgonex.com", password=password
            )
        else:
            admin.set_password(password)
            admin.save(update_fields=["password"])
        self.stdout.write(
            self.style.SUCCESS("Demo loaded.")
            + "\n  Staff login: http://127.0.0.1:8000/console/login/"
            + f"\n  Username:    {ADMIN_USERNAME}"
            + f"\n  Password:    {password}   (shown once; keep it)"
        )

    def publish_first_policy(self):
        """A fresh site shows a versioned policy: version 1, from the Gonex inventory (P23)."""
        if policy_in_force() is not None:
            return
        version = policy_publish(
            summary={
                "zh-hans": "首次发布:本网站的隐私政策和 Cookie 政策。",
                "en": "First publication of the site's privacy policy and cookie policy.",
            },
            material=False,
            published_by="pledge demo",
        )
        self.stdout.write(f"Published the privacy policy as version {version.number}.")
