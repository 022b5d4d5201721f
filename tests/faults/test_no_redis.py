"""Without Redis, several processes never serve a stale page (issue 12, item 5).

One gunicorn with three workers and no REDIS_URL: the production settings then use the file
cache every process of the machine shares. A comment accepted by one worker must show on the
very next page from any worker; with a per-process memory cache the others kept their copy.
"""

import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import make_article
from tests.multiserver.stack import (
    BASE_DIR,
    BIN,
    HOST,
    SETTINGS_MODULE,
    SETTINGS_SOURCE,
    Browser,
    Process,
    Stack,
    comment_values,
    database_url,
    find_form,
    free_port,
)

from .conftest import report

pytestmark = [pytest.mark.postgres]


@pytest.fixture(scope="module")
def server_without_redis(django_db_setup):
    from tests.conftest import skip_or_fail

    if connection.vendor != "postgresql":
        skip_or_fail("postgres", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-noredis-"))
    (workdir / f"{SETTINGS_MODULE}.py").write_text(SETTINGS_SOURCE)
    env = Stack(database_url(connection.settings_dict), "", workdir).base_env()
    env.pop("REDIS_URL")
    env.update(
        NEWSROOM_CACHE_DIR=str(workdir / "cache"),
        NEWSROOM_COMMENTS_MODE="post",
        NEWSROOM_COMMENTS_RATE_LIMITS="1000/m",
    )
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    port = free_port()
    server = Process(
        "gunicorn without redis",
        [
            str(BIN / "gunicorn"),
            "newsroom.wsgi",
            "--workers=3",
            f"--bind={HOST}:{port}",
            "--no-control-socket",
        ],
        env,
        workdir / "server.log",
        port,
    )
    server.start()
    try:
        for _ in range(150):
            try:
                if Browser().get(server, "/admin/login/", timeout=5).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def test_several_processes_without_redis_never_serve_a_stale_page(
    server_without_redis, transactional_db
):
    server = server_without_redis
    article = make_article(headline="Night buses return")
    path = article.get_absolute_url()
    before = [Browser().get(server, path) for _ in range(30)]
    body = f"Seen by every worker {uuid.uuid4().hex[:8]}"
    commenter = Browser(ip="203.0.113.77")
    action, fields = find_form(commenter.get(server, path).body, "body")
    commenter.stamp(server, fields)  # what our script does on a cached page
    posted = commenter.post(
        server, action, {**fields, **comment_values("Asha", "asha@example.org", body)}
    )
    after = [Browser().get(server, path) for _ in range(30)]
    stale = [page for page in after if body not in page.body]
    report(
        f"3 gunicorn workers, no Redis (file cache): before the comment "
        f"{dict(Counter(p.headers.get('x-page-cache') for p in before))}, comment {posted.status}, "
        f"after {dict(Counter(p.headers.get('x-page-cache') for p in after))}, "
        f"stale {len(stale)} of {len(after)}"
    )
    assert posted.status == 302
    assert Counter(p.headers.get("x-page-cache") for p in before)["hit"] > 0
    assert not stale
