"""Exporting and erasing one person among 1,000,000, with 10,000,000 page views (P18).

For each database (SQLite in a temporary file; PostgreSQL when one answers at TEST_POSTGRES_URL,
in a database of its own, ``pledge_bench_rights``, dropped afterwards) a worker process:

1. migrates a fresh database and bulk-loads it in big transactions (executemany on SQLite,
   COPY on PostgreSQL): people with encrypted name, email and phone, their blind indexes and
   name tokens, one consent, one form submission and one email each, one stitched visitor each,
   and the page views;
2. times the access export (``rights_archive``: every provider, the zip of JSON and CSV, the
   audit entry) and the erasure (``rights_erase``: every provider in one transaction, the
   tombstone, the audit entry, the certificate) of people picked across the table, through the
   same services the portal and the console call.

The tracking app's page-view table is not on main yet, so the page views live in a table shaped
like it (``bench_pageview``: time, path, referrer, browser, OS, device, language, seconds, keyed
by the visitor cookie; ``bench_visitor`` links a cookie to a person as stitching does), and the
worker registers a personal data provider for them, as tracking will: the export and erasure
reach them through the registry like any other table.

Sizes and the worker's time limit come from BENCH_RIGHTS_PEOPLE (1,000,000),
BENCH_RIGHTS_VIEWS (10,000,000), BENCH_RIGHTS_SAMPLES (5) and BENCH_RIGHTS_TIMEOUT (3600 s).
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import reachable, record, say, worker_run
from pledge.vault.actors import Actor

PEOPLE = int(os.environ.get("BENCH_RIGHTS_PEOPLE", "1000000"))
VIEWS = int(os.environ.get("BENCH_RIGHTS_VIEWS", "10000000"))
SAMPLES = int(os.environ.get("BENCH_RIGHTS_SAMPLES", "5"))
TIMEOUT = int(os.environ.get("BENCH_RIGHTS_TIMEOUT", "3600"))
BENCH = Actor.system("bench")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pledge")
DATABASE = "pledge_bench_rights"
ROOT = Path(__file__).resolve().parent.parent
CHUNK = 50_000
PATHS = ["/", "/en/", "/demo/", "/en/demo/", "/interest/", "/contact/", "/careers/", "/privacy/"]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge", "WeChat"]


# --- The worker: runs inside a configured Django ---------------------------------------------


class Loader:
    """Bulk inserts: COPY on PostgreSQL, executemany in one transaction per table on SQLite."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def when(self, value):
        return value if self.postgres else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def uuid(self, value):
        return str(value) if self.postgres else value.hex

    def flag(self, value: bool):
        return value if self.postgres else int(value)

    def insert(self, table: str, columns: list[str], rows) -> int:
        count = 0
        if self.postgres:
            raw = self.connection.connection
            quoted = ", ".join(f'"{column}"' for column in columns)
            with (
                raw.cursor() as cursor,
                cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    count += 1
            raw.commit()
            return count
        marks = ", ".join("?" for _ in columns)
        quoted = ", ".join(f'"{column}"' for column in columns)
        sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'  # noqa: S608 (our names)
        raw = self.connection.connection
        raw.execute("BEGIN")  # Django runs SQLite in autocommit: one transaction per table
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                raw.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            count += len(batch)
        raw.execute("COMMIT")
        return count


def load(
    people: int,
    views: int,
    *,
    identity=None,
    organizations: int = 0,
    days: int = 0,
    tracking: bool = False,
    fragments: bool = False,
) -> dict:
    """Fill the database; returns seconds per step.

    The console's bench (bench_console) asks for rows closer to the product's: ``identity``
    (i -> (name, email)) names people; ``organizations`` links person i to organisation
    i % organizations + 1 (already inserted); ``days`` spreads creation times over that many
    days (person i older than person i + 1) and the page views over them; ``tracking`` writes
    the visitors and page views into tracking's own tables (most views anonymous, as the
    beacon writes them) instead of the bench's; ``fragments`` also writes each person's
    search fragment digests (people/search.py).
    """
    import uuid
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from pledge.people.services import NAME_CONTEXT
    from pledge.vault.keys import current_ring, name_tokens, normalise_email, normalise_phone

    ring = current_ring()
    loader = Loader(connection)
    now = timezone.now()
    stamp = loader.when(now)
    timings = {}
    connection.ensure_connection()
    if not loader.postgres:
        connection.connection.execute("PRAGMA synchronous=OFF")  # loading only; FULL again below

    def email(i: int) -> str:
        return identity(i)[1] if identity else f"person{i}@company{i % 50_000}.cn"

    def name(i: int) -> str:
        return identity(i)[0] if identity else f"Person {i} Bench"

    span = timedelta(days=days)

    def created(i: int):
        """Person i's creation time (the same for all without ``days``)."""
        return loader.when(now - span * (people - i) / people) if days else stamp

    def organization(i: int):
        return i % organizations + 1 if organizations else None

    started = time.perf_counter()
    loader.insert(
        "people_person",
        [
            "id",
            "public_id",
            "name",
            "email",
            "phone",
            "email_index",
            "phone_index",
            "language",
            "source",
            "do_not_contact",
            "organization_id",
            "created_at",
            "updated_at",
        ],
        (
            (
                i,
                loader.uuid(uuid.UUID(int=i)),
                ring.encrypt(name(i), context="people.Person.name"),
                ring.encrypt(email(i), context="people.Person.email"),
                ring.encrypt(f"+86 138{i:08d}", context="people.Person.phone"),
                ring.digest(normalise_email(email(i)), context="people.Person.email"),
                ring.digest(normalise_phone(f"+86 138{i:08d}"), context="people.Person.phone"),
                "zh-hans",
                "web_form",
                loader.flag(False),
                organization(i),
                created(i),
                created(i),
            )
            for i in range(1, people + 1)
        ),
    )
    timings["people"] = time.perf_counter() - started
    say(f"people: {people:,} in {timings['people']:.0f} s")

    started = time.perf_counter()
    if fragments:
        from pledge.people.search import SEARCH_CONTEXT, search_fragments

        # Few fragments, many people: each fragment's digest once.
        digests: dict[str, str] = {}

        def digest(fragment: str) -> str:
            if fragment not in digests:
                digests[fragment] = ring.digest(fragment, context=SEARCH_CONTEXT)[:4]
            return digests[fragment]

        def tokens(i: int):
            whole = {ring.digest(token, context=NAME_CONTEXT) for token in name_tokens(name(i))}
            parts = {digest(part) for part in search_fragments(name=name(i), email=email(i))}
            return sorted(whole | parts)
    else:

        def tokens(i: int):
            return [ring.digest(token, context=NAME_CONTEXT) for token in name_tokens(name(i))]

    # Dozens of random digests a person: the digest indexes are made once, after.
    made_again = index_drop("people_personnametoken", "digest") if fragments else []
    loader.insert(
        "people_personnametoken",
        ["person_id", "digest"],
        ((i, token) for i in range(1, people + 1) for token in tokens(i)),
    )
    index_make(made_again)
    consent_text = "Send me the Gonex newsletter"
    loader.insert(
        "people_consent",
        [
            "public_id",
            "person_id",
            "subject",
            "granted",
            "text",
            "text_hash",
            "language",
            "method",
            "form",
            "created_at",
        ],
        (
            (
                loader.uuid(uuid.UUID(int=(1 << 64) + i)),
                i,
                "list:newsletter",
                loader.flag(True),
                consent_text,
                "0" * 64,
                "zh-hans",
                "form",
                "newsletter",
                created(i),
            )
            for i in range(1, people + 1)
        ),
    )
    answers_context = "intake.Submission.answers"
    loader.insert(
        "intake_submission",
        [
            "public_id",
            "form",
            "person_id",
            "answers",
            "language",
            "source",
            "attribution",
            "guardian",
            "created_at",
        ],
        (
            (
                loader.uuid(uuid.UUID(int=(2 << 64) + i)),
                "interest",
                i,
                ring.encrypt(
                    json.dumps({"need": f"A service desk for {i}"}), context=answers_context
                ),
                "zh-hans",
                "web_form",
                "{}",
                "not_asked",
                created(i),
            )
            for i in range(1, people + 1)
        ),
    )
    loader.insert(
        "mail_message",
        [
            "public_id",
            "person_id",
            "kind",
            "language",
            "to",
            "to_index",
            "hold",
            "subject",
            "body_text",
            "body_html",
            "headers",
            "attachments",
            "private_links",
            "status",
            "attempts",
            "error",
            "created_at",
        ],
        (
            (
                loader.uuid(uuid.UUID(int=(3 << 64) + i)),
                i,
                "submission_received",
                "zh-hans",
                ring.encrypt(email(i), context="mail.Message.to"),
                ring.digest(normalise_email(email(i)), context="mail.Message.to"),
                "",
                ring.encrypt("我们已收到您的请求", context="mail.Message.subject"),
                ring.encrypt(f"您好,Person {i}:感谢您的来信。", context="mail.Message.body_text"),
                "",
                ring.encrypt("{}", context="mail.Message.headers"),
                ring.encrypt("[]", context="mail.Message.attachments"),
                ring.encrypt("{}", context="mail.Message.private_links"),  # forgotten once sent
                "sent",
                1,
                "",
                created(i),
            )
            for i in range(1, people + 1)
        ),
    )
    timings["records"] = time.perf_counter() - started
    say(f"name tokens, consents, submissions, emails: {timings['records']:.0f} s")

    started = time.perf_counter()
    if tracking:
        tracking_load(loader, people, views, now=now, days=days)
    else:
        bench_tracking_load(loader, people, views, now=now, stamp=stamp)
    timings["page_views"] = time.perf_counter() - started
    say(f"visitors and page views: {views:,} in {timings['page_views']:.0f} s")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if not tracking:
            # Stitching asks for a visitor's views in time order (tracking's pageview_visitor).
            cursor.execute(
                "CREATE INDEX bench_pageview_visitor ON bench_pageview (visitor_key, at)"
            )
            cursor.execute("CREATE INDEX bench_visitor_person ON bench_visitor (person_id)")
        if loader.postgres:
            # People were given their ids; the sequence moves past them.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('people_person', 'id'), "
                "(SELECT max(id) FROM people_person))"
            )
        cursor.execute("ANALYZE")
    if not loader.postgres:
        connection.connection.execute("PRAGMA synchronous=FULL")  # as settings.py has it
    timings["indexes"] = time.perf_counter() - started
    say(f"indexes and statistics: {timings['indexes']:.0f} s")
    return timings


def tracking_load(loader, people: int, views: int, *, now, days: int) -> None:
    """Visitors and page views in tracking's tables, as stitching and the beacon write them:
    every person one stitched visitor; a third of the views theirs (``visitor_key``), the rest
    anonymous (a daily ``visitor_hash``), spread over ``days`` days, oldest first. The
    ``pageview_visitor`` index is dropped while loading (random keys) and made again after."""
    import random
    from datetime import timedelta

    loader.insert(
        "tracking_visitor",
        ["key", "person_id", "stitched_at"],
        ((f"{i:032x}", i, loader.when(now)) for i in range(1, people + 1)),
    )
    made_again = index_drop("tracking_pageview", "visitor_key")
    generator = random.Random(8)
    span = timedelta(days=max(days, 1))
    loader.insert(
        "tracking_pageview",
        [
            "event_id",
            "at",
            "path",
            "referrer_domain",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "ref",
            "browser_family",
            "os_family",
            "device_class",
            "language",
            "is_bot",
            "visitor_hash",
            "visitor_key",
            "seconds",
        ],
        (
            (
                f"{n:032x}",
                loader.when(now - span * (views - n) / views),
                PATHS[n % len(PATHS)],
                "www.baidu.com" if n % 3 else "",
                *(("baidu", "cpc", "spring", "", "", "") if n % 20 == 0 else ("",) * 6),
                BROWSERS[n % len(BROWSERS)],
                "Windows" if n % 2 else "Android",
                "desktop" if n % 2 else "mobile",
                "zh-CN" if n % 4 else "en-US",
                loader.flag(False),
                "" if n % 3 == 0 else f"{generator.getrandbits(128):032x}",
                f"{generator.randint(1, people):032x}" if n % 3 == 0 else "",
                n % 120,
            )
            for n in range(1, views + 1)
        ),
    )
    index_make(made_again)


def index_drop(table: str, column: str) -> list[str]:
    """Drop ``table``'s plain indexes that begin with ``column`` (whatever the migrations
    made); the statements that make them again."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] "
                "WHERE t.relname = %s AND a.attname = %s AND NOT x.indisunique",
                [table, column],
            )
        else:
            cursor.execute(
                "SELECT m.name, m.sql FROM sqlite_master m, pragma_index_info(m.name) i "
                "WHERE m.type = 'index' AND m.tbl_name = %s AND i.seqno = 0 AND i.name = %s "
                "AND m.sql IS NOT NULL AND m.sql NOT LIKE 'CREATE UNIQUE%%'",
                [table, column],
            )
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def index_make(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def bench_tracking_load(loader, people: int, views: int, *, now, stamp) -> None:
    """The page views in the bench's own tables (P18's bench predates tracking's)."""
    import random

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_visitor (key varchar(32) PRIMARY KEY, person_id bigint NOT NULL)"
        )
        cursor.execute(
            "CREATE TABLE bench_pageview (id bigint PRIMARY KEY, at timestamp NOT NULL, "
            "path varchar(500) NOT NULL, referrer_domain varchar(253) NOT NULL, "
            "browser_family varchar(50) NOT NULL, os_family varchar(50) NOT NULL, "
            "device_class varchar(10) NOT NULL, language varchar(35) NOT NULL, "
            "visitor_key varchar(32) NOT NULL, seconds integer)"
        )
    loader.insert(
        "bench_visitor",
        ["key", "person_id"],
        ((f"v{i:031d}", i) for i in range(1, people + 1)),
    )
    generator = random.Random(8)
    at = now.replace(tzinfo=None) if loader.postgres else stamp
    loader.insert(
        "bench_pageview",
        [
            "id",
            "at",
            "path",
            "referrer_domain",
            "browser_family",
            "os_family",
            "device_class",
            "language",
            "visitor_key",
            "seconds",
        ],
        (
            (
                n,
                at,
                PATHS[n % len(PATHS)],
                "www.baidu.com" if n % 3 else "",
                BROWSERS[n % len(BROWSERS)],
                "Windows",
                "desktop",
                "zh-CN",
                f"v{generator.randint(1, people):031d}",  # visits interleaved, as they arrive
                n % 120,
            )
            for n in range(1, views + 1)
        ),
    )


def page_views_provider():
    """The provider tracking will register for stitched visits, on the bench's own tables."""
    from django.db import connection

    from pledge.people.registry import PersonalDataProvider, provider_register

    def export(person) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.at, v.path, v.referrer_domain, v.browser_family, v.language, v.seconds "
                "FROM bench_pageview v JOIN bench_visitor s ON s.key = v.visitor_key "
                "WHERE s.person_id = %s ORDER BY v.visitor_key, v.at",
                [person.pk],
            )
            columns = ["at", "path", "referrer_domain", "browser", "language", "seconds"]
            return [dict(zip(columns, map(str, row), strict=True)) for row in cursor.fetchall()]

    def erase(person) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM bench_pageview WHERE visitor_key IN "
                "(SELECT key FROM bench_visitor WHERE person_id = %s)",
                [person.pk],
            )
            removed = cursor.rowcount
            cursor.execute("DELETE FROM bench_visitor WHERE person_id = %s", [person.pk])
            return removed + cursor.rowcount

    provider_register(
        PersonalDataProvider(key="tracking.visits", title="Visits", export=export, erase=erase)
    )


def measure(people: int, samples: int) -> dict:
    from django.db import connection

    from pledge.cases.rights import rights_archive, rights_erase
    from pledge.cases.services import case_open
    from pledge.people.models import Person

    # The first person is measured in a fresh process (the inventory is read and checked, the
    # templates compiled, the caches cold); the others after it, each from another part of
    # the tables, so their rows are not in any cache.
    picks = [max(1, people * (k + 1) // (samples + 2)) for k in range(samples + 1)]
    exports, erasures, sizes, views = [], [], [], []
    for pk in picks:
        person = Person.objects.get(pk=pk)
        # The system acts on a person's data only through a verified request about them.
        case = case_open(
            kind="deletion",
            channel="email",
            actor=BENCH,
            requester_email=person.email,
            person=person,
            identity="verified_staff",
            acknowledge=False,
        )
        started = time.perf_counter()
        archive = rights_archive(person=person, actor=BENCH, case=case)
        exports.append(time.perf_counter() - started)
        sizes.append(len(archive.content))
        started = time.perf_counter()
        report = rights_erase(person=person, actor=BENCH, case=case)
        erasures.append(time.perf_counter() - started)
        views.append(dict(report.removed).get("Visits", 0))
        assert not Person.objects.filter(pk=pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_pageview")
        remaining_views = cursor.fetchone()[0]
    return {
        "export_seconds": exports,
        "erase_seconds": erasures,
        "archive_bytes": sizes,
        "page_views_erased": views,
        "page_views_left": remaining_views,
    }


def worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrated in {time.perf_counter() - started:.0f} s")
    timings = load(PEOPLE, VIEWS)
    page_views_provider()
    results = measure(PEOPLE, SAMPLES)
    size = None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    print(json.dumps({"load": timings, "size": size, **results}))


# --- The driver ------------------------------------------------------------------------------


def run_worker(label: str, database_url: str, var: Path) -> dict | None:
    print(f"{label}: loading {PEOPLE:,} people and {VIEWS:,} page views ...", flush=True)
    started = time.perf_counter()
    outcome = worker_run(
        "bench_rights", label, database_url, var,
        timeout=TIMEOUT, timeout_setting="BENCH_RIGHTS_TIMEOUT",
    )  # fmt: skip
    if outcome is not None:
        outcome["total_seconds"] = time.perf_counter() - started
    return outcome


def milliseconds(values: list[float]) -> str:
    first, rest = values[0], values[1:] or values
    return (
        f"{statistics.median(rest) * 1000:.0f} ms median, {max(rest) * 1000:.0f} ms max "
        f"over {len(rest)} people; {first * 1000:.0f} ms for the first in a fresh process"
    )


def report(label: str, outcome: dict, file_size: int | None) -> None:
    size = outcome.get("size") or file_size
    load = outcome["load"]
    print(f"\n### {label}")
    print(f"- database: {PEOPLE:,} people, {VIEWS:,} page views, {size / 1e9:.1f} GB")
    print(
        "- load: people {people:.0f} s, other records {records:.0f} s, page views "
        "{page_views:.0f} s, indexes {indexes:.0f} s".format(**load)
    )
    archive = statistics.median(outcome["archive_bytes"])
    print(
        f"- export of one person: {milliseconds(outcome['export_seconds'])}; "
        f"zip {archive:,.0f} bytes"
    )
    print(
        f"- erasure of one person: {milliseconds(outcome['erase_seconds'])}; "
        f"page views erased per person {outcome['page_views_erased']}"
    )
    print(f"- whole run {outcome['total_seconds']:.0f} s")
    for action in ("export", "erase"):
        record(
            "rights", f"{action} of one person among {PEOPLE:,}, {label} (median)",
            statistics.median(outcome[f"{action}_seconds"]) * 1000, "ms",
        )  # fmt: skip


def main() -> None:
    if "--worker" in sys.argv:
        worker()
        return
    print(f"people {PEOPLE:,}, page views {VIEWS:,}, {SAMPLES + 1} people exported and erased")
    directory = Path(tempfile.mkdtemp(prefix="bench-rights-"))
    try:
        database = directory / "bench.sqlite3"
        outcome = run_worker("SQLite", f"sqlite:///{database}", directory)
        if outcome:
            files = [path for path in directory.iterdir() if path.name.startswith("bench.sqlite3")]
            report("SQLite", outcome, sum(path.stat().st_size for path in files))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if not reachable(POSTGRES_URL):
        print(f"\nPostgreSQL is not reachable at {POSTGRES_URL}: skipped.")
        return
    import psycopg

    parts = urlsplit(POSTGRES_URL)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    directory = Path(tempfile.mkdtemp(prefix="bench-rights-"))
    try:
        outcome = run_worker(
            "PostgreSQL", urlunsplit(parts._replace(path=f"/{DATABASE}")), directory
        )
        if outcome:
            report("PostgreSQL", outcome, None)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
