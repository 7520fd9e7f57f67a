"""The one store of the rate limits' counters and claims (SECURITY.md A5, B3, B4).

Every limiter counts here: the forms and the visitors' sign-in (``intake.defence.rate_hit``,
``spend_once``) and the beacon (``tracking.ratelimit.SharedLimiter``). It must be shared by
every web process and machine, so it is Redis when ``REDIS_URL`` is set, else a table of the
database (``LimitCounter``). Two operations, both atomic in the store itself:

- ``increment(key, seconds)``: one more for ``key``, returning the new count; the count lives
  ``seconds`` from its first increment. Redis: ``SET key 0 EX seconds NX`` then ``INCR`` in one
  MULTI. Database: ``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING
  count`` (SQLite 3.35 or later, PostgreSQL), so no count is lost between two writers.
- ``claim(key, seconds)``: True for the one call that created ``key``. Redis: ``SET NX EX``.
  Database: an insert that, on a live row, changes nothing and returns nothing.

Any failure of the store raises ``StoreUnavailable``, never an answer: a limiter refuses then,
and says the store is down rather than the limit reached (fail closed, B4). Expired rows are
deleted by a periodic job (``counters_expired_delete``); live rows never are, however many.

Counts ride on the calling thread's own database connection, in autocommit: every caller
counts outside any transaction (the views screen a post before a service opens one, and the
beacon runs before Django), so a count is committed as it is made and a refused form still
counts. A separate connection would not help a caller inside a transaction on SQLite: it would
wait for the write lock that very transaction holds.
"""

import functools
import ipaddress
import time

import redis
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection as thread_connection

from pledge.vault.models import LimitCounter

REDIS_PREFIX = "pledge:limits:"
# A Redis that does not answer refuses at once (B4) instead of holding a web thread.
REDIS_TIMEOUT_SECONDS = 0.5

# On the model's table; a row past its expiry counts as absent until the periodic job deletes it.
INCREMENT = """
    INSERT INTO vault_limitcounter ("key", "expires", "count") VALUES (%s, %s, 1)
    ON CONFLICT ("key") DO UPDATE SET
        "count" = CASE WHEN vault_limitcounter."expires" > %s
            THEN vault_limitcounter."count" + 1 ELSE 1 END,
        "expires" = CASE WHEN vault_limitcounter."expires" > %s
            THEN vault_limitcounter."expires" ELSE excluded."expires" END
    RETURNING "count"
"""
CLAIM = """
    INSERT INTO vault_limitcounter ("key", "expires", "count") VALUES (%s, %s, 1)
    ON CONFLICT ("key") DO UPDATE SET "expires" = excluded."expires", "count" = 1
        WHERE vault_limitcounter."expires" <= %s
    RETURNING "count"
"""


def limited_address(address: str) -> str:
    """The address a limit counts: an IPv6 client as the first address of its /64 (one host
    holds a whole /64, so counting its addresses one by one would hand it endless fresh ones;
    a valid address, so it stores as one), any other as it is."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)


class StoreUnavailable(Exception):
    """The counters cannot be read or written: the caller must refuse (fail closed, B4)."""


class RedisStore:
    """The counters in Redis. An increment sets the key with its expiry if absent and adds one
    in a single MULTI, so no key is ever left without an expiry between two commands."""

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )

    def increment(self, key: str, seconds: int) -> int:
        name = REDIS_PREFIX + key
        try:
            with self.client.pipeline(transaction=True) as pipeline:
                pipeline.set(name, 0, ex=seconds, nx=True)
                pipeline.incr(name)
                return pipeline.execute()[1]
        except redis.RedisError as error:
            raise StoreUnavailable(str(error)) from None

    def claim(self, key: str, seconds: int) -> bool:
        try:
            return bool(self.client.set(REDIS_PREFIX + key, 1, ex=seconds, nx=True))
        except redis.RedisError as error:
            raise StoreUnavailable(str(error)) from None


class DatabaseStore:
    """The counters in ``LimitCounter``, through ``connection`` (the calling thread's)."""

    def __init__(self, connection=thread_connection):
        self.connection = connection

    def increment(self, key: str, seconds: int) -> int:
        now = time.time()
        return self.row_write(INCREMENT, [key, now + seconds, now, now])[0]

    def claim(self, key: str, seconds: int) -> bool:
        now = time.time()
        return self.row_write(CLAIM, [key, now + seconds, now]) is not None

    def row_write(self, sql: str, params: list):
        """Run one upsert; what it returned, or ``StoreUnavailable`` for any database error
        (a locked SQLite, a lost connection, a missing table) rather than an answer."""
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        except DatabaseError as error:
            # The beacon's threads live outside Django's requests, which are what close a
            # broken connection: close it here, so the next count connects again.
            if not self.connection.in_atomic_block:
                self.connection.close_if_unusable_or_obsolete()
            raise StoreUnavailable(str(error)) from None


DATABASE_STORE = DatabaseStore()


@functools.cache
def redis_store(url: str) -> RedisStore:
    """One client (and its connection pool) per Redis address, for the process's life."""
    return RedisStore(url)


def limits_store() -> RedisStore | DatabaseStore:
    """The store the settings ask for: Redis with ``REDIS_URL``, else the database."""
    return redis_store(settings.REDIS_URL) if settings.REDIS_URL else DATABASE_STORE


def counters_expired_delete() -> int:
    """Delete the rows past their expiry (the periodic job); how many. Live rows stay."""
    deleted, _ = LimitCounter.objects.filter(expires__lte=time.time()).delete()
    return deleted
