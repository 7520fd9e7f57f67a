"""The beacon's per-IP rate limit (SECURITY.md B3), failing closed when its store is down (B4).

Fixed one-minute windows (``PLEDGE_BEACON_RATE_LIMIT`` events per address per window). With
``REDIS_URL`` the counters live in Redis, shared by every process and machine; a Redis that does
not answer refuses the event (503) rather than letting it through uncounted. Without Redis each
web process counts in its own memory, a store that cannot be down.
"""

import threading
import time

WINDOW_SECONDS = 60


class StoreUnavailable(Exception):
    """The counters cannot be read: the caller must refuse (fail closed, B4)."""


class MemoryLimiter:
    def __init__(self, limit: int, window: int = WINDOW_SECONDS):
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._current = 0

    def allow(self, key: str) -> bool:
        window = int(time.time()) // self.window
        with self._lock:
            if window != self._current:
                self._counts.clear()  # a new window: every address starts again
                self._current = window
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count <= self.limit


class RedisLimiter:
    def __init__(self, url: str, limit: int, window: int = WINDOW_SECONDS):
        import redis

        self.limit, self.window = limit, window
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def allow(self, key: str) -> bool:
        import redis

        window = int(time.time()) // self.window
        name = f"pledge:beacon:{window}:{key}"
        try:
            pipeline = self.client.pipeline(transaction=False)
            pipeline.incr(name)
            pipeline.expire(name, self.window * 2)
            count, _ = pipeline.execute()
        except (redis.RedisError, OSError) as error:
            raise StoreUnavailable(str(error)) from None
        return count <= self.limit


_limiter = None
_limiter_lock = threading.Lock()


def beacon_limiter():
    """The limiter the settings ask for, built once per process."""
    global _limiter
    if _limiter is None:
        from django.conf import settings

        with _limiter_lock:
            if _limiter is None:
                limit = settings.PLEDGE_BEACON_RATE_LIMIT
                _limiter = (
                    RedisLimiter(settings.REDIS_URL, limit)
                    if settings.REDIS_URL
                    else MemoryLimiter(limit)
                )
    return _limiter


def beacon_limiter_reset() -> None:
    """Forget the limiter so the next event builds it from the settings again (tests)."""
    global _limiter
    _limiter = None
