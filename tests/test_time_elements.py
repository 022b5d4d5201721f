"""Every <time datetime> on the public pages is a valid HTML date or global date and time."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Correction
from comments.models import Comment
from newsroom.spamtraps import sign_render_time
from tests.factories import make_article, make_comment

pytestmark = pytest.mark.django_db

# HTML's "valid global date and time string" (at most 3 fraction digits, offset colon optional)
# and "valid date string": the two kinds our templates write.
GLOBAL_DATETIME = re.compile(
    r"(?P<date>\d{4,}-\d\d-\d\d)[T ](?P<time>\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?)"
    r"(?P<zone>Z|[+-]\d\d:?\d\d)"
)
DATE = re.compile(r"\d{4,}-\d\d-\d\d")


def parse_html_datetime(value):
    """Return the moment a datetime attribute names, or raise ValueError if HTML forbids it."""
    if DATE.fullmatch(value):
        return date.fromisoformat(value)
    match = GLOBAL_DATETIME.fullmatch(value)
    if not match:
        raise ValueError(f"not a valid HTML date or global date and time: {value!r}")
    zone = (
        match["zone"]
        if match["zone"] == "Z" or ":" in match["zone"]
        else (f"{match['zone'][:3]}:{match['zone'][3:]}")
    )
    return datetime.fromisoformat(f"{match['date']}T{match['time']}{zone.replace('Z', '+00:00')}")


@pytest.mark.parametrize(
    "value",
    ["2023-10-24T02:24:00.123456+05:30", "2023-10-24T02:24:00+05", "24 October 2023", "2023-13-01"],
)
def test_invalid_values_are_refused(value):
    with pytest.raises(ValueError):
        parse_html_datetime(value)


def time_values(client, path):
    return re.findall(r'<time datetime="([^"]*)"', client.get(path).content.decode())


def test_every_time_element_on_the_public_pages_is_valid(client, settings):
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODE = "pre"  # the reader's own comment waits, shown to them only
    now = timezone.now().replace(microsecond=123456)  # microseconds must never reach the page
    article = make_article(publish_at=now - timedelta(days=2), material_update_at=now)
    Correction.objects.create(article=article, text="An earlier version misspelt a name.")
    parent = make_comment(article, created_at=now - timedelta(hours=3))
    make_comment(article, parent=parent, created_at=now - timedelta(hours=2))
    gone = make_article(status=Article.Status.WITHDRAWN, withdrawn_at=now)
    client.post(
        reverse("comments:post", args=[article.pk]),
        {
            "name": "Asha",
            "email": "asha@example.org",
            "body": "Held for a moderator, please.",
            "website": "",
            "rendered_at": sign_render_time(),
        },
    )
    assert Comment.objects.held().count() == 1
    pages = [
        reverse("articles:home"),
        article.get_absolute_url(),
        article.get_absolute_url() + "print/",
        article.section.get_absolute_url(),
        article.bylines.first().author.get_absolute_url(),
        reverse("articles:search") + "?q=story",
        reverse("sharing:email", args=[article.slug]),
        reverse("comments:report", args=[parent.pk]),
        gone.get_absolute_url(),
    ]
    found = {path: time_values(client, path) for path in pages}

    # The byline, the update, the correction, two comments and the reader's held one.
    assert len(found[article.get_absolute_url()]) >= 6
    assert found[gone.get_absolute_url()]  # the 410 page's "took down on"
    for value in [value for values in found.values() for value in values]:
        parse_html_datetime(value)  # raises on any value HTML does not allow
    assert parse_html_datetime(found[article.get_absolute_url()][0]) == article.publish_at.replace(
        microsecond=0
    )
