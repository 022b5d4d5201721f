"""Settings for `make audit` only: production settings served over plain HTTP on 127.0.0.1,
with a throwaway STATIC_ROOT. Never used to serve readers."""

import os

from newsroom.settings import *  # noqa: F403

STATIC_ROOT = os.environ["AUDIT_STATIC_ROOT"]
# The browser talks plain HTTP to 127.0.0.1: secure-only cookies would never come back.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
