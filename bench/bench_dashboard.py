"""The site-usage dashboard over rollups of 10,000,000 events: server time per range.

For each database (SQLite in a temporary file; PostgreSQL when one answers at TEST_POSTGRES_URL,
in a database of its own, ``pledge_bench_dashboard``, dropped afterwards) a worker process:

1. migrates a fresh database and writes the rollup rows ``rollups_refresh`` would have written
   for BENCH_DASHBOARD_EVENTS page views (10,000,000) over BENCH_DASHBOARD_DAYS days (400),
   busier by day than by night: per day a ``total`` row and rows for 300 pages, 400 referring
   sites, 30 campaigns, 40 languages, 15 browsers and 4 device classes (a long tail: values
   weighted 1/rank), per hour the same for the busiest 60 pages, 40 referrers, 10 campaigns,
   20 languages, 10 browsers and the devices (BENCH_DASHBOARD_HOURLY_DAYS, all days by
   default, have hourly rows). Rows go in as plain rows (executemany on SQLite, COPY on
   PostgreSQL; ``bench_purge.insert``), with each month's rows (the sums of its day rows, as
   ``rollups_refresh`` writes them); PostgreSQL is ANALYZEd after the load;
2. times, for each range the page offers (today, 7 days, 30 days, this month, a whole past
   month, a custom 366 days), the dashboard's server-side work: ``dashboard()`` alone (the
   reads), and the whole page through Django's test client as a signed-in marketer (door,
   reads, SVG chart and template), BENCH_DASHBOARD_REPEAT times after one warm-up, and one
   table's CSV download;
3. the baseline, in the same run: BENCH_DASHBOARD_RAW page views (200,000) written as the
   beacon writes them, spread over 30 days, and the same figures (totals per day, views and
   distinct visitors per value of each dimension) computed from them with GROUP BY, as a
   dashboard without rollups would; scaled linearly, what those reads would cost over the
   30 days' share of the 10,000,000 events.

Aim: every range's page under 200 ms of server time. BENCH_DASHBOARD_TIMEOUT (900 s) bounds each
worker; BENCH_KINDS=sqlite skips PostgreSQL. Small: BENCH_DASHBOARD_EVENTS=100000
BENCH_DASHBOARD_DAYS=60 BENCH_DASHBOARD_HOURLY_DAYS=2 BENCH_DASHBOARD_RAW=20000.
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.bench_purge import insert, loading, view_values
from bench.common import reachable, record, say, worker_run

EVENTS = int(os.environ.get("BENCH_DASHBOARD_EVENTS", "10000000"))
DAYS = int(os.environ.get("BENCH_DASHBOARD_DAYS", "400"))
HOURLY_DAYS = int(os.environ.get("BENCH_DASHBOARD_HOURLY_DAYS", str(DAYS)))
RAW = int(os.environ.get("BENCH_DASHBOARD_RAW", "200000"))
REPEAT = int(os.environ.get("BENCH_DASHBOARD_REPEAT", "5"))
TIMEOUT = int(os.environ.get("BENCH_DASHBOARD_TIMEOUT", "900"))
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pledge")
DATABASE = "pledge_bench_dashboard"
ROOT = Path(__file__).resolve().parent.parent
AIM = 0.200  # seconds of server time for a whole page
CHUNK = 50_000
# Values per dimension: (in a day's rows, in an hour's rows).
POOLS = {
    "page": (300, 60),
    "referrer": (400, 40),
    "campaign": (30, 10),
    "language": (40, 20),
    "browser": (15, 10),
    "device": (4, 4),
}
SHARE = {"campaign": 0.05, "referrer": 0.4}  # views that have a campaign, a referring site
DEVICES = ["computer", "phone", "tablet", "other"]
# How busy each hour of a Shanghai day is, relative to the day's mean.
HOURLY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.3, 1.8, 2.0, 1.9, 1.5, 1.8, 2.0, 1.9, 1.7]
HOURLY += [1.4, 1.1, 1.0, 1.0, 0.9, 0.6, 0.4]


def value_of(dimension: str, rank: int) -> str:
    if dimension == "device":
        return DEVICES[rank]
    if dimension == "page":
        return f"/en/products/page-{rank}/" if rank % 2 else f"/solutions/page-{rank}/"
    return f"{dimension}-{rank}.example" if dimension == "referrer" else f"{dimension}-{rank}"


def weights(count: int) -> list[float]:
    raw = [1 / (rank + 1) for rank in range(count)]
    total = sum(raw)
    return [weight / total for weight in raw]


def rows_for(period: str, start, views: int, pool_index: int) -> list[tuple]:
    """The rollup rows of one period with ``views`` views: the total and each dimension's
    values, as ``rollups_refresh`` writes them (visitors, seconds and bounces in proportion)."""

    def row(dimension, value, count):
        visitors = max(1, int(count * 0.6))
        return (period, start, dimension, value, count, visitors, count * 35, int(visitors * 0.45))

    rows = [row("total", "", views)]
    for dimension, pools in POOLS.items():
        share = views * SHARE.get(dimension, 1.0)
        for rank, weight in enumerate(weights(pools[pool_index])):
            count = round(share * weight)
            if count:
                rows.append(row(dimension, value_of(dimension, rank), count))
    return rows


FIELDS = ("period", "start", "dimension", "value", "views", "visitors", "seconds", "bounces")


def seed_rollups(today: date) -> int:
    """The rollups of EVENTS page views over DAYS days ending today, oldest first."""
    from django.db import connection, transaction

    from pledge.dates import site_zone
    from pledge.tracking.ingest import DatabaseSink
    from pledge.tracking.models import Rollup

    adapt = DatabaseSink.datetime_adapter(connection)
    per_day = EVENTS / DAYS
    chunk, written, started = [], 0, time.perf_counter()
    months: dict[date, dict] = {}  # a month's rows: the sums of its day rows

    def flush():
        nonlocal chunk, written
        with transaction.atomic():
            insert(Rollup, FIELDS, chunk)
        written += len(chunk)
        chunk = []

    for offset in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=site_zone())
        daily = round(per_day * (0.8 + 0.4 * ((day.toordinal() * 7919) % 100) / 100))
        days = rows_for("day", adapt(midnight), daily, 0)
        chunk += days
        sums = months.setdefault(day.replace(day=1), {})
        for _period, _start, dimension, value, *counts in days:
            known = sums.get((dimension, value), (0, 0, 0, 0))
            sums[(dimension, value)] = tuple(a + b for a, b in zip(known, counts, strict=True))
        if offset == 0 or (day + timedelta(days=1)).day == 1:
            first = datetime.combine(day.replace(day=1), datetime.min.time(), tzinfo=site_zone())
            chunk += [
                ("month", adapt(first), dimension, value, *counts)
                for (dimension, value), counts in months.pop(day.replace(day=1)).items()
            ]
        if offset < HOURLY_DAYS:
            for hour, factor in enumerate(HOURLY):
                start = adapt(midnight + timedelta(hours=hour))
                chunk += rows_for("hour", start, round(daily * factor / 24), 1)
        if len(chunk) >= CHUNK:
            flush()
            if offset % 50 == 0:
                rate = written / (time.perf_counter() - started)
                say(f"  {written:,} rollup rows ({rate:,.0f} a second)")
    if chunk:
        flush()
    return written


def seed_raw(now) -> None:
    """RAW page views over the last 30 days, as the beacon's writer stores them."""
    from django.db import connection, transaction

    from pledge.tracking.ingest import DatabaseSink
    from pledge.tracking.models import PageView

    adapt = DatabaseSink.datetime_adapter(connection)
    chunk = []
    for index in range(RAW):
        at = adapt(now - timedelta(days=30) * (1 - index / RAW))
        chunk.append(view_values(f"r{index:031x}", at, index))
        if len(chunk) == CHUNK or index == RAW - 1:
            with transaction.atomic():
                insert(PageView, DatabaseSink.VIEW_FIELDS, chunk)
            chunk = []


def raw_figures(since, until) -> int:
    """What a dashboard without rollups reads: per day and per value of each dimension, views
    and distinct visitors, by GROUP BY over the page views. Returns the groups read."""
    from django.db.models import Count, F
    from django.db.models.functions import Concat, TruncDate

    from pledge.dates import site_zone
    from pledge.tracking.models import PageView
    from pledge.tracking.rollups import DIMENSIONS

    views = PageView.objects.filter(at__gte=since, at__lt=until, is_bot=False).annotate(
        visitor=Concat("visitor_key", "visitor_hash")
    )
    groups = len(
        views.annotate(day=TruncDate("at", tzinfo=site_zone()))
        .values("day")
        .annotate(n=Count("id"), v=Count("visitor", distinct=True))
    )
    for dimension, expression in DIMENSIONS.items():
        if dimension == "total":
            continue
        grouped = views.annotate(value=expression if dimension != "page" else F("path"))
        groups += len(
            grouped.values("value").annotate(n=Count("id"), v=Count("visitor", distinct=True))
        )
    return groups


def timed(function, repeat: int) -> dict:
    function()  # warm-up: caches, the template loader
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return {"p50": statistics.median(times), "max": max(times)}


def ranges(today: date) -> dict:
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    year_ago = (today - timedelta(days=365)).isoformat()
    return {
        "today": "range=today",
        "7 days": "range=7d",
        "30 days": "range=30d",
        "this month": "range=month",
        "last month": f"range=month&month={last_month}",
        "366 days": f"range=custom&from={year_ago}&to={today.isoformat()}",
    }


def worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from pledge.conftest import make_staff, verified_client
    from pledge.dates import site_date
    from pledge.tracking.models import Rollup
    from pledge.tracking.queries import dashboard, range_parse
    from pledge.vault.access import Role
    from pledge.vault.actors import Actor

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrated in {time.perf_counter() - started:.0f} s")
    today, now = site_date(), timezone.now()
    loading(True)
    started = time.perf_counter()
    rows = seed_rollups(today)
    seed_seconds = time.perf_counter() - started
    say(f"wrote {rows:,} rollup rows in {seed_seconds:.0f} s")
    seed_raw(now)
    loading(False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    marketer = make_staff("bench-marketer", Role.MARKETING)
    client = verified_client(marketer)
    actor = Actor.staff(marketer)
    results = {}
    for name, query in ranges(today).items():
        asked = dict(part.split("=") for part in query.split("&"))
        chosen = range_parse(
            asked.get("range", ""),
            month=asked.get("month", ""),
            start=asked.get("from", ""),
            end=asked.get("to", ""),
        )
        read = Rollup.objects.filter(
            period="day", start__gte=chosen.since, start__lt=chosen.until
        ).count()
        url = f"/en/console/aggregates/?{query}"
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        results[name] = {
            "rows": read,
            "query": timed(lambda chosen=chosen: dashboard(actor=actor, range=chosen), REPEAT),
            "page": timed(lambda url=url: client.get(url), REPEAT),
            "csv": timed(lambda url=url: client.get(url + "&csv=referrer"), 1),
        }
        say(f"{name}: page p50 {results[name]['page']['p50'] * 1000:.0f} ms")
    since = now - timedelta(days=30)
    groups = raw_figures(since, now)
    baseline = timed(lambda: raw_figures(since, now), max(1, REPEAT // 2))
    print(
        json.dumps(
            {
                "rollup_rows": rows,
                "seed_seconds": seed_seconds,
                "ranges": results,
                "baseline": {**baseline, "groups": groups},
                "load": os.getloadavg()[0],
            }
        )
    )


# --- The driver ------------------------------------------------------------------------------


def run_worker(label: str, database_url: str, var: Path) -> dict | None:
    print(f"{label}: rollups of {EVENTS:,} events over {DAYS} days ...", flush=True)
    return worker_run(
        "bench_dashboard", label, database_url, var,
        timeout=TIMEOUT, timeout_setting="BENCH_DASHBOARD_TIMEOUT",
    )  # fmt: skip


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def report(label: str, outcome: dict) -> None:
    print(f"\n### {label}")
    print(
        f"- {outcome['rollup_rows']:,} rollup rows for {EVENTS:,} events over {DAYS} days "
        f"(hourly rows for the last {min(HOURLY_DAYS, DAYS)}), written in "
        f"{outcome['seed_seconds']:.0f} s; load average {outcome['load']:.1f} "
        f"({os.cpu_count()} cores); median of {REPEAT} runs after a warm-up"
    )
    print(
        "\n| range | day rows in the range | reads (`dashboard()`) | page p50 | page max | CSV | aim |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, figures in outcome["ranges"].items():
        page = figures["page"]
        verdict = "within" if page["p50"] <= AIM else "OVER"
        print(
            f"| {name} | {figures['rows']:,} | {ms(figures['query']['p50'])} | {ms(page['p50'])} "
            f"| {ms(page['max'])} | {ms(figures['csv']['p50'])} | {verdict} {ms(AIM)} |"
        )
    base = outcome["baseline"]
    scaled = base["p50"] * (EVENTS * 30 / DAYS) / max(RAW, 1)
    month = outcome["ranges"]["30 days"]["query"]["p50"]
    for name, figures in outcome["ranges"].items():
        record(
            "dashboard", f"site usage, {name}, {label} (page p50)", figures["page"]["p50"] * 1000,
            "ms", aim=AIM * 1000, higher_is_better=False,
            note=f"{EVENTS:,} events in rollups",
            **(
                {"baseline": "GROUP BY over raw views, scaled", "baseline_value": scaled * 1000}
                if name == "30 days" else {}
            ),
        )  # fmt: skip
    print(
        f"\n- baseline, the same 30 days' figures by GROUP BY over {RAW:,} raw page views: "
        f"{ms(base['p50'])} ({base['groups']:,} groups); scaled to the "
        f"{EVENTS * 30 // DAYS:,} events 30 days of {EVENTS:,} hold: about {ms(scaled)}, "
        f"{scaled / max(month, 1e-9):,.0f}x the rollups' reads ({ms(month)})"
    )


def main() -> None:
    if "--worker" in sys.argv:
        worker()
        return
    kinds = os.environ.get("BENCH_KINDS", "sqlite,postgres")
    print(f"the site-usage dashboard over rollups of {EVENTS:,} events, {DAYS} days")
    if "sqlite" in kinds:
        directory = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
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
    directory = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
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
