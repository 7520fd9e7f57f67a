"""What staff feel in the console when the data grows: server time of its busiest pages.

For each database (BENCH_KINDS; SQLite in a copy of a cached file, PostgreSQL in a database
made from a cached template) a worker process times, through Django's test client and the
session of a signed-in staff member who may see everything (administrator, privacy officer,
support), each page BENCH_CONSOLE_REPEAT times (20) after one warm-up: p50, p95 and its query
count (``CaptureQueriesContext``). For each page whose p95 misses its aim (100 ms; 200 ms for
the site-usage dashboard) the plan of its slowest query is printed (EXPLAIN QUERY PLAN on
SQLite, EXPLAIN ANALYZE on PostgreSQL). The baseline, in the same run and session: the p95 of
a trivial console page (``/console/account/``).

The seed, built once per (sizes, migration files, seed code) and reused:

- BENCH_CONSOLE_PEOPLE (1,000,000) people, encrypted name, email and phone with their blind
  indexes, whole-name tokens and search fragments (as ``people/search.py`` writes them), one
  organisation in 20 people's, a consent, a provenance row, a form submission and an email
  (the outbox: as many messages as people, 3 % not sent) each, created over 90 days;
- BENCH_CONSOLE_VIEWS (10,000,000) page views in tracking's table (a third by the people's
  stitched visitors, the rest anonymous) over the same days, and the rollups the dashboard
  reads (``bench_dashboard.seed_rollups``);
- BENCH_CONSOLE_LEADS (200,000) leads (status and owner spread over 10 experts),
  BENCH_CONSOLE_CASES (50,000) cases (a tenth still open), BENCH_CONSOLE_DISCLOSURES (20,000)
  disclosures and BENCH_CONSOLE_AUDIT (5,000,000) audit entries, sealed in one valid chain
  under the ring (``pledge audit verify`` passes over them).

``bench_rights.Loader``/``load`` write the rows (COPY on PostgreSQL; executemany in one
transaction per table with synchronous=OFF on SQLite). SQLite's seed is kept in
``var/bench/seed/console-<hash>.sqlite3`` with the key ring that encrypted it
(``console-<hash>.keys``) and copied for each run; PostgreSQL's is the database
``pledge_bench_console_seed`` (its comment holds the hash), the template of
``pledge_bench_console``, made for each run and dropped afterwards. BENCH_CONSOLE_SCALE
(1.0) multiplies every size: 0.01 for a quick run. BENCH_CONSOLE_TIMEOUT (3600 s) bounds each
worker. Run: ``BENCH_ONLY=console .venv/bin/python -m bench`` (``BENCH_KINDS=sqlite`` for one
database; ``BENCH_CONSOLE_SCALE=0.1`` builds in about 3 minutes here, the full size in about 25
on SQLite and 10 to 15 on PostgreSQL, most of it encrypting).
"""

import gc
import hashlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import common

SCALE = float(os.environ.get("BENCH_CONSOLE_SCALE", "1"))


def size(name: str, default: int) -> int:
    return max(1, int(int(os.environ.get(f"BENCH_CONSOLE_{name}", str(default))) * SCALE))


SIZES = {
    "people": size("PEOPLE", 1_000_000),
    "views": size("VIEWS", 10_000_000),
    "leads": size("LEADS", 200_000),
    "cases": size("CASES", 50_000),
    "disclosures": size("DISCLOSURES", 20_000),
    "audit": size("AUDIT", 5_000_000),
}
DAYS = 90  # the seed's rows were created over this many days, up to now
REPEAT = int(os.environ.get("BENCH_CONSOLE_REPEAT", "20"))
TIMEOUT = int(os.environ.get("BENCH_CONSOLE_TIMEOUT", "3600"))
SEED_DIR = common.ROOT / "var" / "bench" / "seed"
SEED_DATABASE = "pledge_bench_console_seed"
RUN_DATABASE = "pledge_bench_console"
EXPERTS = 10
AIM_MS, DASHBOARD_AIM_MS = 100, 200
GIVEN = ["wei", "fang", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yan", "hua"]
GIVEN += ["ping", "gang", "xiu", "hui", "ling", "bo", "chen", "hao", "ying", "ming", "tao"]
SURNAMES = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu"]
SURNAMES += ["sun", "ma", "zhu", "hu", "guo", "he", "lin", "luo", "gao", "zheng", "liang"]
SURNAMES += ["ouyang", "situ", "shangguan", "murong", "zhuge", "duanmu", "dongfang"]


def identity(i: int) -> tuple[str, str]:
    """Person i's name and email address."""
    given, surname = GIVEN[i % len(GIVEN)], SURNAMES[(i // len(GIVEN)) % len(SURNAMES)]
    organization = i % organizations_count() + 1
    return (
        f"{given.title()} {surname.title()}",
        f"{given}.{surname}{i}@company{organization}.cn",
    )


def organizations_count() -> int:
    return max(1, SIZES["people"] // 20)


def seed_key() -> str:
    """What the seed depends on: the sizes, the migrations and the code that writes it."""
    digest = hashlib.sha256(json.dumps(SIZES, sort_keys=True).encode())
    for path in sorted((common.ROOT / "pledge").glob("**/migrations/*.py")):
        digest.update(str(path.relative_to(common.ROOT)).encode())
    digest.update(json.dumps([GIVEN, SURNAMES, AUDIT_ACTIONS, DAYS, EXPERTS]).encode())
    for function in seed_code():
        digest.update(inspect.getsource(function).encode())
    return digest.hexdigest()[:16]


def seed_code() -> list:
    """The functions that write the seed (the measures may change without a new seed)."""
    from bench import bench_dashboard, bench_purge, bench_rights

    return [
        identity,
        organizations_count,
        seed,
        experts_make,
        audit_seed,
        bench_rights.Loader,
        bench_rights.load,
        bench_rights.tracking_load,
        bench_rights.index_drop,
        bench_rights.index_make,
        bench_dashboard.seed_rollups,
        bench_dashboard.rows_for,
        bench_purge.insert,
    ]


# --- The worker: the seed --------------------------------------------------------------------


def seed() -> dict:
    """Migrate and fill the database; returns seconds per step."""
    import uuid
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.bench_purge import loading
    from bench.bench_rights import Loader, load
    from pledge.vault.keys import current_ring

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate"] = time.perf_counter() - started
    ring = current_ring()
    loader = Loader(connection)
    now = timezone.now()
    people = SIZES["people"]
    connection.ensure_connection()
    loading(True)

    started = time.perf_counter()
    organizations = organizations_count()
    loader.insert(
        "people_organization",
        ["id", "public_id", "name", "domain", "networks", "do_not_contact", "created_at"],
        (
            (
                k,
                loader.uuid(uuid.UUID(int=(5 << 64) + k)),
                f"Company {k}",
                f"company{k}.cn",
                json.dumps([f"203.{k // 256 % 256}.{k % 256}.0/24"] if k % 50 == 0 else []),
                loader.flag(k % 200 == 0),
                loader.when(now - timedelta(days=DAYS)),
            )
            for k in range(1, organizations + 1)
        ),
    )
    timings["organizations"] = time.perf_counter() - started
    timings.update(
        load(
            people,
            SIZES["views"],
            identity=identity,
            organizations=organizations,
            days=DAYS,
            tracking=True,
            fragments=True,
        )
    )
    loading(True)  # load() puts SQLite back to FULL
    started = time.perf_counter()

    def created(i: int, total: int = people):
        return now - timedelta(days=DAYS) * (total - i) / total

    loader.insert(
        "people_provenance",
        ["person_id", "kind", "source", "legal_basis", "created_at"],
        (
            (i, "web_form", "interest", "consent", loader.when(created(i)))
            for i in range(1, people + 1)
        ),
    )
    with connection.cursor() as cursor:
        # The outbox: most mail sent, some still queued, held or failed.
        cursor.execute("UPDATE mail_message SET status = 'queued' WHERE id % 100 = 0")
        cursor.execute("UPDATE mail_message SET status = 'held', hold = 'bench' WHERE id % 100 = 1")
        cursor.execute(
            "UPDATE mail_message SET status = 'failed', error = 'timeout' WHERE id % 100 = 2"
        )
    timings["provenance"] = time.perf_counter() - started

    started = time.perf_counter()
    experts = experts_make()
    leads = min(SIZES["leads"], people)
    forms = ["demo", "interest", "contact"]
    statuses = ["new"] * 6 + ["contacted"] * 6 + ["qualified"] * 3 + ["closed"] * 5
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE intake_submission SET form = CASE id %% 3 WHEN 0 THEN 'demo' "
            "WHEN 1 THEN 'interest' ELSE 'contact' END WHERE id <= %s",
            [leads],
        )
    step = max(1, people // leads)
    loader.insert(
        "meetings_lead",
        [
            "public_id",
            "submission_id",
            "person_id",
            "form",
            "language",
            "status",
            "owner_id",
            "assigned_at",
            "status_changed_at",
            "booking_token_hash",
            "created_at",
        ],
        (
            (
                loader.uuid(uuid.UUID(int=(6 << 64) + n)),
                i,
                i,
                forms[i % 3],
                "zh-hans",
                statuses[n % len(statuses)],
                experts[n % len(experts)] if n % 10 < 7 else None,
                loader.when(created(i)) if n % 10 < 7 else None,
                loader.when(created(i)),
                "",
                loader.when(created(i)),
            )
            for n, i in enumerate(range(1, people + 1, step)[:leads], start=1)
        ),
    )
    timings["leads"] = time.perf_counter() - started

    started = time.perf_counter()
    cases = SIZES["cases"]
    kinds = ["access", "copy", "correction", "deletion", "withdraw_consent"]

    def encrypted(value: str, field: str, model: str = "cases.Case") -> str:
        """As the encrypted field stores it: "" stays ""."""
        return ring.encrypt(value, context=f"{model}.{field}") if value else ""

    def case_row(n: int):
        person = 1 + (n * 7919) % people
        opened = now - timedelta(days=DAYS) * (cases - n) / cases
        done = n % 10 != 0  # a tenth still open
        status = ("done" if n % 13 else "refused") if done else ("received", "in_progress")[n % 2]
        email = identity(person)[1]
        return (
            loader.uuid(uuid.UUID(int=(7 << 64) + n)),
            kinds[n % len(kinds)],
            ("portal", "email")[n % 2],
            status,
            "verified_email" if done or n % 3 else "unverified",
            person,
            encrypted(email, "requester_email"),
            encrypted(identity(person)[0], "requester_name"),
            encrypted("", "subject_email"),
            encrypted("请删除我的数据", "details"),
            encrypted("", "identity_note"),
            encrypted("Done." if done else "", "resolution"),
            "zh-hans",
            "{}",
            "",
            loader.when(opened),
            "person:portal",
            loader.when(opened + timedelta(days=15)),
            loader.when(opened + timedelta(days=3)) if status == "done" else None,
            "staff:bench" if status == "done" else "",
            "",
            "",
            loader.when(opened + timedelta(days=3)) if status == "refused" else None,
            "staff:bench" if status == "refused" else "",
            0,
        )

    loader.insert(
        "cases_case",
        [
            "public_id",
            "kind",
            "channel",
            "status",
            "identity",
            "person_id",
            "requester_email",
            "requester_name",
            "subject_email",
            "details",
            "identity_note",
            "resolution",
            "language",
            "result",
            "hold",
            "opened_at",
            "opened_by",
            "due_at",
            "completed_at",
            "completed_by",
            "assigned_by",
            "verified_by",
            "refused_at",
            "refused_by",
            "reminder_level",
        ],
        (case_row(n) for n in range(1, cases + 1)),
    )
    disclosures = SIZES["disclosures"]
    loader.insert(
        "cases_disclosure",
        [
            "public_id",
            "person_id",
            "recipient",
            "recipient_name",
            "basis",
            "categories",
            "reference",
            "batch",
            "actor_label",
            "hold",
            "created_at",
        ],
        (
            (
                loader.uuid(uuid.UUID(int=(8 << 64) + n)),
                1 + (n * 104729) % people,
                "lead_generation",
                encrypted("Lead Generation Ltd", "recipient_name", "cases.Disclosure"),
                "processor",
                json.dumps(["user.contact.email", "user.name"]),
                encrypted("", "reference", "cases.Disclosure"),
                loader.uuid(uuid.UUID(int=(9 << 64) + n // 1000)),
                "staff:bench",
                "",
                loader.when(now - timedelta(days=DAYS) * (disclosures - n) / disclosures),
            )
            for n in range(1, disclosures + 1)
        ),
    )
    timings["cases"] = time.perf_counter() - started

    started = time.perf_counter()
    audit_seed(loader, SIZES["audit"], now)
    timings["audit"] = time.perf_counter() - started
    say(f"audit: {SIZES['audit']:,} entries in {timings['audit']:.0f} s")

    started = time.perf_counter()
    os.environ["BENCH_DASHBOARD_EVENTS"] = str(SIZES["views"])
    os.environ["BENCH_DASHBOARD_DAYS"] = str(DAYS)
    os.environ["BENCH_DASHBOARD_HOURLY_DAYS"] = "31"
    from bench.bench_dashboard import seed_rollups
    from pledge.dates import site_date

    seed_rollups(site_date())
    timings["rollups"] = time.perf_counter() - started

    started = time.perf_counter()
    loading(False)
    with connection.cursor() as cursor:
        if loader.postgres:
            for table in ("people_organization",):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    timings["analyze"] = time.perf_counter() - started
    return timings


def experts_make() -> list[int]:
    """EXPERTS sales experts (staff with an Expert row); their Expert ids."""
    from pledge.conftest import make_staff
    from pledge.meetings.models import Expert
    from pledge.vault.access import Role

    ids = []
    for n in range(EXPERTS):
        user = make_staff(f"bench-expert-{n}", Role.SALES_EXPERT)
        expert = Expert.objects.create(
            user=user,
            display_name=f"Expert {n}",
            languages=["zh-hans", "en"],
            forms=["demo", "interest", "contact"],
        )
        ids.append(expert.pk)
    return ids


# Entries as the product writes them: (action, object type).
AUDIT_ACTIONS = [
    ("person.opened", "people.Person"),
    ("person.searched", ""),
    ("lead.status_set", "meetings.Lead"),
    ("mail.viewed", "mail.Message"),
    ("case.opened", "cases.Case"),
    ("consent.recorded", "people.Consent"),
    ("submission.received", "intake.Submission"),
]


def audit_seed(loader, count: int, now) -> None:
    """``count`` entries sealed under the ring's primary key, chained after the head, each as
    ``audit_record`` would have appended it, over DAYS days; the head moved to the last."""
    import uuid
    from datetime import UTC, timedelta

    from pledge.vault.audit import entry_seal
    from pledge.vault.keys import current_ring
    from pledge.vault.models import AuditHead

    key = current_ring().primary
    head, _created = AuditHead.objects.get_or_create(id=1)
    first, previous = head.sequence + 1, head.hash
    start = now.astimezone(UTC) - timedelta(days=DAYS)
    state = {"previous": previous}

    def rows():
        for n in range(count):
            action, object_type = AUDIT_ACTIONS[n % len(AUDIT_ACTIONS)]
            fields = {
                "sequence": first + n,
                "at": start + timedelta(days=DAYS) * n / count,
                "actor_id": None,
                "actor_label": "staff:bench-officer" if n % 3 else "system:bench",
                "action": action,
                "object_type": object_type,
                "object_id": str(uuid.UUID(int=n)) if object_type else "",
                "reason": "",
                "request_id": f"{n:032x}",
                "details": {"results": n % 50} if action == "person.searched" else {},
                "previous_hash": state["previous"],
            }
            seal = entry_seal(fields, key)
            state["previous"] = seal
            yield (
                fields["sequence"],
                loader.when(fields["at"]),
                None,
                fields["actor_label"],
                action,
                object_type,
                fields["object_id"],
                "",
                fields["request_id"],
                json.dumps(fields["details"]),
                fields["previous_hash"],
                seal,
                key.id,
            )

    loader.insert(
        "vault_auditentry",
        [
            "sequence",
            "at",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "reason",
            "request_id",
            "details",
            "previous_hash",
            "hash",
            "key_id",
        ],
        rows(),
    )
    AuditHead.objects.filter(id=1).update(sequence=first + count - 1, hash=state["previous"])


# --- The worker: the measures ----------------------------------------------------------------


def say(message: str) -> None:
    common.say(message)


def pages(people: int) -> dict[str, str]:
    """Each page timed: its name and address."""
    from pledge.people.models import Person
    from pledge.vault.models import AuditHead

    busy = Person.objects.get(pk=1 + (SIZES["cases"] // 2 * 7919) % people)  # has a case
    email = identity(people // 3)[1]
    deep = AuditHead.objects.get(id=1).sequence // 2
    return {
        "baseline": "/en/console/account/",
        "people: exact email": f"/en/console/people/?q={email}",
        "people: name prefix": "/en/console/people/?q=ouya",
        "people: full name": "/en/console/people/?q=wei+ouyang",
        "people: list": "/en/console/people/",
        "person page": f"/en/console/people/{busy.public_id}/",
        "leads": "/en/console/leads/",
        "leads: filtered": "/en/console/leads/?status=contacted&form=demo&unassigned=1",
        "cases queue": "/en/console/cases/",
        "outbox": "/en/console/outbox/",
        "audit log": "/en/console/audit/",
        "audit log: deep": f"/en/console/audit/?before={deep}",
        "disclosures": "/en/console/disclosures/",
        "organisations visiting": "/en/console/organizations/visiting/",
        "dashboard 7d": "/en/console/aggregates/?range=7d",
        "dashboard 30d": "/en/console/aggregates/?range=30d",
    }


def explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def measure_page(client, url: str) -> dict:
    """p50 and p95 of REPEAT fetches after a warm-up; the queries of one fetch; the SQL time
    of a fetch (p50); and the query that took longest over the fetches (its text and
    parameters, by total time), whose plan is shown when the page misses its aim."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up: templates, caches
    assert response.status_code == 200, (url, response.status_code)
    gc.collect()  # the garbage of the pages before is not collected in this one's time
    times, sql_times, spent = [], [], {}

    def timed(run, sql, params, many, context):
        started = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            sql_times[-1] += took
            total, _params = spent.get(sql, (0.0, None))
            spent[sql] = (total + took, params)

    for _ in range(REPEAT):
        sql_times.append(0.0)
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
    figures = common.percentiles([t * 1000 for t in times])
    sql, (total, params) = max(spent.items(), key=lambda item: item[1][0])
    return {
        "p50": figures["p50"],
        "p95": figures["p95"],
        "queries": len(captured.captured_queries),
        "sql_ms": common.percentiles([t * 1000 for t in sql_times])["p50"],
        "slowest_ms": total * 1000 / REPEAT,
        "slowest": (sql, params),
    }


def slowest_plan(sql: str, params, took_ms: float) -> str:
    """The page's slowest query and its plan."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return f"{took_ms:.1f} ms a fetch: {sql[:300]}"
    return f"{took_ms:.1f} ms a fetch: {sql[:1200]}\n{explain(sql, params)}"


def measure() -> dict:
    from django.db import connection

    from pledge.conftest import make_staff, verified_client
    from pledge.people.models import Person
    from pledge.vault.access import Role

    officer = make_staff(
        "bench-officer", Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.SUPPORT, Role.MARKETING
    )
    client = verified_client(officer)
    people = Person.objects.order_by("-id").values_list("id", flat=True).first()
    results = {}
    for name, url in pages(people).items():
        figures = measure_page(client, url)
        aim = DASHBOARD_AIM_MS if name.startswith("dashboard") else AIM_MS
        sql, params = figures.pop("slowest")
        if name != "baseline" and figures["p95"] > aim:
            figures["plan"] = slowest_plan(sql, params, figures["slowest_ms"])
        results[name] = figures
        say(
            f"{name}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, "
            f"{figures['queries']} queries, SQL {figures['sql_ms']:.1f} ms"
        )
    return {"pages": results, "vendor": connection.vendor, "load": os.getloadavg()[0]}


def worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
    django.setup()
    if "--seed" in sys.argv:
        print(json.dumps({"seed": seed()}))
    else:
        print(json.dumps(measure()))


# --- The driver ------------------------------------------------------------------------------


def run_worker(mode: str, database_url: str, var: Path) -> dict | None:
    return common.worker_run(
        "bench_console", f"  the {mode} worker", database_url, var,
        timeout=TIMEOUT, timeout_setting="BENCH_CONSOLE_TIMEOUT", arguments=(mode,),
        environment={"PLEDGE_KEYS": ""},  # the ring is the seed's, in var/keys
    )  # fmt: skip


def sqlite_run(key: str) -> dict | None:
    SEED_DIR.mkdir(parents=True, exist_ok=True)
    seeded, keys = SEED_DIR / f"console-{key}.sqlite3", SEED_DIR / f"console-{key}.keys"
    outcome: dict = {}
    if not (seeded.exists() and keys.exists()):
        for old in SEED_DIR.glob("console-*"):  # seeds of other sizes or code: disk is finite
            if not old.name.endswith(".pg.keys"):
                old.unlink()
        print(f"SQLite: building the seed {seeded.name} ...", flush=True)
        directory = Path(tempfile.mkdtemp(prefix="bench-console-seed-"))
        try:
            started = time.perf_counter()
            built = run_worker("--seed", f"sqlite:///{directory / 'seed.sqlite3'}", directory)
            if built is None:
                return None
            outcome["seed_seconds"] = time.perf_counter() - started
            outcome["seed"] = built["seed"]
            shutil.copy(directory / "keys", keys)
            shutil.move(directory / "seed.sqlite3", seeded)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    directory = Path(tempfile.mkdtemp(prefix="bench-console-"))
    try:
        started = time.perf_counter()
        shutil.copy(seeded, directory / "bench.sqlite3")
        shutil.copy(keys, directory / "keys")
        outcome["copy_seconds"] = time.perf_counter() - started
        outcome["database_bytes"] = seeded.stat().st_size
        measured = run_worker("--measure", f"sqlite:///{directory / 'bench.sqlite3'}", directory)
        return {**outcome, **measured} if measured else None
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def postgres_run(key: str) -> dict | None:
    import psycopg

    parts = urlsplit(common.POSTGRES_URL)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    keys = SEED_DIR / f"console-{key}.pg.keys"
    outcome: dict = {}
    with psycopg.connect(admin_url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [SEED_DATABASE],
        ).fetchone()
    if not (row and row[0] == key and keys.exists()):
        print(f"PostgreSQL: building the seed database {SEED_DATABASE} ...", flush=True)
        SEED_DIR.mkdir(parents=True, exist_ok=True)
        for old in SEED_DIR.glob("console-*.pg.keys"):
            old.unlink()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')
            admin.execute(f'DROP DATABASE IF EXISTS "{SEED_DATABASE}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{SEED_DATABASE}"')
        directory = Path(tempfile.mkdtemp(prefix="bench-console-seed-"))
        try:
            started = time.perf_counter()
            built = run_worker(
                "--seed", urlunsplit(parts._replace(path=f"/{SEED_DATABASE}")), directory
            )
            if built is None:
                return None
            outcome["seed_seconds"] = time.perf_counter() - started
            outcome["seed"] = built["seed"]
            shutil.copy(directory / "keys", keys)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"COMMENT ON DATABASE \"{SEED_DATABASE}\" IS '{key}'")
    directory = Path(tempfile.mkdtemp(prefix="bench-console-"))
    try:
        started = time.perf_counter()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{RUN_DATABASE}" TEMPLATE "{SEED_DATABASE}"')
            outcome["database_bytes"] = admin.execute(
                "SELECT pg_database_size(%s)", [RUN_DATABASE]
            ).fetchone()[0]
        outcome["copy_seconds"] = time.perf_counter() - started
        shutil.copy(keys, directory / "keys")
        measured = run_worker(
            "--measure", urlunsplit(parts._replace(path=f"/{RUN_DATABASE}")), directory
        )
        return {**outcome, **measured} if measured else None
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')


def report(label: str, outcome: dict) -> None:
    sizes = ", ".join(f"{name} {value:,}" for name, value in SIZES.items())
    print(f"\n### {label}")
    print(f"- seed: {sizes}; {outcome['database_bytes'] / 1e9:.2f} GB", end="")
    if "seed_seconds" in outcome:
        steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in outcome["seed"].items())
        print(f"; built in {outcome['seed_seconds']:.0f} s ({steps})", end="")
    else:
        print(" (cached)", end="")
    print(
        f"; copied in {outcome['copy_seconds']:.1f} s; load average {outcome['load']:.1f}; "
        f"{REPEAT} fetches after a warm-up"
    )
    print("\n| page | p50 | p95 | queries | SQL a fetch (p50) | slowest query | aim |")
    print("|---|---:|---:|---:|---:|---:|---|")
    pages = outcome["pages"]
    baseline = pages["baseline"]["p95"]
    plans = []
    for name, figures in pages.items():
        aim = DASHBOARD_AIM_MS if name.startswith("dashboard") else AIM_MS
        verdict = "" if name == "baseline" else ("met" if figures["p95"] <= aim else "MISSED")
        print(
            f"| {name} | {figures['p50']:.1f} ms | {figures['p95']:.1f} ms | "
            f"{figures['queries']} | {figures['sql_ms']:.1f} ms | {figures['slowest_ms']:.1f} ms "
            f"| {verdict} {aim} ms |"
        )
        if name == "baseline":
            continue
        common.record(
            "console",
            f"{name}, {label} p95",
            figures["p95"],
            "ms",
            baseline=f"{label} /console/account/ p95",
            baseline_value=baseline,
            aim=aim,
            higher_is_better=False,
            note=f"{figures['queries']} queries",
        )
        if "plan" in figures:
            plans.append((name, figures["plan"]))
    for name, plan in plans:
        print(f"\n#### {label}, {name}: its slowest query\n\n```\n{plan}\n```")


def main() -> None:
    if "--worker" in sys.argv:
        worker()
        return
    key = seed_key()
    sizes = ", ".join(f"{name} {value:,}" for name, value in SIZES.items())
    print(f"the console's pages over {sizes} (seed {key})")
    for kind in common.kinds():
        label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[kind]
        outcome = sqlite_run(key) if kind == "sqlite" else postgres_run(key)
        if outcome:
            report(label, outcome)


if __name__ == "__main__":
    main()
