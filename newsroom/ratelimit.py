"""Fixed-window rate limits counted in the shared cache (Redis in production).

Every app server increments the same counters, so a limit holds across the whole site.
Identifiers are hashed: cache keys never hold a reader's email or IP address.

While the shared cache cannot be reached, each process counts on its own (so a limit holds per
process, not site-wide) and logs that it does: a limiter that cannot count must never turn a
reader away with an error.
"""

import hashlib
import ipaddress
import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

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
    """Return the reader's IP address, or None if there is no valid one.

    Each of the NEWSROOM_TRUSTED_PROXIES proxies in front of us appends the address it was
    reached from to X-Forwarded-For, so the reader's is that many entries from the end; entries
    before it come from the client and can be forged. A missing or malformed entry falls back to
    the socket's address, never to anything the client wrote.
    """
    proxies = settings.NEWSROOM_TRUSTED_PROXIES
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if proxies and len(entries) >= proxies:
        address = parse_ip(entries[-proxies])
        if address:
            return address
    return parse_ip(request.META.get("REMOTE_ADDR", ""))


def parse_ip(text):
    """Return the IP address in text ("203.0.113.7", "[2001:db8::1]:443"…) normalized, or None."""
    text = text.strip()
    if text.startswith("["):  # [IPv6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


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


def describe_wait(seconds):
    """Return the wait hit() asked for in a reader's words: "45 seconds", "about 3 minutes"."""
    if seconds < 90:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("about %(n)d minute", "about %(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    return ngettext("about %(n)d hour", "about %(n)d hours", hours) % {"n": hours}
