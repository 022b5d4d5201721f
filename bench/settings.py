"""Settings for `make bench` only: the project's settings plus the floor page and a throwaway
STATIC_ROOT. Never used to serve readers."""

import os

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# collectstatic writes here, so a benchmark run never touches var/static.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", STATIC_ROOT)  # noqa: F405

# Measure a page-cache miss under load: each request can retire a scope first (bench/middleware.py).
MIDDLEWARE = ["bench.middleware.RetireScopeMiddleware", *MIDDLEWARE]  # noqa: F405
