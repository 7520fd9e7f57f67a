"""The limits store as tests need it (pledge/vault/limits.py): in Redis, in a SQLite file that
threads can share, or with its database held by another writer."""

import threading
from contextlib import contextmanager

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.db.utils import ConnectionHandler
from django.utils.connection import ConnectionProxy

from pledge.vault.limits import REDIS_PREFIX, DatabaseStore
from pledge.vault.models import LimitCounter


def limits_in_redis(settings, url: str) -> None:
    """Count in Redis at ``url`` for this test, starting from no counter."""
    settings.REDIS_URL = url
    client = redis.Redis.from_url(url)
    for name in client.scan_iter(f"{REDIS_PREFIX}*"):
        client.delete(name)


# Nothing listens on port 1: every call to this Redis fails at once.
REDIS_DOWN = "redis://127.0.0.1:1/0"


def sqlite_file_store(path, *, timeout: float = 20) -> tuple[DatabaseStore, ConnectionHandler]:
    """A store in its own SQLite file, with the production options (WAL, waiting ``timeout``
    seconds for the write lock): the test database lives in memory, where a second writer is
    refused at once instead of waiting, so threads cannot share it. Each thread gets its own
    connection; close them with ``handler.close_all()`` in the thread."""
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {**settings.SQLITE_OPTIONS, "timeout": timeout},
            }
        }
    )
    with handler["default"].schema_editor() as editor:
        editor.create_model(LimitCounter)
    return DatabaseStore(ConnectionProxy(handler, "default")), handler


@contextmanager
def sqlite_write_locked(handler: ConnectionHandler):
    """Another connection to ``handler``'s file holds its write lock until the block ends, as
    a long commit of another process would."""
    holder = handler.create_connection("default")
    with holder.cursor() as cursor:
        cursor.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        with holder.cursor() as cursor:
            cursor.execute("ROLLBACK")
        holder.close()


@contextmanager
def database_locked():
    """Another connection holds what the counters need on the test database until the block
    ends: SQLite's write lock (the in-memory test database refuses a second writer at once),
    or on PostgreSQL the counters' table, which this connection then waits 0.2 s for. Needs
    ``django_db(transaction=True)``: the test's own transaction would hold the lock first."""
    postgres = connection.vendor == "postgresql"
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():  # SQLite: BEGIN IMMEDIATE, the write lock
                if postgres:
                    with connection.cursor() as cursor:
                        cursor.execute("LOCK TABLE vault_limitcounter IN ACCESS EXCLUSIVE MODE")
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10), "the other writer did not take the lock"

    def lock_wait_short(sender=None, connection=connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")

    if postgres:
        lock_wait_short()
        # The store closes a connection after an error; the next one must wait as briefly.
        connection_created.connect(lock_wait_short)
    try:
        yield
    finally:
        release.set()
        holder.join()
        if postgres:
            connection_created.disconnect(lock_wait_short)
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
