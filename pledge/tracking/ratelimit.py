"""The beacon's per-address rate limit (SECURITY.md B3), failing closed when its store is down (B4).

Fixed one-minute windows, ``PLEDGE_BEACON_RATE_LIMIT`` events per address per window, counted
in the limits store that every web process and machine shares (``pledge/vault/limits.py``:
Redis with ``REDIS_URL``, else a database table), as the forms' limits are.

Asking the store about every event would put a round trip, and without Redis a database write,
on the beacon's hot path. So a process leases a block of an address's window (a twentieth of
the limit) and spends it in memory. A block is claimed with the store's atomic ``claim``, so
each is spent by one process only, and the blocks add up to the limit: all processes together
never let an address through more than the limit, exactly. The slack runs the other way: what
one process leased and did not spend, the others cannot, so an address whose events spread
over N processes may be refused up to N - 1 blocks before the limit. A visitor costs one claim
per process and minute, and an address past its limit none: its process remembers. A store
that fails raises ``StoreUnavailable`` (the beacon answers 503, not 429) and marks no block
spent, so the address is let through again as soon as the store answers.

The store sees a keyed hash of the address, never the address (C4).
"""

import threading
import time

from django.utils.crypto import salted_hmac

from pledge.vault.limits import limits_store

WINDOW_SECONDS = 60
BLOCKS = 20  # blocks per address and window: the size of a lease


class Lease:
    """What this process holds of one address's window."""

    __slots__ = ("next_block", "tokens")

    def __init__(self):
        self.tokens = 0  # events it may still let through without asking the store
        self.next_block = 0  # the first block it has not seen claimed


class SharedLimiter:
    def __init__(self, limit: int, window: int = WINDOW_SECONDS):
        self.limit, self.window = limit, window
        self.block = max(1, -(-limit // BLOCKS))  # rounded up
        self.blocks = max(0, -(-limit // self.block))
        self._lock = threading.Lock()
        self._claiming = threading.Lock()
        self._current = 0
        self._leases: dict[str, Lease] = {}

    def allow(self, key: str) -> bool:
        window = int(time.time()) // self.window
        with self._lock:
            if window != self._current:
                self._leases = {}  # a new window: every address starts again
                self._current = window
            lease = self._leases.get(key)
            if lease is None:
                lease = self._leases[key] = Lease()
            if lease.tokens > 0:
                lease.tokens -= 1
                return True
        # One claim at a time in this process: the store sees one writer per process, and a
        # thread that waited here may find the tokens another thread just claimed.
        with self._claiming:
            with self._lock:
                if lease.tokens > 0:
                    lease.tokens -= 1
                    return True
            if lease.next_block >= self.blocks:
                return False  # every block of this window is spent: no need to ask
            granted, lease.next_block = self.block_claim(window, key, lease.next_block)
            with self._lock:
                lease.tokens += max(0, granted - 1)  # one of them is this event's
        return granted > 0

    def block_claim(self, window: int, key: str, start: int) -> tuple[int, int]:
        """Claim the first free block from ``start`` on: (events it grants, the next block)."""
        digest = salted_hmac("pledge.tracking.rate", key).hexdigest()[:32]
        store = limits_store()
        for block in range(start, self.blocks):
            # StoreUnavailable goes up to the beacon (503), leaving ``next_block`` as it was.
            if store.claim(f"beacon:{window}:{digest}:{block}", self.window * 2):
                return min(self.block, self.limit - block * self.block), block + 1
        return 0, self.blocks


_limiter = None
_limiter_lock = threading.Lock()


def beacon_limiter():
    """The limiter the settings ask for, built once per process."""
    global _limiter
    if _limiter is None:
        from django.conf import settings

        with _limiter_lock:
            if _limiter is None:
                _limiter = SharedLimiter(settings.PLEDGE_BEACON_RATE_LIMIT)
    return _limiter


def beacon_limiter_reset() -> None:
    """Forget the limiter so the next event builds it from the settings again (tests)."""
    global _limiter
    _limiter = None
