"""A campaign to 100,000 subscribers: resolving and queueing them, then sending (P13).

For each database (SQLite in a temporary file; PostgreSQL when one answers at TEST_POSTGRES_URL,
in a database of its own, ``pledge_bench_campaign``, dropped afterwards) a worker process:

1. migrates a fresh database and seeds the subscribers with bulk_create through the models
   (so each address is encrypted and blind-indexed as the code does): a person, an active
   subscription to the newsletter and the consent that allows it, under policy version 1; one
   in a hundred marked do-not-contact, one in a thousand suppressed (a bounce);
2. times ``campaign_start`` (the gate's bulk answer, the suppression list, the recipient rows);
3. sends through ``campaign_send_batch`` to an aiosmtpd sink on loopback, in the same process,
   for BENCH_SECONDS (10 by default), and counts messages a second;
4. reports the process's peak resident memory (``resource.getrusage``).

BENCH_CAMPAIGN_PEOPLE (100,000) sets the size; BENCH_KINDS=sqlite skips PostgreSQL.
Aims: 100,000 queued in under 60 s, under 200 MB.
"""

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import free_port, peak_mb, reachable, record, say, worker_run

PEOPLE = int(os.environ.get("BENCH_CAMPAIGN_PEOPLE", "100000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
TIMEOUT = int(os.environ.get("BENCH_CAMPAIGN_TIMEOUT", "1800"))
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pledge")
DATABASE = "pledge_bench_campaign"
ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5000


# --- The worker: runs inside a configured Django ---------------------------------------------


class Sink:
    """Accepts every message and keeps only a count."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def seed(people: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from pledge.inventory.services import policy_publish
    from pledge.mail.models import Subscription, SubscriptionStatus, Suppression
    from pledge.people.models import Consent, ConsentMethod, Person

    version = policy_publish(
        summary={"zh-hans": "基准", "en": "bench"}, material=True, published_by="bench"
    )
    now = timezone.now()
    text = "I would like to receive the emails I selected."
    for start in range(0, people, CHUNK):
        with transaction.atomic():
            batch = Person.objects.bulk_create(
                [
                    Person(
                        email=f"reader{index}@example.cn",
                        language="en" if index % 3 == 0 else "zh-hans",
                        policy_version=version.number,
                        do_not_contact=index % 100 == 99,
                    )
                    for index in range(start, min(start + CHUNK, people))
                ]
            )
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        person=person,
                        list_key="newsletter",
                        status=SubscriptionStatus.ACTIVE,
                        confirmed_at=now,
                    )
                    for person in batch
                ]
            )
            Consent.objects.bulk_create(
                [
                    Consent(
                        person=person,
                        subject="list:newsletter",
                        granted=True,
                        text=text,
                        text_hash="0" * 64,
                        language=person.language,
                        method=ConsentMethod.DOUBLE_OPT_IN,
                        policy_version=version.number,
                    )
                    for person in batch
                ]
            )
            Suppression.objects.bulk_create(
                [
                    Suppression(email=person.email, reason="bounce")
                    for index, person in enumerate(batch)
                    if (start + index) % 1000 == 500
                ]
            )


def bare_sending(campaign, count: int) -> tuple[int, float]:
    """The baseline, in the same run: the same rendered message handed to the same sink over
    one connection, ``count`` times, with no database, claim or gate at all."""
    from django.core.mail import get_connection

    from pledge.mail.campaigns import campaign_render
    from pledge.mail.services import email_send

    rendered = campaign_render(campaign, "en")
    connection = get_connection()
    connection.open()
    started = time.perf_counter()
    for index in range(count):
        email_send(
            to=f"baseline{index}@example.test",
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            connection=connection,
        )
    seconds = time.perf_counter() - started
    connection.close()
    return count, seconds


def worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
    django.setup()
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command

    from pledge.mail.campaigns import campaign_create, campaign_send_batch, campaign_start
    from pledge.mail.models import Campaign, CampaignRecipient, RecipientStatus
    from pledge.vault.actors import Actor

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrated in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    seed(PEOPLE)
    seeded = time.perf_counter() - started
    say(f"seeded {PEOPLE:,} subscribers in {seeded:.0f} s")
    rss_seeded = peak_mb()

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    actor = Actor.system("bench")
    campaign = campaign_create(
        actor=actor,
        list_key="newsletter",
        name="bench",
        subject={"zh-hans": "基准测试", "en": "Benchmark"},
        body={
            "zh-hans": "# 你好\n\n这是一封**测试**邮件。[网站](https://www.example.test/)",
            "en": "# Hello\n\nThis is a **test** email. [Site](https://www.example.test/)",
        },
    )
    Campaign.objects.filter(pk=campaign.pk).update(rate_per_minute=10_000_000)
    campaign.refresh_from_db()
    started = time.perf_counter()
    queued = campaign_start(campaign=campaign, actor=actor)
    start_seconds = time.perf_counter() - started
    say(f"queued {queued:,} in {start_seconds:.1f} s")
    rss_started = peak_mb()

    sent = 0
    started = time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        done = campaign_send_batch(campaign.pk)
        sent += done
        if not done:
            break
    send_seconds = time.perf_counter() - started
    received = sink.count
    baseline_sent, baseline_seconds = bare_sending(campaign, min(max(sent, 200), 2000))
    controller.stop()
    campaign.refresh_from_db()
    counted = CampaignRecipient.objects.filter(
        campaign=campaign, status=RecipientStatus.SENT
    ).count()
    print(
        json.dumps(
            {
                "seed_seconds": seeded,
                "queued": queued,
                "excluded": campaign.excluded,
                "start_seconds": start_seconds,
                "sent": sent,
                "sent_rows": counted,
                "received": received,
                "send_seconds": send_seconds,
                "baseline_sent": baseline_sent,
                "baseline_seconds": baseline_seconds,
                "rss_seeded_mb": rss_seeded,
                "rss_started_mb": rss_started,
                "rss_peak_mb": peak_mb(),
            }
        )
    )


# --- The driver ------------------------------------------------------------------------------


def run_worker(label: str, database_url: str, var: Path) -> dict | None:
    print(f"{label}: seeding {PEOPLE:,} subscribers ...", flush=True)
    return worker_run(
        "bench_campaign", label, database_url, var,
        timeout=TIMEOUT, timeout_setting="BENCH_CAMPAIGN_TIMEOUT",
        shown=lambda line: "mail.log" not in line,
    )  # fmt: skip


def report(label: str, outcome: dict) -> None:
    queued, start = outcome["queued"], outcome["start_seconds"]
    print(f"\n### {label}")
    print(f"- seeded {PEOPLE:,} subscribers in {outcome['seed_seconds']:.0f} s")
    print(
        f"- campaign_start: {queued:,} resolved and queued in {start:.1f} s "
        f"({queued / start:,.0f} a second); left out: {outcome['excluded']}"
    )
    print(
        f"- sending: {outcome['sent']:,} messages in {outcome['send_seconds']:.1f} s "
        f"({outcome['sent'] / outcome['send_seconds']:,.0f} a second; "
        f"{outcome['received']:,} received by the sink, {outcome['sent_rows']:,} rows sent)"
    )
    bare = outcome["baseline_sent"] / outcome["baseline_seconds"]
    pledge = outcome["sent"] / outcome["send_seconds"]
    record(
        "campaign", f"campaign messages sent, {label}", pledge, "/s",
        baseline="the same message sent bare", baseline_value=bare,
    )  # fmt: skip
    record(
        "memory", f"campaign worker peak RSS, {label}", outcome["rss_peak_mb"], "MB",
        aim=250, higher_is_better=False,
    )  # fmt: skip
    print(
        f"- baseline, the same message sent bare to the same sink (no database, claim or gate): "
        f"{bare:,.0f} a second; the campaign sends at {pledge / bare:.2f} of it"
    )
    print(
        f"- peak RSS: {outcome['rss_seeded_mb']:.0f} MB after seeding, "
        f"{outcome['rss_started_mb']:.0f} MB after start, {outcome['rss_peak_mb']:.0f} MB at the end"
    )


def main() -> None:
    if "--worker" in sys.argv:
        worker()
        return
    kinds = os.environ.get("BENCH_KINDS", "sqlite,postgres")
    print(f"{PEOPLE:,} subscribers; sending for {SECONDS} s")
    if "sqlite" in kinds:
        directory = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
        try:
            outcome = run_worker("SQLite", f"sqlite:///{directory / 'bench.sqlite3'}", directory)
            if outcome:
                report("SQLite", outcome)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    if "postgres" not in kinds:
        return
    if not reachable(POSTGRES_URL):
        print(f"\nPostgreSQL is not reachable at {POSTGRES_URL}: skipped.")
        return
    import psycopg

    parts = urlsplit(POSTGRES_URL)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    directory = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    try:
        outcome = run_worker(
            "PostgreSQL", urlunsplit(parts._replace(path=f"/{DATABASE}")), directory
        )
        if outcome:
            report("PostgreSQL", outcome)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
