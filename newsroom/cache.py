"""Django's Redis cache backend, made to degrade instead of failing the request.

- One Redis client per connection pool instead of per call, and no memcached key checks.
  Django builds a new `redis.Redis` client on every cache operation; with redis-py 5+ that costs
  about 0.2 ms, more than the round trip itself on 127.0.0.1. Every cached page and rate-limit
  check pays it, so reuse the client: it is thread-safe and holds no state beyond its pool.
- `get_many`, `set` and `replace_tracked` go over connections of their own per thread (reads;
  writes, to the primary): one write sent and read, without the client's pool checkout (a poll
  of the socket), retry and telemetry wrappers, which cost more than the round trip itself. Each
  page miss stores its page, and each invalidation replaces generations.
- `get_many_tracked`, the read of every page hit from a worker's memory (the page's
  generations), answers from this process's copy of the values, which Redis keeps exact: with
  client tracking (RESP3) it pushes an invalidation the moment any client changes a key read on
  that connection, and each read first takes the invalidations waiting on the socket. A round
  trip per hit was a quarter of a hit's cost, more than everything else it does.
- A Redis that cannot be reached raises `CacheUnavailable`, which the shared mechanisms (page
  cache, rate limiter, navigation) catch to carry on from the database. After a failure a short
  circuit breaker answers `CacheUnavailable` at once for NEWSROOM_CACHE_RETRY_SECONDS, so a dead
  or unreachable Redis costs its connect timeout once per interval, not on every request.
- When Redis answers again after an outage, the functions registered with `on_reconnect` run
  once in each process that saw the outage (the page cache retires every page it stored before).
"""

import functools
import logging
import os
import threading
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class CacheUnavailable(Exception):
    """The shared cache could not be reached, or failed recently and is left alone for now."""


_reconnect_hooks = []


def on_reconnect(function):
    """Run `function()` whenever this process reaches the cache again after an outage."""
    _reconnect_hooks.append(function)
    return function


def get_many_tracked(keys):
    """Return `cache.get_many(keys)`, from values this process keeps exact where the backend
    can (Redis's client tracking, `ReusingRedisCache`); other backends are simply asked."""
    return getattr(cache, "get_many_tracked", cache.get_many)(keys)


def replace_tracked(values):
    """Set the keys of `values`, kept forever, and return once every process's tracked copy
    of them has been dropped: `cache.set_many(values, None)`, then `wait_for_invalidations()`,
    in one round trip where the backend can."""
    replace = getattr(cache, "replace_tracked", None)
    if replace is None:
        cache.set_many(values, None)
    else:
        replace(values)


def wait_for_invalidations():
    """Return once every process's tracked copy of a key written so far has been dropped."""
    getattr(cache, "wait_for_invalidations", lambda: None)()


class CircuitBreaker:
    """Remember a failure for `reset_seconds`; one caller then tries again (half-open).

    Shared by every thread of the process: Django makes one cache backend per thread.
    """

    def __init__(self, reset_seconds):
        self.reset_seconds = reset_seconds
        self.open_until = 0.0
        self.failed = False
        self._lock = threading.Lock()

    @property
    def is_open(self):
        return self.failed and time.monotonic() < self.open_until

    def allow(self):
        if not self.failed:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self.open_until:
                return False
            # Half-open: this caller tries; the others wait out one more interval.
            self.open_until = now + self.reset_seconds
            return True

    def record_failure(self, error):
        with self._lock:
            if not self.failed:
                logger.warning(
                    "Shared cache unreachable (%s); serving from the database, retrying every %s s",
                    error,
                    self.reset_seconds,
                )
            self.failed = True
            self.open_until = time.monotonic() + self.reset_seconds

    def record_success(self):
        with self._lock:
            recovered, self.failed = self.failed, False
        if recovered:
            logger.warning("Shared cache reachable again")
            for hook in _reconnect_hooks:
                try:
                    hook()
                except CacheUnavailable:
                    return  # failed again at once; the next recovery runs the hooks again
                except Exception:
                    logger.exception("Cache reconnect hook %r failed", hook)


_breakers = {}
_breakers_lock = threading.Lock()


def breaker_for(location):
    with _breakers_lock:
        if location not in _breakers:
            _breakers[location] = CircuitBreaker(settings.NEWSROOM_CACHE_RETRY_SECONDS)
        return _breakers[location]


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


def _guarded(method):
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        breaker = self.breaker
        if breaker.failed:
            if not breaker.allow():
                raise CacheUnavailable("the shared cache failed recently")
            self._recover()
        try:
            return method(self, *args, **kwargs)
        except redis.RedisError as error:
            breaker.record_failure(error)
            raise CacheUnavailable(str(error)) from error

    return guarded


# How long values read with client tracking are trusted without asking Redis again. Their
# invalidations arrive as they happen; this bounds only what a connection that died without
# closing (a network partition) could keep stale.
TRACKED_SECONDS = 1.0


def _new_connection(pool, **options):
    """Return a connection of the pool's kind and settings that the pool does not hand out."""
    return pool.connection_class(**{**pool.connection_kwargs, **options})


class TrackedValues:
    """Raw values of a few keys, kept by this process and dropped when Redis says they changed.

    One RESP3 connection with CLIENT TRACKING ON: Redis remembers the keys read on it and pushes
    an invalidation the moment any client changes one (or flushes the database). A lookup first
    takes the invalidations already on the socket, without waiting for more, then reads only the
    keys it does not hold. A connection that fails or closes forgets everything it held.
    """

    def __init__(self, pool):
        self.pool = pool
        self.pid = None
        self.connection = None
        self.values = {}
        self.asked_at = 0.0

    def get_many(self, keys):
        """Return the raw value of each key, None for a missing one, as MGET would."""
        connection = self._connection()
        try:
            while connection.can_read(timeout=0):
                connection.read_response(push_request=True)
        except redis.ConnectionError:
            # Closed while idle (a restart): what it held may have changed since.
            self._forget()
            connection = self._connection()
        if time.monotonic() - self.asked_at > TRACKED_SECONDS:
            self.values.clear()
        missing = [key for key in keys if key not in self.values]
        if missing:
            try:
                connection.send_command("MGET", *missing)
                # Invalidations that came before the reply are taken first, by the parser.
                found = dict(zip(missing, connection.read_response(), strict=True))
            except BaseException:
                self._forget()
                raise
            # A missing key is asked for again: the caller may be about to set it, and its
            # own write's invalidation can reach this socket after its next read.
            self.values.update((key, value) for key, value in found.items() if value is not None)
            self.asked_at = time.monotonic()
            return [self.values.get(key, found.get(key)) for key in keys]
        return [self.values[key] for key in keys]

    def _connection(self):
        if self.pid != os.getpid():  # none yet, or inherited across a fork
            self.connection = _new_connection(self.pool, protocol=3)
            self.pid = os.getpid()
            self.values.clear()
        if not self.connection.is_connected:
            self.values.clear()
            try:
                self.connection.connect()
                # redis-py's own client-side cache registers its handler the same way.
                self.connection._parser.set_invalidation_push_handler(self._invalidated)
                self.connection.send_command("CLIENT", "TRACKING", "ON")
                self.connection.read_response()
            except BaseException:
                self._forget()
                raise
        return self.connection

    def _invalidated(self, message):
        keys = message[1]
        if keys is None:  # FLUSHDB or FLUSHALL
            self.values.clear()
            return
        for key in keys:
            self.values.pop(key.decode() if isinstance(key, bytes) else key, None)

    def _forget(self):
        self.values.clear()
        if self.connection is not None:
            self.connection.disconnect()


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self.breaker = breaker_for(server)
        # (process id, connection) each: Django makes one backend per thread.
        self._reader = None
        self._writer = None
        self._tracked = None

    def _recover(self):
        """Try Redis once; if it answers, run the reconnect hooks before anything reads it."""
        try:
            self._cache.get_client(write=True).ping()
        except redis.RedisError as error:
            self.breaker.record_failure(error)
            raise CacheUnavailable(str(error)) from error
        self.breaker.record_success()
        if self.breaker.failed:  # a hook found it gone again
            raise CacheUnavailable("the shared cache failed again")

    def _read(self, *command):
        """Send one read-only command over this thread's own connection and return the reply."""
        return self._run(self._own_connection("_reader", write=False), [command])[0]

    def _write(self, *commands):
        """Send commands that may safely run twice (SET, MSET, DEL, PING) over this thread's own
        connection to the primary, in one write; return their replies."""
        return self._run(self._own_connection("_writer", write=True), commands)

    def _own_connection(self, attribute, *, write):
        pid, connection = getattr(self, attribute) or (None, None)
        if pid != os.getpid():  # none yet, or inherited across a fork
            connection = _new_connection(self._cache._get_connection_pool(write))
            setattr(self, attribute, (os.getpid(), connection))
        return connection

    @staticmethod
    def _run(connection, commands):
        # A connection Redis closed while it sat idle (a restart) gets one fresh try, as the
        # client's own retry would: every command sent here may run twice.
        tries = 2 if connection.is_connected else 1
        for attempt in range(1, tries + 1):
            try:
                if len(commands) == 1:
                    connection.send_command(*commands[0])
                else:
                    connection.send_packed_command(connection.pack_commands(commands))
                return [connection.read_response() for _ in commands]
            except redis.ConnectionError:
                connection.disconnect()
                if attempt == tries:
                    raise
            except BaseException:
                connection.disconnect()  # never leave an unread reply on the socket
                raise

    def _loaded(self, keys, version, read):
        """Return {key: value} of the keys found by `read`, which takes Redis keys and answers
        as MGET does: what get_many returns."""
        redis_keys = {self.make_key(key, version=version): key for key in keys}
        if not redis_keys:
            return {}
        loads = self._cache._serializer.loads
        values = read(list(redis_keys))
        return {
            key: loads(value)
            for key, value in zip(redis_keys.values(), values, strict=True)
            if value is not None
        }

    def _get_many(self, keys, version=None):
        return self._loaded(keys, version, lambda redis_keys: self._read("MGET", *redis_keys))

    def _get_many_tracked(self, keys, version=None):
        if self._tracked is None:
            self._tracked = TrackedValues(self._cache._get_connection_pool(False))
        return self._loaded(keys, version, self._tracked.get_many)

    def _wait_for_invalidations(self):
        # Redis writes a command's replies and the invalidations it caused before it answers
        # the next command: after this round trip, every tracking connection's socket already
        # holds the invalidations of this connection's writes.
        self._cache.get_client(write=True).ping()

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # RedisCacheClient.set, over this thread's own connection: a page miss stores the page.
        key = self.make_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        if timeout == 0:
            self._write(("DEL", key))
            return
        value = self._cache._serializer.dumps(value)
        self._write(("SET", key, value) if timeout is None else ("SET", key, value, "EX", timeout))

    def _replace_tracked(self, values):
        # MSET keeps no expiry, as set_many(values, None) does, without its MULTI/EXEC; the
        # PING behind it is _wait_for_invalidations's, in the same round trip.
        serializer = self._cache._serializer
        mset = ["MSET"]
        for key, value in values.items():
            mset += [self.make_key(key), serializer.dumps(value)]
        self._write(mset, ["PING"])

    def validate_key(self, key):
        # Django checks every key, character by character, for memcached's limits (about 60 µs
        # for a page key). Redis has none of them; our keys are ASCII we build ourselves.
        pass

    # Every operation that talks to Redis; the others (get_or_set, decr, ...) call these.
    add = _guarded(RedisCache.add)
    get = _guarded(RedisCache.get)
    set = _guarded(_set)
    touch = _guarded(RedisCache.touch)
    delete = _guarded(RedisCache.delete)
    get_many = _guarded(_get_many)
    get_many_tracked = _guarded(_get_many_tracked)
    wait_for_invalidations = _guarded(_wait_for_invalidations)
    replace_tracked = _guarded(_replace_tracked)
    has_key = _guarded(RedisCache.has_key)
    incr = _guarded(RedisCache.incr)
    set_many = _guarded(RedisCache.set_many)
    delete_many = _guarded(RedisCache.delete_many)
    clear = _guarded(RedisCache.clear)
