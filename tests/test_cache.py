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
