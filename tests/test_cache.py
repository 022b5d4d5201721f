import pytest
from django.core.cache import cache


@pytest.mark.redis
def test_cache_is_redis_and_shared_when_redis_url_is_set(settings):
    import redis

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache.set("newsroom-probe", "shared", 30)
    # Another client of the same server (another app server) sees the value.
    other_client = redis.Redis.from_url(settings.REDIS_URL)
    assert any(b"newsroom-probe" in key for key in other_client.keys("*newsroom-probe*"))
    assert cache.get("newsroom-probe") == "shared"


def test_cache_round_trips():
    cache.set("greeting", "namaste", 30)
    assert cache.get("greeting") == "namaste"
