"""What the drill checks once traffic stops, against the database, the mail server and its
own log of what clients were told; and the table it prints."""

import itertools
import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from email.header import decode_header, make_header
from email.utils import parseaddr

from drill.cluster import Cluster

MARKER = re.compile(r"drill-[0-9a-f]{12}")
NOTE = re.compile(r"drill-note-[0-9a-f]{12}")
GRACE = 3.0  # seconds after a fault's recovery in which its last errors may still arrive


def in_window(moment: float, faults) -> bool:
    return any(fault.started <= moment <= fault.ended + GRACE for fault in faults)


def describe(statuses: Counter) -> str:
    if not statuses:
        return "none"
    return ", ".join(
        f"{'no answer' if status == 0 else status} x{count}"
        for status, count in sorted(statuses.items())
    )


def events_check(log) -> list:
    """Every 204 is a stored page view (event_id is unique, so none is stored twice)."""
    from pledge.tracking.models import PageView

    acknowledged = list(set(log.events_acknowledged))
    stored = set()
    for start in range(0, len(acknowledged), 5000):
        chunk = acknowledged[start : start + 5000]
        stored |= set(
            PageView.objects.filter(event_id__in=chunk).values_list("event_id", flat=True)
        )
    lost = len(acknowledged) - len(stored)
    return [
        ("beacon events acknowledged", str(len(acknowledged)), bool(acknowledged)),
        ("beacon events lost", str(lost), lost == 0),
    ]


def stored_markers() -> Counter:
    """In how many stored rows each form's marker appears (values are encrypted, so they are
    read through the models): submissions, feedback (which belongs to no person) and
    newsletter signups waiting for their confirmation (no person until then)."""
    from pledge.intake.models import Feedback, Submission
    from pledge.mail.models import SubscriptionRequest

    counts: Counter = Counter()
    stores = [(Submission, "answers"), (Feedback, "answers"), (SubscriptionRequest, "email")]
    for model, field in stores:
        for value in model.objects.values_list(field, flat=True).iterator():
            counts.update(set(MARKER.findall(str(value))))
    return counts


def forms_check(cluster: Cluster, log) -> list:
    """Every thank-you page is one stored submission, none stored twice; and every visitor
    told thank you received the email the form sends (the privacy portal's request stores no
    row: its email is what it does)."""
    from drill.run import FORMS

    stored = stored_markers()
    with cluster.mail.lock:
        mailed = {to.split("@")[0] for _, to, _ in cluster.mail.received}
    acknowledged = Counter(form for form, _ in log.forms_acknowledged)
    lost = [
        marker for form, marker in log.forms_acknowledged if form != "portal" and not stored[marker]
    ]
    twice = [marker for _, marker in log.forms_sent if stored[marker] > 1]
    unmailed = Counter(
        form
        for form, marker in log.forms_acknowledged
        if form != "feedback" and marker not in mailed
    )
    refused = Counter(
        (record.kind[5:], record.status)
        for record in log.requests
        if record.kind.startswith("form ")
        and not record.kind.startswith("form page")
        and record.status != 200
    )
    return [
        (
            "form submissions acknowledged",
            ", ".join(f"{form} {count}" for form, count in sorted(acknowledged.items())),
            len(acknowledged) == len(FORMS),
        ),
        (
            "form posts not acknowledged",
            ", ".join(
                f"{form} {status} x{count}" for (form, status), count in sorted(refused.items())
            )
            or "none",
            True,
        ),
        ("form submissions lost", str(len(lost)), not lost),
        ("form submissions stored twice", str(len(twice)), not twice),
        (
            "visitors thanked but sent no email",
            ", ".join(f"{form} {count}" for form, count in sorted(unmailed.items())) or "none",
            not unmailed,
        ),
    ]


def uploads_check(log) -> list:
    """Each acknowledged application's CV reads back whole (decrypted from the shared volume
    by this process, not the server that stored it)."""
    from pledge.intake.models import StoredFile
    from pledge.intake.uploads import upload_read

    applications = {marker for form, marker in log.forms_acknowledged if form == "job_application"}
    found = Counter()
    for stored_name in StoredFile.objects.values_list("stored_name", flat=True):
        try:
            found.update(set(MARKER.findall(upload_read(stored_name).decode("latin-1"))))
        except OSError:
            continue
    missing = [marker for marker in applications if not found[marker]]
    return [
        (
            "CVs uploaded, read back from another process",
            f"{len(applications) - len(missing)} of {len(applications)}",
            bool(applications) and not missing,
        )
    ]


def notes_check(log) -> list:
    from pledge.meetings.models import LeadNote

    notes = Counter(
        marker
        for text in LeadNote.objects.values_list("text", flat=True).iterator()
        for marker in NOTE.findall(text)
    )
    lost = [marker for marker in log.notes_acknowledged if not notes[marker]]
    twice = [marker for marker, count in notes.items() if count > 1]
    return [
        ("staff notes on leads acknowledged", str(len(log.notes_acknowledged)), True),
        ("staff notes lost / stored twice", f"{len(lost)} / {len(twice)}", not lost and not twice),
    ]


def mail_check(cluster: Cluster) -> list:
    """Every message left, and the mail server received each once. A message whose worker
    was killed after handing it over is sent again under the same Message-ID (which readers'
    mail clients show once): that may happen only to messages whose delivery the kill cut."""
    from django_tasks_db.models import DBTaskResult

    from pledge.mail.models import Message, MessageStatus

    statuses = Counter(Message.objects.values_list("status", flat=True))
    expected = Counter(
        (parseaddr(to)[1].lower(), subject)
        for to, subject in Message.objects.filter(status=MessageStatus.SENT).values_list(
            "to", "subject"
        )
    )
    with cluster.mail.lock:
        received = list(cluster.mail.received)
    copies = {
        (message_id, parseaddr(to)[1].lower(), unfold(subject))
        for message_id, to, subject in received
    }
    arrived = Counter((to, subject) for _, to, subject in copies)
    lost, twice = expected - arrived, arrived - expected
    again = len(received) - len(copies)
    cut = DBTaskResult.objects.filter(
        status="RUNNING", task_path="pledge.mail.tasks.deliver"
    ).count()
    unsent = sum(statuses.values()) - statuses[MessageStatus.SENT]
    if lost or twice:
        (cluster.folder / "mail-mismatch.txt").write_text(
            "".join(f"lost {item}\n" for item in lost)
            + "".join(f"twice {item}\n" for item in twice)
        )
    return [
        (
            "mail sent",
            f"{statuses[MessageStatus.SENT]} ({unsent} not sent)",
            statuses[MessageStatus.SENT] > 0 and unsent == 0,
        ),
        (
            "mail lost / sent twice",
            f"{sum(lost.values())} / {sum(twice.values())}",
            not lost and not twice,
        ),
        (
            "mail sent again under its Message-ID",
            f"{again} (deliveries cut by kill -9: {cut})",
            again <= cut,
        ),
    ]


def unfold(subject: str) -> str:
    return str(make_header(decode_header(subject.replace("\r\n", ""))))


def tasks_check(drained_at) -> list:
    """No task left waiting (but one a scheduler enqueued after the queue drained); a task cut
    by kill -9 (left "running") had its work done anyway; each periodic job enqueued at most
    once a period although both workers schedule them."""
    from django_tasks_db.models import DBTaskResult

    from pledge.mail.models import Message, MessageStatus
    from pledge.scheduler import PERIODIC_JOBS, TOLERANCE

    tasks = Counter(DBTaskResult.objects.values_list("status", flat=True))
    interrupted = list(DBTaskResult.objects.filter(status="RUNNING"))
    undone = [
        task
        for task in interrupted
        if task.task_path != "pledge.mail.tasks.deliver"
        or not Message.objects.filter(
            pk=task.args_kwargs["args"][0], status=MessageStatus.SENT
        ).exists()
    ]
    twice = []
    for job in PERIODIC_JOBS:
        times = sorted(
            DBTaskResult.objects.filter(task_path=job.task).values_list("enqueued_at", flat=True)
        )
        for earlier, later in itertools.pairwise(times):
            if later - earlier < job.every - TOLERANCE:
                twice.append(job.name)
    return [
        (
            "tasks (by status)",
            ", ".join(f"{status.lower()} {count}" for status, count in sorted(tasks.items())),
            not DBTaskResult.objects.filter(status="READY", enqueued_at__lte=drained_at).exists(),
        ),
        (
            # None cut would prove nothing: the kill must land on a running task.
            "tasks cut by kill -9, work done",
            f"{len(interrupted) - len(undone)} of {len(interrupted)}",
            bool(interrupted) and not undone,
        ),
        ("periodic jobs run twice in a period", str(len(twice)), not twice),
    ]


def sessions_check(log) -> list:
    """Every staff page after sign-in was served signed in, by both app servers."""
    pages = Counter(log.staff_pages)
    lost = sum(count for (_, _, signed_in), count in pages.items() if not signed_in)
    servers = {
        upstream
        for (_, upstream, signed_in) in pages
        if signed_in and upstream and "," not in upstream
    }
    return [
        (
            "staff pages signed in (on app servers)",
            f"{sum(pages.values()) - lost} (on {len(servers)})",
            len(servers) >= 2,
        ),
        ("staff sessions lost", str(lost), lost == 0),
    ]


def limits_check(beacon_probe, form_probe) -> list:
    """Counted in Redis by both servers together: one address never gets past its limit in
    any window of the limiter (a probe that ran over a window's end may use two)."""
    from django.conf import settings

    rows = []
    for name, (sent, passed, windows), limit, per in [
        ("beacon", beacon_probe, settings.PLEDGE_BEACON_RATE_LIMIT, "min"),
        ("form", form_probe, settings.PLEDGE_FORM_LIMIT_PER_IP, "hour"),
    ]:
        rows.append(
            (
                f"{name} limit {limit}/{per}, one address",
                f"{passed} of {sent} passed" + (f" in {windows} windows" if windows > 1 else ""),
                0 < passed <= limit * windows,
            )
        )
    return rows


def faults_check(faults) -> list:
    never = [fault.name for fault in faults if fault.recovered is None]
    idle = [fault.name for fault in faults if not fault.mid_task]
    return [
        ("faults not recovered from", ", ".join(never) or "none", not never),
        ("worker killed while idle", ", ".join(idle) or "no", not idle),
    ]


def errors_check(log, faults) -> list:
    failed = [record for record in log.requests if record.status >= 500 or record.status == 0]
    inside = Counter(record.status for record in failed if in_window(record.at, faults))
    outside = Counter(record.status for record in failed if not in_window(record.at, faults))
    return [
        ("requests served", str(len(log.requests)), True),
        ("errors inside fault windows", describe(inside), True),
        ("errors outside fault windows", describe(outside), not outside),
    ]


def sizes() -> list:
    """What the drill's data costs in PostgreSQL, for docs/deploy.md's "when": bytes per page
    view (table and indexes) and per submission, and the transactions the run committed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('tracking_pageview'), "
            "(SELECT count(*) FROM tracking_pageview), "
            "pg_total_relation_size('intake_submission'), "
            "(SELECT count(*) FROM intake_submission), "
            "(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())"
        )
        views_bytes, views, submissions_bytes, submissions, commits = cursor.fetchone()
    return [
        ("PostgreSQL bytes per page view", f"{views_bytes / max(views, 1):.0f}", True),
        ("PostgreSQL bytes per submission", f"{submissions_bytes / max(submissions, 1):.0f}", True),
        ("PostgreSQL transactions committed", str(commits), True),
    ]


def machine_read(port: int, path: str) -> tuple[int, str]:
    """What an app server answers a probe on its own port (as a load balancer or Prometheus
    on the machine asks: plain HTTP, by address)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def machines_check(cluster: Cluster) -> list:
    """After the faults, each app server says it is ready (database, cache, keys, migrations,
    a worker's heartbeat) and its Prometheus counts add up over its processes."""
    ready, requests, workers = [], 0, 0
    for port in cluster.app_ports:
        status, body = machine_read(port, "/readyz")
        ready.append(status == 200 and json.loads(body or "{}").get("status") == "ready")
        status, body = machine_read(port, "/metrics")
        for line in body.splitlines():
            if line.startswith("pledge_http_requests_total{"):
                requests += float(line.rsplit(" ", 1)[1])
            elif line.startswith("pledge_workers_alive "):
                workers = int(float(line.rsplit(" ", 1)[1]))
    return [
        ("app servers ready (/readyz)", f"{sum(ready)} of {len(ready)}", all(ready)),
        ("requests counted in /metrics since restart", f"{requests:.0f}", requests > 0),
        ("workers alive (heartbeat)", str(workers), workers >= 2),
    ]


def checks_run(
    cluster: Cluster, log, faults, beacon_probe, form_probe, drained, drained_at
) -> list:
    try:
        cluster.pledge("audit", "verify")
        audit = True
    except RuntimeError:
        audit = False
    return [
        *events_check(log),
        *forms_check(cluster, log),
        *uploads_check(log),
        *notes_check(log),
        *mail_check(cluster),
        *tasks_check(drained_at),
        *sessions_check(log),
        *limits_check(beacon_probe, form_probe),
        *faults_check(faults),
        *errors_check(log, faults),
        ("audit chain verifies", "yes" if audit else "no", audit),
        (
            "queue drained after traffic",
            f"in {drained:.0f} s" if drained >= 0 else "no",
            drained >= 0,
        ),
        *sizes(),
    ]


def table_print(outcome, faults, log, seconds) -> None:
    width = max(len(name) for name, _, _ in outcome) + 2
    print()
    print(f"Scale-out drill: {seconds:.0f} s, {len(log.requests)} requests through nginx")
    print()
    print(f"{'fault injected':<{width}} {'recovered in':<14} errors meanwhile")
    for fault in faults:
        errors = Counter(
            record.status
            for record in log.requests
            if (record.status >= 500 or record.status == 0) and in_window(record.at, [fault])
        )
        taken = "never" if fault.seconds is None else f"{fault.seconds:.1f} s"
        print(f"{fault.name:<{width}} {taken:<14} {describe(errors)}")
    print()
    print(f"{'check':<{width}} {'figure':<40} result")
    for name, figure, ok in outcome:
        print(f"{name:<{width}} {figure:<40} {'ok' if ok else 'FAILED'}")
    print()
    print("Drill passed." if all(ok for _, _, ok in outcome) else "Drill FAILED.")
    print(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
