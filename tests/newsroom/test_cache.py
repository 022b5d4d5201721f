import pytest
from django.conf import settings
from django.core.cache import cache

from newsroom.cache import ReusingRedisCache


@pytest.mark.redis
def test_cache_is_redis_and_shared_when_redis_url_is_set(settings):
    import redis

    assert settings.CACHES["default"]["BACKEND"] == "newsroom.cache.ReusingRedisCache"
    cache.set("newsroom-probe", "shared", 30)
    # Another client of the same server (another app server) sees the value.
    other_client = redis.Redis.from_url(settings.REDIS_URL)
    assert any(b"newsroom-probe" in key for key in other_client.keys("*newsroom-probe*"))
    assert cache.get("newsroom-probe") == "shared"


def test_cache_round_trips():
    cache.set("greeting", "namaste", 30)
    assert cache.get("greeting") == "namaste"


@pytest.mark.redis
def test_the_redis_cache_reuses_one_client_per_pool():
    backend = ReusingRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "backend-test"})
    backend.set("answer", {"value": 42}, 30)
    assert backend.get_many(["answer", "missing"]) == {"answer": {"value": 42}}
    client = backend._cache.get_client(write=True)
    backend.delete("answer")
    assert backend._cache.get_client(write=True) is client
    assert backend.get("answer") is None


@pytest.mark.redis
def test_get_many_is_one_mget_on_the_threads_own_connection(monkeypatch):
    from redis.connection import ConnectionPool

    backend = ReusingRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "backend-test"})
    backend.set_many({"a": 1, "b": [2]}, 30)
    connection = None
    with monkeypatch.context() as patched:
        # The hit path's read takes no connection from the client's pool.
        patched.setattr(ConnectionPool, "get_connection", lambda *a, **k: pytest.fail("pool"))
        for _ in range(2):
            assert backend.get_many(["a", "b", "missing"]) == {"a": 1, "b": [2]}
            connection = connection or backend._reader[1]
            assert backend._reader[1] is connection
    sent = []
    real_send = type(connection).send_command
    monkeypatch.setattr(
        type(connection),
        "send_command",
        lambda self, *args: sent.append(args) or real_send(self, *args),
    )
    assert backend.get_many([]) == {}
    backend.get_many(["a", "b"])
    assert sent == [("MGET", backend.make_key("a"), backend.make_key("b"))]


@pytest.mark.redis
def test_get_many_reconnects_once_when_redis_closed_its_idle_connection():
    import redis

    backend = ReusingRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "backend-test"})
    backend.set("a", 1, 30)
    assert backend.get_many(["a"]) == {"a": 1}
    # What a Redis restart does to a connection that sat idle: the server closes it.
    own_id = backend._read("CLIENT", "ID")
    redis.Redis.from_url(settings.REDIS_URL).client_kill_filter(_id=own_id)
    assert backend.get_many(["a"]) == {"a": 1}
    assert not backend.breaker.failed


@pytest.mark.redis
def test_a_forked_process_opens_its_own_read_connection(monkeypatch):
    import newsroom.cache

    backend = ReusingRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "backend-test"})
    backend.get_many(["a"])
    parents = backend._reader[1]
    # A gunicorn worker forked from a process that had read: sharing the socket would mix
    # the two processes' replies.
    monkeypatch.setattr(newsroom.cache.os, "getpid", lambda: -1)
    backend.get_many(["a"])
    assert backend._reader == (-1, backend._reader[1])
    assert backend._reader[1] is not parents


def test_get_many_on_an_unreachable_redis_raises_cache_unavailable(unreachable_cache):
    from newsroom.cache import CacheUnavailable

    with pytest.raises(CacheUnavailable):
        cache.get_many(["anything", "else"])
    assert unreachable_cache.is_open


# --- Values kept exact by client tracking (the generations every page hit reads) ------------


def tracked_backend():
    return ReusingRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "tracked-test"})


def sent_commands(backend, monkeypatch):
    """Record the commands the backend's tracking connection sends from now on."""
    connection = backend._tracked.connection
    sent = []
    real_send = type(connection).send_command
    monkeypatch.setattr(
        connection,
        "send_command",
        lambda *args, **kwargs: sent.append(args) or real_send(connection, *args, **kwargs),
    )
    return sent


@pytest.mark.redis
def test_tracked_values_are_read_once_and_then_kept_in_the_process(monkeypatch):
    reader, writer = tracked_backend(), tracked_backend()
    writer.set_many({"a": "one", "b": "two"}, 30)
    assert reader.get_many_tracked(["a", "b", "missing"]) == {"a": "one", "b": "two"}
    sent = sent_commands(reader, monkeypatch)
    for _ in range(3):
        assert reader.get_many_tracked(["a", "b"]) == {"a": "one", "b": "two"}
    assert sent == []
    # A missing key is asked for again, alone.
    assert reader.get_many_tracked(["a", "missing"]) == {"a": "one"}
    assert sent == [("MGET", reader.make_key("missing"))]


@pytest.mark.redis
def test_a_value_set_after_reading_it_missing_is_read_at_once(monkeypatch):
    from redis.connection import AbstractConnection

    backend = tracked_backend()
    assert backend.get_many_tracked(["nav"]) == {}
    # What navigation_sections() does on a miss, then reads again in the same request. Redis
    # may put the write's invalidation on the tracking socket after that read: hold it back.
    monkeypatch.setattr(AbstractConnection, "can_read", lambda connection, timeout=0: False)
    backend.set("nav", ["World", "Nation"], 30)
    assert backend.get_many_tracked(["nav"]) == {"nav": ["World", "Nation"]}


@pytest.mark.redis
def test_a_change_by_another_server_is_seen_on_the_next_read(monkeypatch):
    reader, other_server = tracked_backend(), tracked_backend()
    other_server.set("a", "one", 30)
    assert reader.get_many_tracked(["a"]) == {"a": "one"}
    # What pagecache._replace_generations does on any server.
    other_server.set_many({"a": "two"}, 30)
    other_server.wait_for_invalidations()
    sent = sent_commands(reader, monkeypatch)
    assert reader.get_many_tracked(["a"]) == {"a": "two"}
    assert sent == [("MGET", reader.make_key("a"))]  # only the key that changed is asked for
    other_server.delete("a")
    other_server.wait_for_invalidations()
    assert reader.get_many_tracked(["a"]) == {}
    other_server.set("a", "three", 30)
    other_server.clear()  # a FLUSHDB forgets every key at once
    other_server.wait_for_invalidations()
    assert reader.get_many_tracked(["a"]) == {}


def sent_writes(backend, monkeypatch):
    """Record the command names of each write the backend sends on its own write connection
    (one write, one round trip, each)."""
    backend.set("warm", 1, 30)  # the connection exists from now on
    sent = []
    real_run = ReusingRedisCache._run

    def run(connection, commands):
        if connection is backend._writer[1]:
            sent.append([command[0] for command in commands])
        return real_run(connection, commands)

    monkeypatch.setattr(ReusingRedisCache, "_run", staticmethod(run))
    return sent


@pytest.mark.redis
def test_replacing_tracked_values_is_one_round_trip_that_every_reader_sees_at_once(monkeypatch):
    reader, other_server = tracked_backend(), tracked_backend()
    other_server.set("a", "one", 30)
    assert reader.get_many_tracked(["a", "b"]) == {"a": "one"}
    sent = sent_writes(other_server, monkeypatch)
    other_server.replace_tracked({"a": "two", "b": "three"})  # what a new generation does
    assert sent == [["MSET", "PING"]]
    assert reader.get_many_tracked(["a", "b"]) == {"a": "two", "b": "three"}
    # Kept forever, as set_many(values, None) keeps them: the old expiry is gone.
    client = other_server._cache.get_client(write=True)
    assert client.ttl(other_server.make_key("a")) == -1


@pytest.mark.redis
def test_set_is_one_command_on_the_threads_own_connection_with_djangos_expiries(monkeypatch):
    from redis.connection import ConnectionPool

    backend = tracked_backend()
    sent = sent_writes(backend, monkeypatch)
    client = backend._cache.get_client(write=True)
    with monkeypatch.context() as patched:
        patched.setattr(ConnectionPool, "get_connection", lambda *a, **k: pytest.fail("pool"))
        backend.set("page", {"body": b"x" * 100_000}, 30)
        backend.set("forever", 7, None)
        backend.set("gone", 1, 30)
        backend.set("gone", 2, 0)  # Django's meaning of 0: not kept
    assert sent == [["SET"], ["SET"], ["SET"], ["DEL"]]
    assert backend.get("page") == {"body": b"x" * 100_000} and backend.get("forever") == 7
    assert 0 < client.ttl(backend.make_key("page")) <= 30
    assert client.ttl(backend.make_key("forever")) == -1 and backend.get("gone") is None


@pytest.mark.redis
def test_a_write_reconnects_once_when_redis_closed_its_idle_connection():
    import redis

    backend = tracked_backend()
    backend.set("a", 1, 30)
    own_id = backend._write(("CLIENT", "ID"))[0]
    redis.Redis.from_url(settings.REDIS_URL).client_kill_filter(_id=own_id)
    backend.set("a", 2, 30)
    assert backend.get("a") == 2 and not backend.breaker.failed


@pytest.mark.redis
def test_a_tracking_connection_redis_closed_forgets_what_it_held():
    import redis

    reader, other_server = tracked_backend(), tracked_backend()
    other_server.set("a", "one", 30)
    assert reader.get_many_tracked(["a"]) == {"a": "one"}
    # A Redis restart closes the connection: the invalidations sent meanwhile are lost.
    connection = reader._tracked.connection
    connection.send_command("CLIENT", "ID")
    own_id = connection.read_response()
    redis.Redis.from_url(settings.REDIS_URL).client_kill_filter(_id=own_id)
    other_server.set("a", "two", 30)
    assert reader.get_many_tracked(["a"]) == {"a": "two"}
    assert not reader.breaker.failed


@pytest.mark.redis
def test_tracked_values_are_asked_for_again_after_a_second_of_silence(monkeypatch):
    import newsroom.cache

    reader = tracked_backend()
    reader.set("a", "one", 30)
    reader.get_many_tracked(["a"])
    sent = sent_commands(reader, monkeypatch)
    later = newsroom.cache.time.monotonic() + newsroom.cache.TRACKED_SECONDS + 0.1
    monkeypatch.setattr(newsroom.cache.time, "monotonic", lambda: later)
    assert reader.get_many_tracked(["a"]) == {"a": "one"}
    assert sent == [("MGET", reader.make_key("a"))]


def test_tracked_reads_on_an_unreachable_redis_raise_cache_unavailable(unreachable_cache):
    from newsroom.cache import CacheUnavailable

    with pytest.raises(CacheUnavailable):
        cache.get_many_tracked(["anything"])
    assert unreachable_cache.is_open


# --- A Redis that is down: typed errors, and a breaker that stops asking --------------------


def test_an_unreachable_redis_raises_cache_unavailable(unreachable_cache):
    from newsroom.cache import CacheUnavailable

    with pytest.raises(CacheUnavailable):
        cache.get("anything")
    assert unreachable_cache.is_open


def test_the_open_breaker_answers_without_connecting_until_its_interval_passes(
    unreachable_cache, monkeypatch
):
    from redis.connection import Connection

    from newsroom.cache import CacheUnavailable

    attempts = []
    real_connect = Connection.connect
    monkeypatch.setattr(
        Connection, "connect", lambda self: attempts.append(1) or real_connect(self)
    )
    for _ in range(20):
        with pytest.raises(CacheUnavailable):
            cache.get("anything")
    assert len(attempts) == 1
    unreachable_cache.open_until = 0  # the retry interval has passed
    with pytest.raises(CacheUnavailable):
        cache.get("anything")
    assert len(attempts) == 2


def test_reconnect_hooks_run_once_when_the_cache_answers_again():
    from newsroom.cache import CircuitBreaker, on_reconnect

    calls = []
    hook = on_reconnect(lambda: calls.append("reconnected"))
    try:
        breaker = CircuitBreaker(reset_seconds=5)
        breaker.record_success()
        assert calls == []  # no outage, nothing to make good
        breaker.record_failure(ConnectionError("refused"))
        assert not breaker.allow()
        breaker.open_until = 0
        assert breaker.allow()
        breaker.record_success()
        breaker.record_success()
        assert calls == ["reconnected"]
    finally:
        from newsroom import cache as newsroom_cache

        newsroom_cache._reconnect_hooks.remove(hook)
