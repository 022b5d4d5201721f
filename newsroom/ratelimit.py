"""Fixed-window rate limits counted in the shared cache (Redis in production).

Every app server increments the same counters, so a limit holds across the whole site.
Identifiers are hashed: cache keys never hold a reader's email or IP address.

While the shared cache cannot be reached, each process counts on its own (so a limit holds per
process, not site-wide) and logs that it does: a limiter that cannot count must never turn a
reader away with an error.
"""

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from newsroom.cache import CacheUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text):
        """Parse "5/m", "30/h", "20/d" or "10/90s" into a Rate."""
        count, _, period = text.partition("/")
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        if period in units:
            return cls(int(count), units[period])
        return cls(int(count), int(period.rstrip("s")))


def parse_rates(text):
    """Parse a settings value such as "5/m,30/h" into a list of Rates."""
    return [Rate.parse(part.strip()) for part in text.split(",") if part.strip()]


def client_ip(request):
    """Return the reader's IP: behind our TLS proxy, the address it appended to X-Forwarded-For.

    Only the last entry is trusted: earlier ones come from the client and can be forged.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or None


class LocalCounters:
    """Fixed-window counters in this process's memory, for when the shared cache is down."""

    MAX_KEYS = 50_000

    def __init__(self):
        self._counts = {}  # key: (count, expires at)
        self._lock = threading.Lock()

    def incr(self, key, seconds, now):
        with self._lock:
            if len(self._counts) >= self.MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
                if len(self._counts) >= self.MAX_KEYS:
                    self._counts.clear()  # flooded with identifiers: start over, fail open
            count, expires = self._counts.get(key, (0, 0))
            if expires <= now:
                count, expires = 0, now + seconds + 1
            self._counts[key] = (count + 1, expires)
            return count + 1


local_counters = LocalCounters()


def _count(key, seconds, now):
    try:
        cache.add(key, 0, timeout=seconds + 1)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=seconds + 1)
            return 1
    except CacheUnavailable:
        logger.warning(
            "Rate limit %s counted in this process only: shared cache unreachable",
            key.split(":")[1],
        )
        return local_counters.incr(key, seconds, now)


def hit(scope, identifier, rates, *, now=None):
    """Count one attempt; return the seconds to wait if any rate is exceeded, else None.

    Refused attempts count too, so hammering a limit does not shorten the wait.
    """
    now = time.time() if now is None else now
    digest = hashlib.sha256(str(identifier).lower().encode()).hexdigest()[:32]
    retry_after = None
    for rate in rates:
        window = int(now // rate.seconds)
        key = f"ratelimit:{scope}:{rate.count}/{rate.seconds}:{digest}:{window}"
        count = _count(key, rate.seconds, now)
        if count > rate.count:
            wait = math.ceil((window + 1) * rate.seconds - now)
            retry_after = max(retry_after or 0, wait, 1)
    return retry_after
