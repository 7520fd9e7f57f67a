"""Public form submissions per second at 16 clients, through the whole path, on loopback.

Two servers in the same run, on each database (SQLite; PostgreSQL when one answers at
TEST_POSTGRES_URL), each in a fresh database:

- Pledge: ``pledge serve --no-worker`` (granian, its default workers and threads) with
  ``pledge worker`` beside it delivering the queued mail to a real SMTP server on loopback
  (aiosmtpd, in this process). The contact form, ``/en/contact/``: each client GETs the page
  like a browser (the CSRF cookie and token, the signed sum for browsers without JavaScript),
  then POSTs it as the page's multipart form with the sum answered: defence (honeypot, the
  signed sum spent once, the per-address and per-email limits), validation, the person upserted
  by blind index with encrypted fields, the submission encrypted, consents with their words,
  the audit entry, the lead, and two emails queued. A success is the thank-you page.
- The naive way (bench/naive_form.py): a Django ModelForm view storing the same fields in
  plaintext, CSRF on, GET then POST, on the same granian settings.

Every acknowledged submission must be in the database afterwards (counted), and every queued
email must reach the SMTP server (counted by recipient). The peak memory of each web worker and
of the task worker is read (VmHWM) just before they are stopped.

The per-address limit (PLEDGE_FORM_LIMIT_PER_IP) is raised for the run: every client posts
from 127.0.0.1; each submission has its own email address, so the per-email limit holds.
"""

import http.client
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

from bench import common
from bench.bench_beacon import Database

CLIENTS = int(os.environ.get("BENCH_FORMS_CLIENTS", "16"))
WARM_UP = 3.0
MAIL_WAIT = float(os.environ.get("BENCH_FORMS_MAIL_WAIT", "120"))
PYTHON = sys.executable
PLEDGE_PATH = "/en/contact/"
PLEDGE_THANKS = "We have your message and will reply soon."
NAIVE_PATH = "/en/naive/contact/"
NAIVE_THANKS = "naive-thanks"
EMAILS_PER_SUBMISSION = 2  # the visitor's confirmation and the staff note (intake.services)
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
INQUIRY_TYPES = ("developer", "licensor", "distributor", "other")


# --- The SMTP server the task worker delivers to ---------------------------------------------


class MailSink:
    """A real SMTP server on 127.0.0.1 counting every recipient of every message."""

    def __init__(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.lock = threading.Lock()
        self.received = 0
        self.port = common.free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received += len(envelope.rcpt_tos)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return self.received

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


# --- The clients -----------------------------------------------------------------------------


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return unescape(match.group(1)) if match else ""


def cookies_of(response, jar: dict) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            name, _, content = pair.partition("=")
            jar[name.strip()] = content.strip()


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    boundary = f"----BenchFormBoundary{secrets.token_hex(8)}"
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


def answers(number: str) -> list[tuple[str, str]]:
    """What a visitor types into the contact form: each submission its own person."""
    return [
        ("name", f"Bench Visitor {number}"),
        ("email", f"visitor-{number}@company-{int(number.split('-')[-1]) % 97}.example.com"),
        ("phone", "+86 138 0013 8000"),
        ("company", "Example Trading Co., Ltd."),
        ("inquiry_type", INQUIRY_TYPES[hash(number) % len(INQUIRY_TYPES)]),
        ("subject", "Licensing your catalogue"),
        (
            "message",
            "Hello, we distribute software in East China and would like to know your "
            "licensing terms for resellers. Could someone call us next week? Thank you.",
        ),
        ("sales_follow_up", "on"),
    ]


class Client(threading.Thread):
    """One browser after another on one keep-alive connection: GET the form, then POST it."""

    def __init__(self, run: "Run", index: int):
        super().__init__(daemon=True)
        self.run_ = run
        self.index = index
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.run_.port, timeout=60
                )
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response, response.read().decode("utf-8", "replace")
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def run(self):
        run, count = self.run_, 0
        origin = f"http://127.0.0.1:{run.port}"
        while time.monotonic() < run.ends:
            count += 1
            number = f"{run.label}-{self.index}-{count}"
            jar: dict[str, str] = {}
            headers = {"User-Agent": USER_AGENT, "Accept-Language": "en"}
            began = time.monotonic()
            try:
                response, page = self.request("GET", run.path, headers=headers)
                cookies_of(response, jar)
                fields = [("csrfmiddlewaretoken", hidden(page, "csrfmiddlewaretoken"))]
                fields += answers(number)
                token = hidden(page, "human_sum_token")
                if token:  # Pledge's defence: the honeypot left empty, the small sum answered
                    left, right = token.split(":")[:2]
                    fields += [
                        ("website", ""),
                        ("pow", ""),
                        ("human_sum", str(int(left) + int(right))),
                        ("human_sum_token", token),
                    ]
                if run.multipart:
                    body, content_type = multipart(fields)
                else:
                    body = urlencode(fields).encode()
                    content_type = "application/x-www-form-urlencoded"
                posted = time.monotonic()
                response, page = self.request(
                    "POST",
                    run.path,
                    body=body,
                    headers={
                        **headers,
                        "Content-Type": content_type,
                        "Origin": origin,
                        "Referer": origin + run.path,
                        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
                    },
                )
                done = time.monotonic()
            except (http.client.HTTPException, OSError) as error:
                run.failed(f"{type(error).__name__}: {error}")
                continue
            if response.status == 200 and run.marker in page:
                run.succeeded(posted, done, began)
            else:
                run.failed(f"{response.status}: {page[:200]!r}")


class Run:
    """16 clients against one server: warm-up, then the measured window."""

    def __init__(self, port: int, label: str, path: str, marker: str, multipart: bool):
        self.port, self.label, self.path, self.marker = port, label, path, marker
        self.multipart = multipart
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.errors: dict[str, int] = {}
        self.posts: list[float] = []
        self.cycles: list[float] = []
        self.starts = self.ends = 0.0

    def succeeded(self, posted: float, done: float, began: float) -> None:
        with self.lock:
            self.acknowledged += 1
            if self.starts <= done <= self.starts + common.SECONDS:
                self.posts.append((done - posted) * 1000)
                self.cycles.append((done - began) * 1000)

    def failed(self, reason: str) -> None:
        with self.lock:
            self.errors[reason[:120]] = self.errors.get(reason[:120], 0) + 1

    def go(self) -> dict:
        now = time.monotonic()
        self.starts = now + WARM_UP
        self.ends = self.starts + common.SECONDS
        clients = [Client(self, index) for index in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        posts = common.percentiles(self.posts)
        return {
            "rate": len(self.posts) / common.SECONDS,
            "p50": posts["p50"],
            "p99": posts["p99"],
            "cycle_p99": common.percentiles(self.cycles)["p99"],
            "acknowledged": self.acknowledged,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(sorted(self.errors.items(), key=lambda kv: -kv[1])[:3]),
        }


# --- Databases and servers -------------------------------------------------------------------


def scalar(database: Database, query: str) -> int:
    if database.kind == "sqlite":
        with sqlite3.connect(database.path) as connection:
            return connection.execute(query).fetchone()[0]
    import psycopg

    with psycopg.connect(database.url) as connection:
        return connection.execute(query).fetchone()[0]


def environment_for(database: Database, directory: Path, label: str, mail_port: int) -> dict:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLEDGE_")},
        "DJANGO_SETTINGS_MODULE": "pledge.settings",
        "PLEDGE_VAR": str(directory / label),
        "DATABASE_URL": database.url,
        # The limit stays on (its cost is measured) but high enough for one loopback address.
        "PLEDGE_FORM_LIMIT_PER_IP": "1000000000",
        "EMAIL_URL": f"smtp://127.0.0.1:{mail_port}",
        "PYTHONPATH": str(common.ROOT),
    }
    environment.pop("REDIS_URL", None)
    return environment


def pledge(environment: dict, *arguments: str) -> None:
    subprocess.run(
        [PYTHON, "-m", "pledge", *arguments],
        env=environment,
        cwd=common.ROOT,
        check=True,
        capture_output=True,
    )


def web_threads(environment: dict) -> str:
    """``PLEDGE_WEB_THREADS`` as the settings resolve it: granian's blocking threads under
    ``pledge serve``, which the baseline gets too."""
    return subprocess.run(
        [
            PYTHON,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.PLEDGE_WEB_THREADS)",
        ],
        env=environment,
        cwd=common.ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]


def children_peaks(pid: int) -> list[float]:
    """The peak RSS of each process below ``pid`` (granian's workers), largest first."""
    peaks = []
    for child in common.process_tree(pid)[1:]:
        peaks.extend(common.peak_rss_mb(child).values())
    return sorted(peaks, reverse=True)


def run_pledge(kind: str, directory: Path, sink: MailSink) -> dict:
    label = f"pledge_forms_{kind}"
    database = Database(kind, directory, label)
    environment = environment_for(database, directory, label, sink.port)
    try:
        pledge(environment, "migrate", "--noinput", "-v0")
        pledge(environment, "policy", "publish", "--minor", "--summary", "bench", "--by", "bench")
        port = common.free_port()
        log = open(directory / f"{label}.log", "w")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [PYTHON, "-m", "pledge", "serve", "--no-worker", "--port", str(port)],
            env=environment,
            cwd=common.ROOT,
            stdout=log,
            stderr=log,
        )
        worker = subprocess.Popen(
            [PYTHON, "-m", "pledge", "worker"],
            env=environment,
            cwd=common.ROOT,
            stdout=log,
            stderr=log,
        )
        mail_before = sink.count()
        try:
            common.wait_ready(f"http://127.0.0.1:{port}/healthz", server)
            common.say(f"{label}: serving on {port}, server {server.pid}, worker {worker.pid}")
            result = Run(port, label, PLEDGE_PATH, PLEDGE_THANKS, multipart=True).go()
            result["threads"] = web_threads(environment)
            result["web_peaks"] = children_peaks(server.pid)
            stored = scalar(database, "SELECT count(*) FROM intake_submission")
            expected = stored * EMAILS_PER_SUBMISSION
            deadline, last, last_change = time.monotonic() + MAIL_WAIT, -1, time.monotonic()
            while time.monotonic() < deadline and sink.count() - mail_before < expected:
                if sink.count() != last:
                    last, last_change = sink.count(), time.monotonic()
                elif time.monotonic() - last_change > 20:
                    break  # the worker has stopped delivering
                time.sleep(0.5)
            result["mail_seconds"] = time.monotonic() - (deadline - MAIL_WAIT)
            result["worker_peak"] = max(common.peak_rss_mb(worker.pid).values(), default=0.0)
            result["mail_expected"] = expected
            result["mail_received"] = sink.count() - mail_before
        finally:
            common.stop(worker)
            common.stop(server)
            log.close()
        result["stored"] = stored
        result["leads"] = scalar(database, "SELECT count(*) FROM meetings_lead")
        result["messages"] = scalar(database, "SELECT count(*) FROM mail_message")
        return result
    finally:
        database.drop()


def run_naive(kind: str, directory: Path, sink: MailSink) -> dict:
    label = f"naive_forms_{kind}"
    database = Database(kind, directory, label)
    environment = environment_for(database, directory, label, sink.port)
    try:
        pledge(environment, "migrate", "--noinput", "-v0")
        subprocess.run(
            [PYTHON, "-m", "bench.naive_form"], env=environment, cwd=common.ROOT, check=True
        )
        port = common.free_port()
        threads = web_threads(environment)  # what pledge serve gives granian
        command = [
            PYTHON, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "2", "--blocking-threads", threads,
            "--no-log", "bench.naive_form_entry:application",
        ]  # fmt: skip
        log = open(directory / f"{label}.log", "w")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(command, env=environment, cwd=common.ROOT, stdout=log, stderr=log)
        try:
            common.wait_ready(f"http://127.0.0.1:{port}{NAIVE_PATH}", server)
            result = Run(port, label, NAIVE_PATH, NAIVE_THANKS, multipart=False).go()
            result["threads"] = threads
            result["web_peaks"] = children_peaks(server.pid)
        finally:
            common.stop(server)
            log.close()
        result["stored"] = scalar(database, "SELECT count(*) FROM bench_naive_contact")
        return result
    finally:
        database.drop()


# --- The report ------------------------------------------------------------------------------


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="pledge-bench-forms-"))
    sink = MailSink().start()
    rows = []
    try:
        for kind in common.kinds():
            rows.append((kind, run_pledge(kind, directory, sink), run_naive(kind, directory, sink)))
    finally:
        sink.stop()

    print(
        f"\n{CLIENTS} clients, GET then POST the contact form, {common.SECONDS} s after "
        f"{WARM_UP:.0f} s of warm-up, 127.0.0.1, {os.cpu_count()} cores"
    )
    print("(p50, p99: the POST; GET+POST p99: the whole visit, page then post)")
    header = (
        "server",
        "submissions/s",
        "p50 ms",
        "p99 ms",
        "GET+POST p99",
        "errors",
        "stored / acknowledged",
    )
    print("| {:<25} | {:>13} | {:>7} | {:>7} | {:>12} | {:>6} | {:>21} |".format(*header))
    print(f"|{'-' * 27}|{'-' * 15}|{'-' * 9}|{'-' * 9}|{'-' * 14}|{'-' * 8}|{'-' * 23}|")
    for kind, mine, naive in rows:
        for name, result in ((f"Pledge, {kind}", mine), (f"naive ModelForm, {kind}", naive)):
            print(
                f"| {name:<25} | {result['rate']:>13.1f} | {result['p50']:>7.1f} "
                f"| {result['p99']:>7.1f} | {result['cycle_p99']:>12.1f} | {result['errors']:>6} "
                f"| {result['stored']:>9} / {result['acknowledged']:<9} |"
            )
    print()
    for kind, mine, naive in rows:
        lost = max(0, mine["acknowledged"] - mine["stored"])
        naive_lost = max(0, naive["acknowledged"] - naive["stored"])
        print(
            f"{kind}: Pledge {mine['rate'] / naive['rate']:.2f}x the naive view; "
            f"acknowledged but not stored: Pledge {lost}, naive {naive_lost}; "
            f"leads {mine['leads']}, messages queued {mine['messages']}; "
            f"mail delivered {mine['mail_received']} of {mine['mail_expected']} "
            f"in {mine['mail_seconds']:.0f} s after the run; "
            f"web workers' peak RSS {', '.join(f'{mb:.0f}' for mb in mine['web_peaks'])} MB "
            f"(naive {', '.join(f'{mb:.0f}' for mb in naive['web_peaks'])} MB), "
            f"task worker {mine['worker_peak']:.0f} MB; "
            f"granian: 2 workers, {mine['threads']} threads (naive {naive['threads']})"
        )
        for name, result in (("Pledge", mine), ("naive", naive)):
            if result["error_kinds"]:
                print(f"  {name} errors: {result['error_kinds']}")

        rate = common.record(
            "forms",
            f"submissions, {kind}",
            mine["rate"],
            "/s",
            baseline="naive ModelForm view",
            baseline_value=naive["rate"],
            aim=naive["rate"] / 2,
        )
        if lost:
            rate.note = f"{lost} acknowledged, not stored"
        common.record(
            "forms",
            f"submission p99, {kind}",
            mine["p99"],
            "ms",
            baseline="naive ModelForm view",
            baseline_value=naive["p99"],
            higher_is_better=False,
        )
        common.record(
            "memory",
            f"web worker peak RSS (forms run, {kind})",
            max(mine["web_peaks"], default=0.0),
            "MB",
            aim=150,
            higher_is_better=False,
        )
        common.record(
            "memory",
            f"task worker peak RSS ({kind})",
            mine["worker_peak"],
            "MB",
            aim=250,
            higher_is_better=False,
            note=f"mail delivered {mine['mail_received']}/{mine['mail_expected']}",
        )
