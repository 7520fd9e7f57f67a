"""``pledge demo``: loads the site's demo into an empty database.

It publishes version 1 of the privacy and cookie policies when none is published yet,
creates the staff administrator, two sales experts with their weekly availability, a privacy
officer and a marketer, sends three sample requests through the real forms' services (so they
appear as leads; one ticks every separate consent box of its form, one only sales follow-up, one
none, so a person's consents show both what sending a form agreed to and each box), enters a complaint as a case, signs two people up to the newsletter, and prints the staff passwords once; running it again changes
nothing (``--reset-password`` prints a new password for the administrator).
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.http import QueryDict

from pledge.inventory.loader import current_inventory
from pledge.inventory.services import policy_in_force, policy_publish

ADMIN_USERNAME = "admin"


def staff_domain() -> str:
    """The demo's staff get addresses at the site's own mail domain."""
    return current_inventory().organization.service_mailbox.rpartition("@")[2]


class Command(BaseCommand):
    help = "Load the site's demo: a staff administrator and sample data."

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
                username=ADMIN_USERNAME, email=f"admin@{staff_domain()}", password=password
            )
        else:
            admin.set_password(password)
            admin.save(update_fields=["password"])
        experts = [] if reset_password else self.sample_experts()
        officers = [] if reset_password else self.sample_privacy_officer()
        marketers = [] if reset_password else self.sample_marketer()
        if not reset_password:
            self.sample_requests()
            self.sample_cases()
            self.sample_subscribers()
        self.stdout.write(
            self.style.SUCCESS("Demo loaded.")
            + f"\n  Staff login: {settings.PLEDGE_SITE_URL}/console/login/"
            + f"\n  Username:    {ADMIN_USERNAME}"
            + f"\n  Password:    {password}   (shown once; keep it)"
        )
        for username, expert_password in experts:
            self.stdout.write(f"  Sales expert: {username} / {expert_password}   (shown once)")
        for username, officer_password in officers:
            self.stdout.write(f"  Privacy officer: {username} / {officer_password}   (shown once)")
        for username, marketer_password in marketers:
            self.stdout.write(f"  Marketing: {username} / {marketer_password}   (shown once)")

    def sample_experts(self):
        """Two sales experts, each with a working week, taking the sales forms' leads."""
        from datetime import time

        from pledge.meetings.models import Availability, Expert
        from pledge.vault.access import Role
        from pledge.vault.actors import Actor
        from pledge.vault.staff import staff_create

        created = []
        for username, name, languages in (
            ("chen.jing", "陈静 Chen Jing", ["zh-hans", "en"]),
            ("li.ming", "李明 Li Ming", ["zh-hans"]),
        ):
            user, expert_password = staff_create(
                username=username,
                email=f"{username}@{staff_domain()}",
                roles=[Role.SALES_EXPERT],
                actor=Actor.system("demo"),
            )
            expert = Expert.objects.create(
                user=user,
                display_name=name,
                languages=languages,
                forms=["demo", "interest", "contact"],
                meeting_link=f"https://meet.{current_inventory().organization.domain}/{username}",
                office_address=current_inventory().organization.name.get("en"),
            )
            Availability.objects.bulk_create(
                Availability(expert=expert, weekday=weekday, start=start, end=end)
                for weekday in range(5)
                for start, end in ((time(9), time(12)), (time(13), time(18)))
            )
            created.append((username, expert_password))
        return created

    def sample_privacy_officer(self):
        """The privacy officer works the rights requests and complaints (console: Cases)."""
        from pledge.vault.access import Role
        from pledge.vault.actors import Actor
        from pledge.vault.staff import staff_create

        user, password = staff_create(
            username="zhou.min",
            email=f"zhou.min@{staff_domain()}",
            roles=[Role.PRIVACY_OFFICER],
            actor=Actor.system("demo"),
        )
        return [(user.get_username(), password)]

    def sample_marketer(self):
        """Marketing writes and sends the campaigns (console: Campaigns)."""
        from pledge.vault.access import Role
        from pledge.vault.actors import Actor
        from pledge.vault.staff import staff_create

        user, password = staff_create(
            username="lin.xiao",
            email=f"lin.xiao@{staff_domain()}",
            roles=[Role.MARKETING],
            actor=Actor.system("demo"),
        )
        return [(user.get_username(), password)]

    def sample_subscribers(self):
        """Two newsletter subscribers, signed up and confirmed through the real double opt-in."""
        from pledge.mail.models import SubscriptionRequest
        from pledge.mail.subscriptions import subscription_confirm, subscription_request
        from pledge.vault.actors import Actor

        newsletter = current_inventory().forms["newsletter"].fields["lists"]
        for email, language in (
            ("wang.fang@example-logistics.cn", "zh-hans"),
            ("amy.lee@example-retail.com", "en"),
        ):
            request = subscription_request(
                email=email,
                lists=["newsletter"],
                language=language,
                consent_text=newsletter.consent_text.get(language),
                actor=Actor.visitor("subscription"),
            )
            subscription_confirm(
                request=SubscriptionRequest.objects.get(pk=request.pk),
                policy_version=policy_in_force().number,
            )

    def sample_cases(self):
        """A complaint that came by email, as staff would enter it, due in the legal time."""
        from pledge.cases.services import case_open
        from pledge.vault.actors import Actor

        case_open(
            kind="complaint",
            channel="email",
            actor=Actor.system("demo"),
            requester_email="daniel.ho@example-retail.com",
            requester_name="Daniel Ho",
            details="I received two newsletters after unsubscribing. Please explain.",
            language="en",
        )

    def sample_requests(self):
        """Three visitors' requests, through the same path a real post takes: the demo ticks
        every separate consent box its form has (sales follow-up, sharing, abroad), the contact
        only sales follow-up, the interest none (sending it consents to the request alone)."""
        from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
        from pledge.intake.services import submission_receive

        def boxes(form_key: str, wanted) -> dict:
            return {
                declared.key: "on"
                for declared in current_inventory().form(form_key).consent_fields
                if declared.widget == "checkbox" and wanted(declared.consent_subject or "")
            }

        separate = boxes("demo", lambda subject: subject == "sales" or ":" in subject)
        samples = (
            (
                "demo",
                "zh-hans",
                {
                    "name": "王芳",
                    "email": "wang.fang@example-logistics.cn",
                    "company": "示例物流有限公司",
                    "phone": "+86 138 0000 0001",
                    "meeting_mode": "online",
                    "preferred_times": ["weekday_morning"],
                    "interests": "客户管理和服务台",
                    **separate,
                },
            ),
            (
                "interest",
                "en",
                {
                    "name": "Daniel Ho",
                    "email": "daniel.ho@example-retail.com",
                    "employer": "Example Retail",
                    "topic": "product",
                    "business_need": "We want to automate our returns process.",
                },
            ),
            (
                "contact",
                "zh-hans",
                {
                    "name": "赵磊",
                    "email": "zhao.lei@example-soft.cn",
                    "company": "示例软件",
                    "subject": "分销合作",
                    "message": "我们希望在华南地区分销贵公司的产品。",
                    "inquiry_type": "distributor",
                    **boxes("contact", lambda subject: subject == "sales"),
                },
            ),
        )
        for form_key, language, answers in samples:
            question = sum_issue()
            data = QueryDict(mutable=True)
            for key, value in answers.items():
                if isinstance(value, list):
                    data.setlist(key, value)
                else:
                    data[key] = value
            data[SUM_TOKEN_FIELD] = question.token
            data[SUM_FIELD] = str(question.left + question.right)
            submission_receive(
                form_key=form_key, data=data, files={}, client_ip="127.0.0.1", language=language
            )

    def publish_first_policy(self):
        """A fresh site shows a versioned policy: version 1, from the site's inventory (P23)."""
        if policy_in_force() is not None:
            return
        version = policy_publish(
            summary={
                "zh-hans": "首次发布：本网站的隐私政策和 Cookie 政策。",
                "en": "First publication of the site's privacy policy and cookie policy.",
            },
            material=False,
            published_by="pledge demo",
        )
        self.stdout.write(f"Published the privacy policy as version {version.number}.")
