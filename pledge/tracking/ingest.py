"""The ingest path's durability: group commit into the database, one writer thread per process.

Request threads hand their event to the writer and wait; the writer takes every event that
arrived since its last commit, writes them with one INSERT per table in ONE transaction, and
after COMMIT wakes all their threads at once. The beacon answers 2xx only then, so an
acknowledged event is in the database (SQLite WAL with synchronous=FULL, PostgreSQL with
synchronous_commit on): a crash loses only events nobody was told were kept (SECURITY.md R2).
No request makes its own database round trip; under load one commit carries hundreds of events,
and with no load an event waits for just its own commit (no timer, no added delay).

Why not a local append-only queue file drained later: it would make each web server hold state
(recovery on restart, a drain job, a second copy of every event) to save a commit that costs
about 0.3 ms here; the database is the durable store either way. See docs/architecture.md.

Request-log rows (P08) ride the same commits but nobody waits for them.
"""

import _thread
import atexit
import fcntl
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections, transaction

from pledge.metrics import instruments
from pledge.tracking.declarations import REQUEST_LOG_COLUMNS

log = logging.getLogger(__name__)

VIEW, LEAVE, REQUEST = "view", "leave", "request"
FLUSH = "flush"  # writes nothing: its commit means every earlier batch is committed
IDLE_CLOSE_SECONDS = 5.0
# Rows per INSERT: 17 parameters each stays far below SQLite's 32766 and PostgreSQL's 65535.
ROWS_PER_STATEMENT = 500
SQLITE_LOCK_SECONDS = 20.0  # as long as Django's own timeout in settings.SQLITE_OPTIONS


@dataclass(eq=False)
class Batch:
    """Events committed together. Each waiting request holds one of ``waiters`` (a locked
    lock); the writer releases them all after COMMIT (``ok``) or a failure.

    A plain lock per waiter is the cheapest wake-up CPython has: no shared condition that
    every woken thread must take again, which halved the beacon's throughput when measured.
    """

    events: list = field(default_factory=list)
    waiters: list = field(default_factory=list)
    ok: bool = False
    finished: bool = False

    def finish(self, ok: bool) -> None:
        self.ok, self.finished = ok, True
        for waiter in self.waiters:
            waiter.release()


def _columns(model, names):
    return [model._meta.get_field(name).column for name in names]


class DatabaseSink:
    """Writes a batch in one transaction: INSERTs of page views and log rows, time-on-page UPDATEs.

    Statements are built once from the models' metadata; values are always parameters (I4).
    Page views are idempotent on ``event_id``, so a retried or replayed event is stored once.
    """

    VIEW_FIELDS = (
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
    )
    REQUEST_FIELDS = REQUEST_LOG_COLUMNS

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._statements = None
        self._tuned = None
        self._turn_file = None
        self._turn_pid = None

    def statements(self, connection):
        if self._statements is None:
            from pledge.tracking.models import PageView, RequestLogEntry

            quote = connection.ops.quote_name

            def insert(model, names, suffix=""):
                columns = ", ".join(quote(column) for column in _columns(model, names))
                table = quote(model._meta.db_table)
                row = "(" + ", ".join(["%s"] * len(names)) + ")"
                prefix = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                return prefix, row, suffix

            table = quote(PageView._meta.db_table)
            seconds, event_id = quote("seconds"), quote("event_id")
            self._statements = {
                VIEW: insert(PageView, self.VIEW_FIELDS, f" ON CONFLICT ({event_id}) DO NOTHING"),
                REQUEST: insert(RequestLogEntry, self.REQUEST_FIELDS),
                LEAVE: (
                    f"UPDATE {table} SET {seconds} = %s WHERE {event_id} = %s "  # noqa: S608
                    f"AND ({seconds} IS NULL OR {seconds} < %s)"
                ),
            }
        return self._statements

    @staticmethod
    def datetime_adapter(connection):
        """How a UTC datetime goes to the database: as Django stores it, without its cost.

        Django's own adapter costs about 8 µs a row on SQLite (time zone checks); events carry
        ``timezone.now()`` (aware, UTC), which SQLite stores as naive UTC text.
        """
        if connection.vendor == "sqlite":
            return lambda moment: moment.replace(tzinfo=None).isoformat(" ", "microseconds")
        return connection.ops.adapt_datetimefield_value

    def write(self, events: list) -> None:
        connection = connections[self.alias]
        statements = self.statements(connection)
        adapt = self.datetime_adapter(connection)
        rows = {VIEW: [], LEAVE: [], REQUEST: []}
        for kind, values in events:
            if kind == VIEW:  # (event_id, at, ...)
                rows[VIEW].append((values[0], adapt(values[1]), *values[2:]))
            elif kind == REQUEST:  # (at, ...)
                rows[REQUEST].append((adapt(values[0]), *values[1:]))
            elif kind == LEAVE:
                rows[LEAVE].append(values)
        if not any(rows.values()):
            return
        if connection.vendor == "sqlite":
            self.write_sqlite(connection, statements, rows)
            return
        with transaction.atomic(using=self.alias):
            self.write_postgresql(connection, statements, rows)

    def write_sqlite(self, connection, statements, rows) -> None:
        """SQLite: one multi-row INSERT per table, in one transaction on the raw connection.

        The writers of this machine's web processes take turns (``turn``), so they never
        wait on SQLite's lock for each other. Other writers (pages, the task worker) still may
        hold it: SQLite's own busy handler sleeps 1, 2, 5 ... up to 100 ms between tries, which
        put whole batches (and every request waiting on them) 100 ms behind, so the writer
        tries again every half millisecond instead. The raw connection, not Django's cursor:
        its wrappers (placeholders rewritten per statement, atomic blocks) were a fifth of the
        writer's time under load (py-spy, docs/architecture.md).
        """
        connection.ensure_connection()
        raw = connection.connection
        if connection.in_atomic_block:  # the caller's transaction (InlineWriter): part of it
            with transaction.atomic(using=self.alias):
                self.write_sqlite_rows(raw, statements, rows)
            return
        if self._tuned is not raw:  # a new connection: tune it once
            raw.execute("PRAGMA busy_timeout = 0")
            self._tuned = raw
        deadline = time.monotonic() + SQLITE_LOCK_SECONDS
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:
                locked = "locked" in str(error) or "busy" in str(error)
                if not locked or time.monotonic() > deadline:
                    raise
                time.sleep(0.0005)
        try:
            self.write_sqlite_rows(raw, statements, rows)
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise

    def write_sqlite_rows(self, raw, statements, rows) -> None:
        # Inserts before updates: a page's leave event may arrive in its view's batch.
        for kind in (VIEW, REQUEST):
            prefix, row, suffix = statements[kind]
            row = row.replace("%s", "?")
            for start in range(0, len(rows[kind]), ROWS_PER_STATEMENT):
                chunk = rows[kind][start : start + ROWS_PER_STATEMENT]
                # One multi-row INSERT: a single statement per chunk, not one per event.
                raw.execute(
                    prefix + ", ".join([row] * len(chunk)) + suffix,
                    [value for values in chunk for value in values],
                )
        if rows[LEAVE]:
            raw.executemany(statements[LEAVE].replace("%s", "?"), rows[LEAVE])

    def turn_path(self) -> str | None:
        """The file whose lock is the turn: beside a SQLite database file; None otherwise."""
        connection = connections[self.alias]
        name = str(connection.settings_dict["NAME"])
        if connection.vendor != "sqlite" or name == ":memory:" or name.startswith("file:"):
            return None
        return f"{name}-ingest.lock"

    @contextmanager
    def turn(self):
        """Hold this machine's turn to write (SQLite): an exclusive lock on a file beside the
        database, which the kernel hands to the next waiting writer the moment it is released.

        The writer takes its batch only once it holds the turn, so a batch carries every event
        that arrived while the other process committed. PostgreSQL locks rows, not the
        database: its writers need no turns.
        """
        path = self.turn_path()
        if path is None:
            yield
            return
        if self._turn_file is None or self._turn_pid != os.getpid():
            self._turn_file = open(path, "a+b")  # noqa: SIM115 (kept open)
            self._turn_pid = os.getpid()
        fcntl.flock(self._turn_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turn_file, fcntl.LOCK_UN)

    def write_postgresql(self, connection, statements, rows) -> None:
        """PostgreSQL: server-side binding and a pipelined executemany, in C.

        Django's psycopg cursors bind on the client, quoting each value in Python (about
        100 µs a row measured); a plain psycopg cursor sends each row as Bind/Execute of one
        prepared statement, pipelined: the whole batch in a few packets.
        """
        import psycopg

        with psycopg.Cursor(connection.connection) as cursor:
            for kind in (VIEW, REQUEST):
                if rows[kind]:
                    prefix, row, suffix = statements[kind]
                    cursor.executemany(prefix + row + suffix, rows[kind])
            if rows[LEAVE]:
                cursor.executemany(statements[LEAVE], rows[LEAVE])

    def close(self) -> None:
        connections[self.alias].close()


def beacon_events_count(events: list) -> None:
    """Count the beacon's stored events (pledge_beacon_events_total) once per commit, in the
    writer's thread: the requests waiting on it pay nothing for their metric."""
    views = leaves = 0
    for kind, _values in events:
        if kind == VIEW:
            views += 1
        elif kind == LEAVE:
            leaves += 1
    measured = instruments()
    if views:
        measured.beacon_view.inc(views)
    if leaves:
        measured.beacon_leave.inc(leaves)


class GroupCommitWriter:
    """One writer thread per process; each request thread waits on its own lock."""

    def __init__(self, sink):
        self.sink = sink
        self._pid = None
        self._reset()

    def _reset(self):
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._batch = Batch()
        self._thread = None
        self._stopping = False
        self._pid = os.getpid()

    def submit(self, kind: str, values: tuple, waiter=None) -> Batch:
        """Queue one event for the next commit; returns its batch.

        ``waiter``, a locked lock, is released when the batch is committed or failed.
        """
        if self._pid != os.getpid():  # a forked web worker: the parent's thread is not here
            self._reset()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pledge-ingest-writer", daemon=True
                )
                self._thread.start()
            batch = self._batch
            batch.events.append((kind, values))
            if waiter is not None:
                batch.waiters.append(waiter)
            if len(batch.events) == 1:
                self._wake.notify()
        return batch

    def write(self, kind: str, values: tuple, timeout: float = 10.0) -> bool:
        """Queue one event and wait until it is committed: True only once it is durable."""
        waiter = _thread.allocate_lock()
        waiter.acquire()
        batch = self.submit(kind, values, waiter)
        return waiter.acquire(True, timeout) and batch.ok

    def _wait(self) -> bool:
        """Wait until an event is queued: False once the writer is stopping with none left."""
        with self._lock:
            while not self._batch.events:
                if self._stopping:
                    return False
                if not self._wake.wait(IDLE_CLOSE_SECONDS) and not self._batch.events:
                    self.sink.close()  # idle: give the database connection back
            return True

    def _take(self) -> Batch:
        with self._lock:
            batch, self._batch = self._batch, Batch()
            return batch

    def _run(self):
        try:
            while self._wait():
                with self.sink.turn():  # then everything queued meanwhile goes in this batch
                    self._commit(self._take())
        finally:
            self.sink.close()

    def _commit(self, batch: Batch) -> None:
        measured = instruments()
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.sink.write(batch.events)
            except Exception:  # the database went away: reconnect once, then refuse the batch
                log.exception(
                    "ingest commit failed (attempt %s, %s events)", attempt, len(batch.events)
                )
                measured.ingest_commit_failures.inc()
                self.sink.close()
            else:
                seconds = time.perf_counter() - started
                batch.finish(True)  # the waiting requests first, the metrics after
                measured.ingest_commit_seconds.observe(seconds)
                measured.ingest_batch_events.observe(len(batch.events))
                beacon_events_count(batch.events)
                return
        batch.finish(False)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is committed (tests, shutdown)."""
        return self.write(FLUSH, (), timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, stop the thread and close its connection."""
        with self._lock:
            thread, self._stopping = self._thread, True
            self._wake.notify()
        if thread is not None and self._pid == os.getpid():
            thread.join(timeout)
        self._reset()


_writer: GroupCommitWriter | None = None
_writer_lock = threading.Lock()


def ingest_writer() -> GroupCommitWriter:
    """This process's writer (created on first use, after the web server forked)."""
    global _writer
    if _writer is None:
        with _writer_lock:
            if _writer is None:
                _writer = GroupCommitWriter(DatabaseSink())
                atexit.register(_writer.stop)
    return _writer


class InlineWriter:
    """Writes each event at once, in the caller's thread and transaction.

    For tests (a page's request-log row lands in the test's transaction and rolls back with
    it) and one-off commands; the web server always uses the group-commit writer.
    """

    def __init__(self, sink):
        self.sink = sink

    def submit(self, kind: str, values: tuple, waiter=None) -> Batch:
        batch = Batch(events=[(kind, values)])
        self.sink.write(batch.events)
        batch.finish(True)
        beacon_events_count(batch.events)
        return batch

    def write(self, kind: str, values: tuple, timeout: float = 10.0) -> bool:
        return self.submit(kind, values).ok

    def flush(self, timeout: float = 10.0) -> bool:
        return True

    def stop(self, timeout: float = 10.0) -> None:
        pass


def ingest_writer_replace(writer) -> None:
    """Use ``writer`` for this process from now on (tests; None: build the default again)."""
    global _writer
    _writer = writer
