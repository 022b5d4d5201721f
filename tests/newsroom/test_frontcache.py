"""Varnish in front of the app: a real varnishd with the shipped VCL, started on a free port.

The app is pytest-django's live server (this process, so bans are sent from the same place that
replaces generations in every test); the VCL is varnish/newsroom.vcl with only its backend port
changed. Needs Debian's varnish (`.ci/run` installs it; NEWSROOM_REQUIRE_VARNISH=1 fails instead
of skipping).
"""

import http.client
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from articles import workflow
from comments import moderation
from comments import pending as pending_comments
from newsroom import frontcache
from tests.conftest import skip_or_fail
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db(transaction=True)

VCL = Path(__file__).resolve().parents[2] / "varnish" / "newsroom.vcl"


def find_varnishd():
    return shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Varnish:
    def __init__(self, port, host):
        self.port, self.host = port, host

    def get(self, path, *, cookie=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Host": self.host, "Accept-Encoding": "gzip"}
        if cookie:
            headers["Cookie"] = cookie
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.getheader("Content-Encoding") == "gzip":
                import gzip

                body = gzip.decompress(body)
            return response, body.decode()
        finally:
            connection.close()

    def wait_for(self, path, predicate, *, within):
        """GET the page until predicate(response, html) holds; return the seconds it took."""
        started = time.monotonic()
        while True:
            response, html = self.get(path)
            if predicate(response, html):
                return time.monotonic() - started
            if time.monotonic() - started > within:
                raise AssertionError(f"{path} still stale after {within} s: {response.status}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def varnishd(live_server):
    executable = find_varnishd()
    if executable is None:
        skip_or_fail("varnish", "needs Varnish: apt-get install varnish")
    backend = urlsplit(live_server.url)
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-varnish-"))
    vcl = workdir / "newsroom.vcl"
    shipped = VCL.read_text()
    assert '.port = "8000";' in shipped
    vcl.write_text(shipped.replace('.port = "8000";', f'.port = "{backend.port}";'))
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            executable,
            "-F",
            "-j",
            "none",
            "-n",
            str(workdir / "state"),
            "-a",
            f"127.0.0.1:{port}",
            "-T",
            "127.0.0.1:0",
            "-f",
            str(vcl),
            "-s",
            "malloc,32m",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"varnishd exited: {process.stdout.read().decode()}")
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("varnishd did not listen within 30 s")
                time.sleep(0.1)
        yield Varnish(port, backend.netloc)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def front(varnishd, settings):
    settings.NEWSROOM_VARNISH_URLS = [f"http://127.0.0.1:{varnishd.port}"]
    settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS = 0
    frontcache.ban(["site"])  # nothing from an earlier test's database
    return varnishd


@pytest.fixture
def editor():
    # Transactional tests flush the roles the migrations make: a superuser holds every right.
    return make_user("editor", is_staff=True, is_superuser=True)


def served_from_varnish(response):
    return response.getheader("X-Cache") == "HIT"


def test_a_page_is_served_from_varnish_with_its_keys_kept_inside(front):
    article = make_article(headline="Lighthouse keeper retires after forty years")
    url = article.get_absolute_url()
    first, html = front.get(url)
    assert first.status == 200 and "Lighthouse keeper" in html
    assert first.getheader("X-Cache") == "MISS"
    time.sleep(1.1)  # Age counts whole seconds
    second, again = front.get(url)
    assert served_from_varnish(second) and int(second.getheader("Age")) > 0
    assert again == html
    # The front cache's instructions are for it alone.
    assert second.getheader("Surrogate-Key") is None
    assert second.getheader("Surrogate-Control") is None
    assert "max-age=0" in second.getheader("Cache-Control")


def test_an_approval_is_purged_from_varnish_within_a_second(front, editor):
    article = make_article()
    held = make_comment(article, body="The fog signal should stay.", status="held")
    url = article.get_absolute_url()
    front.get(url)
    assert served_from_varnish(front.get(url)[0])
    moderation.approve(held, by=editor)
    took = front.wait_for(url, lambda r, html: "fog signal should stay" in html, within=1)
    print(f"\n[varnish] approval visible through Varnish after {took * 1000:.0f} ms")


def test_a_take_down_and_an_edit_are_purged_from_varnish_within_a_second(front, editor):
    article = make_article(headline="Ferry fares to rise in spring")
    other = make_article(headline="Harbour cranes to be replaced")
    for page in (article.get_absolute_url(), "/", other.get_absolute_url()):
        front.get(page)
        assert served_from_varnish(front.get(page)[0])
    other.headline = "Harbour cranes to be replaced by electric ones"
    other.save()
    front.wait_for(other.get_absolute_url(), lambda r, html: "electric ones" in html, within=1)
    workflow.withdraw(article, by=editor, reason="Fares were misreported.")
    front.wait_for(article.get_absolute_url(), lambda r, html: r.status == 410, within=1)
    front.wait_for("/", lambda r, html: "Ferry fares" not in html, within=1)


def test_a_new_comment_is_purged_from_varnish(front, settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    article = make_article()
    url = article.get_absolute_url()
    front.get(url)
    assert served_from_varnish(front.get(url)[0])
    reader = Client()
    stamp = reader.get("/form-stamp/").json()["rendered_at"]
    values = {"name": "Ines", "email": "ines@example.org", "body": "Buoys need repainting."}
    posted = reader.post(f"/comments/post/{article.pk}/", {**values, "rendered_at": stamp})
    assert posted.status_code == 302
    front.wait_for(url, lambda r, html: "Buoys need repainting." in html, within=1)


def test_staff_and_readers_with_a_pending_comment_bypass_varnish(front, editor):
    article = make_article()
    url = article.get_absolute_url()
    front.get(url)
    assert served_from_varnish(front.get(url)[0])

    staff = Client()
    staff.force_login(editor)
    staff_cookie = f"sessionid={staff.cookies['sessionid'].value}; csrftoken=abc"
    for _ in range(2):
        response, html = front.get(url, cookie=staff_cookie)
        assert response.getheader("X-Cache") == "MISS"
        assert 'value="editor"' in html  # their own page, name filled in
        assert "no-store" in response.getheader("Cache-Control")

    pending = make_comment(article, body="Is the pier safe at night?", status="held")
    session = SessionStore()
    session[pending_comments.SESSION_KEY] = [pending.pk]
    session.create()
    for _ in range(2):
        response, html = front.get(url, cookie=f"sessionid={session.session_key}")
        assert response.getheader("X-Cache") == "MISS"
        assert "awaiting moderation" in html and "pier safe at night" in html
    # Everyone else still gets the shared copy, without it.
    response, html = front.get(url)
    assert served_from_varnish(response) and "pier safe at night" not in html
