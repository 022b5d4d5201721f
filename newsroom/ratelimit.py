"""Fixed-window rate limits counted in the shared cache (Redis in production).

Every app server increments the same counters, so a limit holds across the whole site.
Identifiers are hashed: cache keys never hold a reader's email or IP address.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


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
        cache.add(key, 0, timeout=rate.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=rate.seconds + 1)
            count = 1
        if count > rate.count:
            wait = math.ceil((window + 1) * rate.seconds - now)
            retry_after = max(retry_after or 0, wait, 1)
    return retry_after
