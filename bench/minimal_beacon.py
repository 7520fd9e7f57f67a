"""The ceiling of bench_beacon: the least a durable group-commit beacon can do, with no Django.

A bare WSGI callable on granian (the same workers and threads as ``pledge serve``): each
request reads its body, hands one row to its process's writer thread and waits on its own lock;
the writer inserts every row queued since its last commit in ONE transaction and releases them
after COMMIT: the same durability as Pledge's beacon (SQLite WAL with synchronous=FULL, or
PostgreSQL with synchronous_commit on; an answer only after COMMIT), with none of its work (no
parsing of the fields, no rate limit, no consent, no visitor hash, no metrics). Whatever Pledge
does beyond this is its own cost. Not part of the product; bench_beacon starts it with
MINIMAL_DATABASE set to a ``sqlite:///`` path or a PostgreSQL URL.
"""

import _thread
import os
import sqlite3
import threading
import time

DATABASE = os.environ["MINIMAL_DATABASE"]
TABLE = "minimal_event"


def connect():
    if DATABASE.startswith("sqlite:///"):
        connection = sqlite3.connect(
            DATABASE.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA busy_timeout=20000")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (at REAL, body TEXT)")
        return connection, "?"
    import psycopg

    connection = psycopg.connect(DATABASE, autocommit=True)
    connection.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (at float8, body text)")
    return connection, "%s"


class Writer:
    def __init__(self):
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.rows, self.waiters = [], []
        self.pid = None

    def write(self, row) -> None:
        if self.pid != os.getpid():  # forked: start this process's thread
            with self.lock:
                if self.pid != os.getpid():
                    self.pid = os.getpid()
                    threading.Thread(target=self.run, daemon=True).start()
        waiter = _thread.allocate_lock()
        waiter.acquire()
        with self.lock:
            self.rows.append(row)
            self.waiters.append(waiter)
            self.wake.notify()
        waiter.acquire()

    def run(self):
        connection, mark = connect()
        insert = f"INSERT INTO {TABLE} (at, body) VALUES ({mark}, {mark})"  # noqa: S608
        while True:
            with self.lock:
                while not self.rows:
                    self.wake.wait()
                rows, waiters = self.rows, self.waiters
                self.rows, self.waiters = [], []
            if isinstance(connection, sqlite3.Connection):
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(insert, rows)
                connection.execute("COMMIT")
            else:
                with connection.transaction(), connection.cursor() as cursor:
                    cursor.executemany(insert, rows)
            for waiter in waiters:
                waiter.release()


writer = Writer()


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
    writer.write((time.time(), body))
    start_response("204 No Content", [])
    return [b""]


def count() -> int:
    connection, _mark = connect()
    return connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]  # noqa: S608
