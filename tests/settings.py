"""Test settings: the production settings with test-only speed-ups."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)

from newsroom.settings import *  # noqa: E402,F403

# Tests exercise templates without running collectstatic first.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# Browser tests talk plain HTTP to the live server.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Serve static files straight from the source folders; no collectstatic in tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Uploaded originals from tests never land in the project's var/ folder.
NEWSROOM_PRIVATE_MEDIA_ROOT = tempfile.mkdtemp(prefix="newsroom-test-private-")
# Without Redis, each test process keeps its cache in memory: isolated from other runs, and
# cleared between tests. tests/faults/test_no_redis.py runs the production file cache.
if not REDIS_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Every kept compiled query is compiled again and compared: a key that leaves out an input of
# its queryset fails the test that changes that input (newsroom.compiledsql).
NEWSROOM_CHECK_COMPILED_QUERIES = True
