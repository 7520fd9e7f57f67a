"""``pledge purge`` over a large database: rows deleted a second, and the longest write lock.

For each database (SQLite in a temporary file; PostgreSQL when one answers at TEST_POSTGRES_URL,
in a database of its own, ``pledge_bench_purge``, dropped afterwards) a worker process:

1. migrates a fresh database and seeds it, oldest rows first as a site writes them, in chunks
   of one transaction each. People and their contact-form submissions go through the models
   with bulk_create (name, email and answers encrypted, the email blind-indexed, policy version
   1 stamped); their name tokens (two each) and a provenance row each, which have no encrypted
   field, and the page views go in as plain rows (executemany on SQLite, COPY on PostgreSQL).
   One person in ten arrived, sent the form and was last in contact 740 to 1,500 days ago, past
   ``[retention.people]`` and the contact form's 730 days from last contact; the rest within
   the last 700 days. One page view in ten is 181 to 400 days old, past
   ``[retention.page_views]``' 180 days; the rest younger. ``created_at`` (auto_now_add) is set
   by seeding each chunk under ``time_machine.travel(instant, tick=False)``, so every row of a
   chunk carries the chunk's instant (plain rows are given it). SQLite loads with
   ``synchronous=OFF`` and goes back to FULL before anything is measured; PostgreSQL is
   ANALYZEd after the load, as autovacuum would be; SQLite is not (the project never runs
   ANALYZE);
2. runs ``retention_purge(actor=Actor.system("bench"), dry_run=False)``; the engine reports
   each rule's count, batches and longest write transaction, and the bench wraps its
   ``rule_purge`` and ``batches`` to time each rule, the reads that find each batch of keys,
   and every batch's write transaction;
3. meanwhile a thread with its own connection does what a beacon commit does: every 10 ms one
   page view written through ``DatabaseSink.write`` in its own transaction, each timed; also
   for 3 s before the purge (idle, for reference);
4. the baseline, in the same run: the expired page views are seeded again (same instants) and
   deleted by one bare ``DELETE FROM tracking_pageview WHERE at < %s`` in autocommit, with the
   same writing thread running: its rows a second, and how long it holds the write lock;
5. reports the worker's peak resident memory (``resource.getrusage``).

Sizes: BENCH_PURGE_PEOPLE (200,000) and BENCH_PURGE_VIEWS (2,000,000) keep ``make bench``
between 6 and 15 minutes on this 2-core machine, as loaded as it is (the seeding is most of it:
1,000 to 2,000 people a second through the models). The issue's full size is
``BENCH_PURGE_PEOPLE=1000000 BENCH_PURGE_VIEWS=10000000 BENCH_PURGE_TIMEOUT=7200`` (SQLite
took 30 minutes at that size, 12 of them seeding). BENCH_PURGE_LIMIT (900 s) stops the purge itself (its figures so far are
reported, and the rule it stopped in), BENCH_PURGE_TIMEOUT (3,600 s) each worker;
BENCH_KINDS=sqlite skips PostgreSQL. The writing thread shares the worker's GIL with the purge:
its waits include that, which a separate web process would not have.
Aim: no write transaction of the purge over 200 ms on SQLite, so the site keeps serving.
"""

import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import peak_mb, percentiles, reachable, record, say, worker_run

PEOPLE = int(os.environ.get("BENCH_PURGE_PEOPLE", "200000"))
VIEWS = int(os.environ.get("BENCH_PURGE_VIEWS", "2000000"))
TIMEOUT = int(os.environ.get("BENCH_PURGE_TIMEOUT", "3600"))
PURGE_LIMIT = int(os.environ.get("BENCH_PURGE_LIMIT", "900"))
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pledge")
DATABASE = "pledge_bench_purge"
ROOT = Path(__file__).resolve().parent.parent
EXPIRED = 10  # one in EXPIRED of the people and of the page views is past its period
PEOPLE_CHUNK = 5_000
VIEWS_CHUNK = 50_000
WRITE_EVERY = 0.010  # seconds between the writing thread's page views
IDLE_SECONDS = 3
AIM = 0.200  # seconds: the longest write transaction allowed on SQLite
PATHS = ["/", "/en/", "/demo/", "/en/demo/", "/interest/", "/contact/", "/careers/", "/privacy/"]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge", "WeChat"]
MEASURED = {
    "tracking.page_views": "page views",
    "intake.submissions": "submissions",
    "people.people": "people",
}


def spread(index: int, count: int, oldest: timedelta, newest: timedelta) -> timedelta:
    """How long ago row ``index`` of ``count`` happened, oldest first, evenly between."""
    return oldest - (oldest - newest) * (index / max(count - 1, 1))


# --- The worker: runs inside a configured Django ---------------------------------------------


def expired_people(people: int) -> int:
    return people // EXPIRED


def expired_views(views: int) -> int:
    return views // EXPIRED


def insert(model, names: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain rows (no encrypted field), in the caller's transaction: one executemany through
    Django's cursor on SQLite; COPY on the same connection on PostgreSQL (psycopg's executemany
    and multi-row INSERTs measured 3,500 and 1,000 rows a second here, COPY 26,000)."""
    from django.db import connection

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    if connection.vendor == "postgresql":
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def seed_people(people: int, now) -> None:
    """People and one contact-form submission each through the models (encrypted fields), and
    their name tokens and provenance as plain rows, in chunks: the first tenth 1,500 to 740
    days old, the rest 700 days old to now."""
    import time_machine
    from django.db import connection, transaction

    from pledge.intake.models import Submission
    from pledge.inventory.services import policy_publish
    from pledge.people.models import Person, PersonNameToken, Provenance
    from pledge.people.services import name_token_digests
    from pledge.tracking.ingest import DatabaseSink

    version = policy_publish(
        summary={"zh-hans": "基准", "en": "bench"}, material=True, published_by="bench"
    )
    adapt = DatabaseSink.datetime_adapter(connection)
    old = expired_people(people)
    chunks = [
        (start, min(start + PEOPLE_CHUNK, end), first, end)
        for first, end in ((0, old), (old, people))
        for start in range(first, end, PEOPLE_CHUNK)
    ]
    started = time.perf_counter()
    for number, (start, end, first, last) in enumerate(chunks):
        if first == 0:
            ago = spread(start, last, timedelta(days=1500), timedelta(days=740))
        else:
            ago = spread(start - first, last - first, timedelta(days=700), timedelta(0))
        with time_machine.travel(now - ago, tick=False), transaction.atomic():
            batch = Person.objects.bulk_create(
                [
                    Person(
                        name=f"Reader {index}",
                        email=f"reader{index}@example.cn",
                        language="en" if index % 3 == 0 else "zh-hans",
                        policy_version=version.number,
                    )
                    for index in range(start, end)
                ]
            )
            stamp = adapt(now - ago)
            insert(
                PersonNameToken,
                ("person", "digest"),
                [
                    (person.pk, digest)
                    for person in batch
                    for digest in name_token_digests(person.name)
                ],
            )
            insert(
                Provenance,
                ("person", "kind", "source", "legal_basis", "created_at"),
                [(person.pk, "web_form", "contact", "consent", stamp) for person in batch],
            )
            Submission.objects.bulk_create(
                [
                    Submission(
                        form="contact",
                        person=person,
                        answers={
                            "name": person.name,
                            "email": person.email,
                            "message": "Please tell me more about Gonex.",
                        },
                        language=person.language,
                        policy_version=version.number,
                    )
                    for person in batch
                ]
            )
        if number % 40 == 39:
            rate = end / (time.perf_counter() - started)
            say(f"  {end:,} people ({rate:,.0f} a second)")


def view_values(event_id: str, at, index: int) -> tuple:
    """One page view's values in the beacon writer's order (``DatabaseSink.VIEW_FIELDS``)."""
    referrer = "www.baidu.com" if index % 4 == 0 else ""
    device = ("Windows", "desktop") if index % 2 else ("Android", "mobile")
    language = "zh-CN" if index % 3 else "en-US"
    utm = ("",) * 6  # utm_source, _medium, _campaign, _term, _content; ref
    browser, visitor = BROWSERS[index % len(BROWSERS)], f"{index // 5 % 1_000_000:032x}"
    values = (event_id, at, PATHS[index % len(PATHS)], referrer, *utm, browser, *device)
    return (*values, language, False, visitor, "")


def view_rows(count: int, oldest: timedelta, newest: timedelta, now, prefix: str):
    """``count`` page views from ``oldest`` to ``newest`` ago, oldest first."""
    from django.db import connection

    from pledge.tracking.ingest import DatabaseSink

    adapt = DatabaseSink.datetime_adapter(connection)
    for index in range(count):
        at = adapt(now - spread(index, count, oldest, newest))
        yield view_values(f"{prefix}{index:031x}", at, index)


def seed_views(rows, total: int) -> None:
    """Page views, one transaction per chunk of VIEWS_CHUNK."""
    from django.db import transaction

    from pledge.tracking.ingest import DatabaseSink
    from pledge.tracking.models import PageView

    chunk, written, started = [], 0, time.perf_counter()
    for values in rows:
        chunk.append(values)
        if len(chunk) == VIEWS_CHUNK:
            with transaction.atomic():
                insert(PageView, DatabaseSink.VIEW_FIELDS, chunk)
            written += len(chunk)
            chunk = []
            if written % (VIEWS_CHUNK * 40) == 0:
                rate = written / (time.perf_counter() - started)
                say(f"  {written:,} of {total:,} page views ({rate:,.0f} a second)")
    if chunk:
        with transaction.atomic():
            insert(PageView, DatabaseSink.VIEW_FIELDS, chunk)


def loading(fast: bool) -> None:
    """SQLite: no fsync while seeding; FULL again (as settings have it) before measuring."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    connection.connection.execute(f"PRAGMA synchronous={'OFF' if fast else 'FULL'}")


def seed(people: int, views: int, now) -> dict:
    from django.db import connection

    timings = {}
    loading(True)
    started = time.perf_counter()
    seed_people(people, now)
    timings["people"] = time.perf_counter() - started
    say(f"seeded {people:,} people in {timings['people']:.0f} s")
    started = time.perf_counter()
    old = expired_views(views)
    seed_views(view_rows(old, timedelta(days=400), timedelta(days=181), now, "a"), views)
    seed_views(view_rows(views - old, timedelta(days=179), timedelta(0), now, "c"), views)
    timings["views"] = time.perf_counter() - started
    say(f"seeded {views:,} page views in {timings['views']:.0f} s")
    loading(False)
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        say(f"analyzed in {time.perf_counter() - started:.0f} s")
    connection.close()
    return timings


class Writes(threading.Thread):
    """What the beacon's commits do while something else runs: every WRITE_EVERY seconds one
    page view written through ``DatabaseSink.write`` in its own transaction, on this thread's
    own connection; each write timed from call to return (waiting for the lock included)."""

    def __init__(self):
        super().__init__(name="bench-writes", daemon=True)
        self.stopping = threading.Event()
        self.windows: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}
        self.window = ""

    def measure(self, window: str) -> None:
        self.windows.setdefault(window, [])
        self.failures.setdefault(window, 0)
        self.window = window

    def pause(self) -> None:
        self.window = ""

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def run(self) -> None:
        from django.db import OperationalError, connection
        from django.utils import timezone

        from pledge.tracking.ingest import VIEW, DatabaseSink

        sink, written = DatabaseSink(), 0
        due = time.perf_counter()
        try:
            while not self.stopping.is_set():
                window = self.window
                event = VIEW, view_values(uuid.uuid4().hex, timezone.now(), written)
                written += 1
                started = time.perf_counter()
                try:
                    sink.write([event])
                    failed = False
                except OperationalError:
                    failed = True
                took = time.perf_counter() - started
                if window:
                    self.windows[window].append(took)
                    self.failures[window] += failed
                due += WRITE_EVERY
                wait = due - time.perf_counter()
                if wait > 0:
                    self.stopping.wait(wait)
                else:
                    due = time.perf_counter()
        finally:
            connection.close()

    def summary(self, window: str) -> dict:
        return {**percentiles(self.windows.get(window, [])), "failed": self.failures.get(window)}


def timed_engine(timings: dict) -> None:
    """Wrap the engine's ``rule_purge`` and ``batches`` to time each rule, the reads that find
    each batch of keys, and each batch's write transaction (from the keys handed over to the
    next page asked for, which ``rule_purge`` does right after its transaction). A rule stopped
    half-way (``Watchdog``) keeps what was measured until then."""
    from pledge.people import retention

    rule_purge, batches = retention.rule_purge, retention.batches
    current = {}

    def timed_batches(queryset, size):
        figures = current["figures"]
        pages = batches(queryset, size)
        while True:
            started = time.perf_counter()
            try:
                keys = next(pages, None)
            finally:
                took = time.perf_counter() - started
                figures["reading"] += took
                figures["longest_read"] = max(figures["longest_read"], took)
            if keys is None:
                return
            handed = time.perf_counter()
            yield keys
            figures["writes"].append(time.perf_counter() - handed)

    def timed_rule_purge(rule, **options):
        figures = current["figures"] = {"reading": 0.0, "longest_read": 0.0, "writes": []}
        started = time.perf_counter()
        try:
            purged = rule_purge(rule, **options)
        finally:
            writes = figures.pop("writes")
            timings[rule.key] = {
                **figures,
                "key": rule.key,
                "seconds": time.perf_counter() - started,
                "writing": sum(writes),
                "batch": percentiles(writes),
                "batches": len(writes),
                "longest_batch": max(writes, default=0.0),
                "count": None,  # not known for a rule stopped half-way
            }
        timings[rule.key].update(
            count=purged.count, batches=purged.batches, longest_batch=purged.longest_batch
        )
        return purged

    retention.rule_purge, retention.batches = timed_rule_purge, timed_batches


class Watchdog(threading.Thread):
    """Stops the purge after ``seconds``: interrupts the main thread's running statement (and
    the next, every half second, until the purge has given up), so a query that would run for
    hours ends the measurement instead of the worker's time limit."""

    def __init__(self, seconds: float):
        from django.db import connection

        super().__init__(name="bench-watchdog", daemon=True)
        self.seconds, self.fired, self.done = seconds, False, threading.Event()
        connection.ensure_connection()
        raw = connection.connection
        if connection.vendor == "sqlite":
            self.interrupt = raw.interrupt
        else:
            self.interrupt = getattr(raw, "cancel_safe", raw.cancel)

    def run(self) -> None:
        if self.done.wait(self.seconds):
            return
        self.fired = True
        while True:
            self.interrupt()
            if self.done.wait(0.5):
                return


def counts(now) -> dict:
    """The rows the three measured rules delete from: all people and submissions, and the
    page views past their period (the writing thread adds younger ones meanwhile)."""
    from pledge.intake.models import Submission
    from pledge.people.models import Person
    from pledge.people.retention import cutoff
    from pledge.tracking.models import PageView

    return {
        "page views": PageView.objects.filter(at__lt=cutoff("page_views", now)).count(),
        "submissions": Submission.objects.count(),
        "people": Person.objects.count(),
    }


def bare_delete(now, count: int, writes: Writes) -> dict:
    """The baseline: the same expired page views seeded again and deleted by one statement."""
    from django.db import connection

    from pledge.people.retention import cutoff
    from pledge.tracking.models import PageView

    loading(True)
    seed_views(view_rows(count, timedelta(days=400), timedelta(days=181), now, "b"), count)
    loading(False)
    connection.close()
    table = connection.ops.quote_name(PageView._meta.db_table)
    since = cutoff("page_views", now)
    writes.measure("bare")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [since])  # noqa: S608 (our name)
        deleted = cursor.rowcount
    seconds = time.perf_counter() - started
    writes.pause()
    return {"deleted": deleted, "seconds": seconds}


def worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import DatabaseError, connection
    from django.utils import timezone

    from pledge.people.retention import retention_purge
    from pledge.vault.actors import Actor

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrated in {time.perf_counter() - started:.0f} s")
    seeded = seed(PEOPLE, VIEWS, timezone.now())
    rss_seeded = peak_mb()
    now = timezone.now()
    before = counts(now)

    writes = Writes()
    writes.start()
    writes.measure("idle")
    time.sleep(IDLE_SECONDS)
    timings = {}
    timed_engine(timings)
    writes.measure("purge")
    load = os.getloadavg()[0]
    watchdog = Watchdog(PURGE_LIMIT)
    watchdog.start()
    started = time.perf_counter()
    try:
        retention_purge(actor=Actor.system("bench"), dry_run=False, now=now)
    except DatabaseError:
        if not watchdog.fired:
            raise
        connection.close()
    finally:
        watchdog.done.set()
    purge_seconds = time.perf_counter() - started
    writes.pause()
    stopped = next((key for key, rule in timings.items() if rule["count"] is None), "")
    rules = [rule for rule in timings.values() if rule["count"] != 0 or rule["key"] in MEASURED]
    say(f"purge {'stopped in ' + stopped if stopped else 'done'} after {purge_seconds:.0f} s")
    after = counts(now)
    rss_purged = peak_mb()
    baseline = bare_delete(now, expired_views(VIEWS), writes)
    say(f"bare DELETE of {baseline['deleted']:,} page views in {baseline['seconds']:.1f} s")
    writes.stop()
    print(
        json.dumps(
            {
                "seed_seconds": seeded,
                "before": before,
                "after": after,
                "purge_seconds": purge_seconds,
                "stopped": stopped,
                "load": load,
                "rules": rules,
                "baseline": baseline,
                "writes": {window: writes.summary(window) for window in ("idle", "purge", "bare")},
                "rss_seeded_mb": rss_seeded,
                "rss_purged_mb": rss_purged,
                "rss_peak_mb": peak_mb(),
            }
        )
    )


# --- The driver ------------------------------------------------------------------------------


def run_worker(label: str, database_url: str, var: Path) -> dict | None:
    print(f"{label}: seeding {PEOPLE:,} people and {VIEWS:,} page views ...", flush=True)
    return worker_run(
        "bench_purge", label, database_url, var,
        timeout=TIMEOUT, timeout_setting="BENCH_PURGE_TIMEOUT",
    )  # fmt: skip


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def writes_line(name: str, figures: dict) -> str:
    failed = f", {figures['failed']} failed" if figures["failed"] else ""
    return (
        f"{name}: {figures['count']:,} writes, p50 {ms(figures['p50'])}, "
        f"p99 {ms(figures['p99'])}, max {ms(figures['max'])}{failed}"
    )


def report(label: str, outcome: dict) -> None:
    before, after = outcome["before"], outcome["after"]
    seeded = outcome["seed_seconds"]
    print(f"\n### {label}")
    print(
        f"- seeded {PEOPLE:,} people (each with a submission) in {seeded['people']:.0f} s and "
        f"{VIEWS:,} page views in {seeded['views']:.0f} s; one in {EXPIRED} of each past its "
        f"period"
    )
    seconds, stopped = outcome["purge_seconds"], outcome["stopped"]
    total = sum(rule["count"] or 0 for rule in outcome["rules"])
    longest = max((rule["longest_batch"] for rule in outcome["rules"]), default=0.0)
    verdict = "within" if longest <= AIM else "OVER"
    if stopped:
        print(
            f"- `pledge purge`: STOPPED after {seconds:.0f} s (BENCH_PURGE_LIMIT) in {stopped}, "
            f"whose figures below are as far as it got; {total:,} rows deleted by the rules "
            f"before it"
        )
    else:
        print(
            f"- `pledge purge`: {total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} a second)"
        )
    print(
        f"- longest write transaction {ms(longest)} ({verdict} the {ms(AIM)} aim); the machine's "
        f"load average was {outcome['load']:.1f} when the purge started ({os.cpu_count()} cores)"
    )
    print(
        "\n| rule | rows deleted (cascades included) | of them | batches | seconds | rows/s "
        "| batch p50 | longest batch | reading the keys (longest read) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rule in outcome["rules"]:
        primary = MEASURED.get(rule["key"])
        gone = f"{before[primary] - after[primary]:,} {primary}" if primary else ""
        spent, count = rule["seconds"], rule["count"]
        rate = f"{count / spent:,.0f}" if spent and count is not None else ""
        typical = ms(rule["batch"]["p50"]) if rule["batch"]["count"] else ""
        counted = "stopped" if count is None else f"{count:,}"
        print(
            f"| {rule['key']} | {counted} | {gone} | {rule['batches']:,} | {spent:.1f} "
            f"| {rate} | {typical} | {ms(rule['longest_batch'])} "
            f"| {rule['reading']:.1f} s ({ms(rule['longest_read'])}) |"
        )
    bare = outcome["baseline"]
    bare_rate = bare["deleted"] / bare["seconds"]
    print(
        f"\n- baseline, one bare `DELETE ... WHERE at < cutoff` of {bare['deleted']:,} page views: "
        f"{bare['seconds']:.1f} s ({bare_rate:,.0f} a second), all of it one write transaction"
    )
    views = next((rule for rule in outcome["rules"] if rule["key"] == "tracking.page_views"), None)
    if views and views["count"] and views["seconds"]:
        rate = views["count"] / views["seconds"]
        print(
            f"  ({bare['seconds'] / max(views['longest_batch'], 1e-9):,.1f}x the purge's longest "
            f"page-view batch); the purge deletes page views at {rate / bare_rate:.2f} of its rate"
        )
    record(
        "purge", f"longest write transaction of `pledge purge`, {label}", longest * 1000, "ms",
        baseline="one bare DELETE's transaction", baseline_value=bare["seconds"] * 1000,
        aim=AIM * 1000, higher_is_better=False, note=f"{total:,} rows",
    )  # fmt: skip
    if views and views["count"] and views["seconds"]:
        record(
            "purge", f"page views deleted, {label}", views["count"] / views["seconds"], "/s",
            baseline="one bare DELETE", baseline_value=bare_rate,
        )  # fmt: skip
    writes = outcome["writes"]
    print(f"- a page view written every {WRITE_EVERY * 1000:.0f} ms on its own connection:")
    print(f"  - {writes_line('idle (before the purge)', writes['idle'])}")
    print(f"  - {writes_line('during the purge', writes['purge'])}")
    print(f"  - {writes_line('during the bare DELETE', writes['bare'])}")
    print(
        f"- peak RSS: {outcome['rss_seeded_mb']:.0f} MB after seeding, "
        f"{outcome['rss_purged_mb']:.0f} MB after the purge, {outcome['rss_peak_mb']:.0f} MB "
        f"at the end"
    )


def main() -> None:
    if "--worker" in sys.argv:
        worker()
        return
    kinds = os.environ.get("BENCH_KINDS", "sqlite,postgres")
    print(
        f"{PEOPLE:,} people and {VIEWS:,} page views, one in {EXPIRED} of each expired; "
        f"a page view written every {WRITE_EVERY * 1000:.0f} ms meanwhile"
    )
    if "sqlite" in kinds:
        directory = Path(tempfile.mkdtemp(prefix="bench-purge-"))
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
    directory = Path(tempfile.mkdtemp(prefix="bench-purge-"))
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
