"""Every payload of the XSS corpus and the Big List of Naughty Strings, sent as a name and as a
comment, must render inert on the article page and in the admin (see tests/data/README.md)."""

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from comments import moderation
from comments.admin.queue import CommentAdmin
from comments.forms import CommentForm
from comments.models import Comment
from newsroom.spamtraps import sign_render_time
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
PAYLOADS = [entry["payload"] for entry in json.loads((DATA / "xss.json").read_text())] + json.loads(
    (DATA / "blns.json").read_text()
)
DANGEROUS_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "style", "form", "meta", "base", "link", "template", "portal", "xml",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)


class TagCollector(HTMLParser):
    """Collect every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag.lower(), [(name.lower(), value or "") for name, value in attrs]))

    handle_startendtag = handle_starttag


def problems(fragment):
    """Return what in the HTML fragment could run script or load content, as readable lines."""
    collector = TagCollector()
    collector.feed(fragment)
    collector.close()
    found = []
    for tag, attrs in collector.tags:
        if tag in DANGEROUS_TAGS:
            found.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"{name}= attribute on <{tag}>")
            if name == "style" and re.search(r"expression\(|url\(", value, re.I):
                found.append(f"style with expression/url on <{tag}>")
            if name in URL_ATTRIBUTES:
                url = re.sub(r"[\x00-\x20]+", "", html.unescape(value))
                if BAD_SCHEME.match(url):
                    found.append(f"{name}={value!r} on <{tag}>")
    return found


def reader_parts(page):
    """Return the parts of a page that hold reader text: each comment's author and body."""
    parts = re.findall(r'<div class="comment-body">(.*?)</div>', page, re.S)
    parts += re.findall(r'<h3 class="comment-author"[^>]*>(.*?)</h3>', page, re.S)
    return parts


def assert_inert(page, expected_parts):
    parts = reader_parts(page)
    assert len(parts) >= expected_parts
    joined = "".join(f"<div>{part}</div>" for part in parts)
    assert problems(joined) == []
    # Reader text only ever produces paragraphs, line breaks and nofollow links.
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", joined))
    assert tags <= {"div", "p", "br", "a"}, tags
    for anchor in re.findall(r"<a [^>]*>", joined):
        assert re.fullmatch(r'<a href="https?://[^"]*" rel="nofollow ugc noopener">', anchor)


@pytest.fixture
def permissive(settings):
    """No rule may stop a payload from being stored and shown."""
    settings.NEWSROOM_COMMENTS_MODE = "post"
    settings.NEWSROOM_COMMENTS_RATE_LIMITS = "100000/m"
    settings.NEWSROOM_COMMENTS_MAX_LINKS = 1000
    settings.NEWSROOM_COMMENTS_PER_PAGE = 5000
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.NEWSROOM_COMMENTS_CLUSTER_MIN_SENDERS = 0  # the payloads are alike: no spam waves


def as_body(payload):
    # The form takes 2 to 3,000 characters: "" gets a suffix, the few longer payloads are cut.
    return payload[:3000] if len(payload.strip()) >= 2 else payload + " ok"


def store_all(article):
    """Run every payload through the form and the pipeline, as the view does."""
    for n, payload in enumerate(PAYLOADS):
        form = CommentForm(
            {
                "name": payload[:80] if payload.strip() else payload + "x",
                "email": f"p{n}@example.org",
                "body": as_body(payload),
                "rendered_at": sign_render_time(),
            },  # fmt: skip
            article=article,
        )
        assert form.is_valid(), (payload, form.errors)
        data = form.cleaned_data
        moderation.submit(
            moderation.Submission(
                article=article, name=data["name"], email=data["email"], body=data["body"]
            )  # fmt: skip
        )


def test_corpus_has_every_payload():
    assert len(PAYLOADS) == 1214 + 515


def test_every_payload_renders_inert_on_the_article_page_and_in_the_admin(
    client, permissive, monkeypatch
):
    article = make_article()
    store_all(article)
    assert Comment.objects.approved().count() == len(PAYLOADS)

    page = client.get(article.get_absolute_url()).content.decode()
    assert_inert(page, 2 * len(PAYLOADS))
    # The rest of the comments section holds only our own forms (comment and reports).
    section = page.split('<section id="comments"')[1].split("</section>\n  </article>")[0]
    assert all(
        a.startswith("/comments/") for a in re.findall(r'<form[^>]*action="([^"]*)"', section)
    )
    assert problems(re.sub(r"</?form[^>]*>", "", section)) == []

    moderator = make_user("mod", groups=["Moderators"], is_staff=True)
    client.force_login(moderator)
    monkeypatch.setattr(CommentAdmin, "list_per_page", 2000)
    queue = client.get("/admin/comments/comment/?status=all").content.decode()
    rows = re.findall(r"<tr>.*?</tr>", queue.split('id="result_list"')[1], re.S)
    assert len(rows) >= len(PAYLOADS)
    assert problems("".join(rows)) == []
    # Change pages show the text as stored and as readers see it.
    for comment in Comment.objects.order_by("pk")[:: len(PAYLOADS) // 40]:
        change = client.get(f"/admin/comments/comment/{comment.pk}/change/").content.decode()
        content = change.split('id="content-main"')[1].split('<div class="submit-row"')[0]
        assert problems(re.sub(r"</?form[^>]*>", "", content)) == []


def test_payloads_posted_through_the_view_render_inert(client, permissive):
    """A few hundred real POSTs, including ones the form refuses and shows again."""
    article = make_article()
    sample = PAYLOADS[::6]
    for n, payload in enumerate(sample):
        response = client.post(
            f"/comments/post/{article.pk}/",
            {
                "name": payload,
                "email": f"v{n}@example.org",
                "body": payload,
                "rendered_at": sign_render_time(),
            },  # fmt: skip
        )
        assert response.status_code in (302, 400), payload
        if response.status_code == 400:
            # The form shown again keeps the text, escaped inside the field.
            form_html = response.content.decode().split('id="comment-form"')[1]
            form_html = re.sub(r"</?form[^>]*>", "", form_html.split("</section>")[0])
            assert problems(form_html) == [], payload
    stored = Comment.objects.count()
    assert stored > len(sample) // 3
    page = client.get(article.get_absolute_url()).content.decode()
    assert_inert(page, 2 * stored)


def test_the_checker_catches_what_an_unsanitized_page_would_run():
    assert problems('<img src=x onerror="alert(1)">') == ["onerror= attribute on <img>"]
    assert problems('<a href=" jav&#x09;ascript:alert(1)">x</a>')
    assert problems("<svg><script>alert(1)</script></svg>") == ["<svg> element", "<script> element"]
    assert problems(html.escape('<img src=x onerror="alert(1)">')) == []
