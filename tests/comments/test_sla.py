"""The desk's waiting times on a frozen clock, and the overdue alert in the moderators' digest."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache

from comments import moderation, notifications, sla
from comments.models import Comment
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
IST = ZoneInfo("Asia/Kolkata")
DESK = "/admin/comments/comment/desk/"


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=IST)


@pytest.fixture
def clock():
    with time_machine.travel(at(1, 8), tick=False) as traveller:
        yield traveller


@pytest.fixture
def moderators():
    return {
        name: make_user(name, groups=["Moderators"], is_staff=True) for name in ["asha", "ravi"]
    }


def post_held(article, clock, when, body="Held for a moderator"):
    clock.move_to(when)
    return make_comment(article, status=Status.HELD, body=body, created_at=when)


def build_a_day_and_a_half(clock, moderators, settings):
    """Decisions on 1 March (10, 30 and 5 min, the last after reports) and on 2 March (60 min),
    with three comments still held at noon on 2 March."""
    settings.NEWSROOM_COMMENTS_REPORT_THRESHOLD = 2
    asha, ravi = moderators["asha"], moderators["ravi"]
    busy, quiet = make_article(headline="Budget day"), make_article(headline="Rain")
    first = post_held(busy, clock, at(1, 9))
    second = post_held(busy, clock, at(1, 9))
    clock.move_to(at(1, 9, 10))
    moderation.approve(first, by=asha)
    clock.move_to(at(1, 9, 30))
    moderation.reject(second, by=ravi)
    # Approved in the morning, reported at 10:00: it waits from 10:00, not from posting.
    clock.move_to(at(1, 10))
    for reader in ["s1", "s2"]:  # two readers' reports send it back
        moderation.report(first, reason="abuse", session_key=reader)
    clock.move_to(at(1, 10, 5))
    moderation.reject(Comment.objects.get(pk=first.pk), by=asha)
    third = post_held(busy, clock, at(2, 8))
    clock.move_to(at(2, 9))
    moderation.mark_spam(third, by=asha)
    post_held(busy, clock, at(2, 9))
    post_held(busy, clock, at(2, 10))
    post_held(quiet, clock, at(2, 11))
    clock.move_to(at(2, 12))
    return busy, quiet


def test_waiting_times_per_day_and_moderator_on_a_frozen_clock(clock, moderators, settings):
    busy, quiet = build_a_day_and_a_half(clock, moderators, settings)
    figures = sla.desk_figures()
    assert figures.queue_size == 3
    assert figures.oldest_wait == timedelta(hours=3)
    minutes = timedelta(minutes=1)
    assert figures.overall.decisions == 4
    assert figures.overall.median == 20 * minutes  # of 5, 10, 30 and 60
    assert figures.overall.p90 == 60 * minutes  # nearest rank: the 4th of 4
    days = {day.isoformat(): waits for day, waits in figures.per_day}
    assert list(days) == ["2026-03-02", "2026-03-01"]  # newest first, days of the site's zone
    assert (days["2026-03-01"].decisions, days["2026-03-01"].median) == (3, 10 * minutes)
    assert days["2026-03-01"].p90 == 30 * minutes
    assert (days["2026-03-02"].decisions, days["2026-03-02"].p90) == (1, 60 * minutes)
    per_moderator = {name: waits for name, waits in figures.per_moderator}
    assert list(per_moderator) == ["asha", "ravi"]
    assert per_moderator["asha"].median == 10 * minutes  # of 5, 10 and 60
    assert per_moderator["ravi"].median == 30 * minutes
    assert [(row["headline"], row["held"]) for row in figures.backlog] == [
        ("Budget day", 2),
        ("Rain", 1),
    ]
    assert figures.backlog[0]["oldest_wait"] == timedelta(hours=3)


def test_the_period_bounds_the_decisions(clock, moderators, settings):
    build_a_day_and_a_half(clock, moderators, settings)
    # From noon on 2 March, one day back reaches 09:00 on 2 March only.
    assert sla.desk_figures(days=1).overall.decisions == 1


def test_figures_take_three_queries_whatever_the_number_of_comments(
    clock, moderators, settings, django_assert_num_queries
):
    busy, _ = build_a_day_and_a_half(clock, moderators, settings)
    with django_assert_num_queries(3):
        sla.desk_figures()
    for n in range(20):
        moderation.approve(post_held(make_article(), clock, at(2, 12, n)), by=moderators["ravi"])
    with django_assert_num_queries(3):
        assert sla.desk_figures().overall.decisions == 24


def test_desk_page_and_queue_show_the_figures(clock, moderators, settings, client):
    build_a_day_and_a_half(clock, moderators, settings)
    client.force_login(moderators["asha"])
    html = client.get(DESK).content.decode()
    assert "<dd>3</dd>" in html and "<dd>3 h 00 min</dd>" in html  # held, oldest wait
    assert '<th scope="row">All</th><td>4</td><td>20 min</td><td>1 h 00 min</td>' in html
    assert "Budget day</a></th><td>2</td><td>3 h 00 min</td>" in html
    queue = client.get("/admin/comments/comment/").content.decode()
    assert "The oldest held comment has waited <strong>3 h 00 min</strong>" in queue
    assert f'href="{DESK}"' in queue


def test_writers_cannot_see_the_desk(client):
    writer = make_user("writer", groups=["Writers"], is_staff=True)
    client.force_login(writer)
    assert client.get(DESK).status_code == 403


def test_describe_wait():
    assert sla.describe_wait(timedelta(minutes=45, seconds=59)) == "45 min"
    assert sla.describe_wait(timedelta(hours=2, minutes=5)) == "2 h 05 min"
    assert sla.describe_wait(timedelta(days=3, hours=4)) == "3 d 4 h"
    assert sla.describe_wait(None) == "—"


# --- The alert, folded into the digest -----------------------------------------------------------


@pytest.fixture
def mailing(settings, moderators):
    settings.NEWSROOM_COMMENTS_SLA_ALERT_MINUTES = 60
    settings.NEWSROOM_COMMENTS_DIGEST_SECONDS = 600


def run_digest():
    cache.delete(notifications.DIGEST_MARKER)  # as if the interval had passed
    return notifications.queue_digest()


def digests():
    """The digests sent, one per send (the outbox mails each moderator separately)."""
    return [m for m in mail.outbox if m.to == ["asha@example.org"]]


@pytest.mark.django_db(transaction=True)  # the outbox sends on commit
def test_overdue_queue_alerts_once_per_period_through_the_digest(clock, mailing):
    article = make_article(headline="Budget day")
    post_held(article, clock, at(1, 9))
    assert run_digest() == 1
    assert "QUEUE ALERT" not in digests()[-1].body
    clock.move_to(at(1, 9, 59))
    run_digest()
    assert len(digests()) == 1  # nothing new, not overdue: no mail

    clock.move_to(at(1, 10, 1))
    run_digest()
    alert = digests()[-1]
    assert len(digests()) == 2
    assert alert.subject == "[The Newsroom] Queue alert: a comment has waited 1 h 01 min"
    assert sorted(m.to[0] for m in mail.outbox if m.subject == alert.subject) == [
        "asha@example.org",
        "ravi@example.org",
    ]
    assert alert.body.startswith(
        "QUEUE ALERT: The oldest held comment has waited 1 h 01 min (alert after 60 min); "
        "1 held in all."
    )
    assert "/admin/comments/comment/desk/" in alert.body
    assert "No new comments arrived since the last digest." in alert.body

    clock.move_to(at(1, 10, 30))
    run_digest()
    assert len(digests()) == 2  # the same period: no repeat
    clock.move_to(at(1, 11, 2))
    run_digest()
    assert len(digests()) == 3  # two hours waited: reminded once more


@pytest.mark.django_db(transaction=True)
def test_alert_rides_along_with_new_comments_and_can_be_switched_off(clock, mailing, settings):
    article = make_article()
    post_held(article, clock, at(1, 9))
    run_digest()
    post_held(article, clock, at(1, 10, 30), body="A newer one")
    run_digest()
    digest = digests()[-1]
    assert "Queue alert" in digest.subject
    assert "1 comment arrived" in digest.body and "A newer one" in digest.body

    settings.NEWSROOM_COMMENTS_SLA_ALERT_MINUTES = 0
    clock.move_to(at(1, 13))
    assert sla.overdue() is None
    run_digest()
    assert len(digests()) == 2
