"""Staffed hours: outside its section's shifts a comment is held or commenting closes; a schedule
only tightens; readers are told; cached pages change at each transition."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from comments import moderation, staffing
from comments.models import ArticlePolicy, Comment, DeskSchedule
from tests.factories import make_article, make_section, make_user

pytestmark = pytest.mark.django_db

Status = Comment.Status
IST = ZoneInfo("Asia/Kolkata")
Outside = DeskSchedule.Outside


def ist(day, hour, minute=0, second=0):
    """2 March 2026 is a Monday."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=IST)


def schedule(section, outside, shifts):
    desk = DeskSchedule.objects.create(section=section, outside=outside)
    for weekday, starts, ends in shifts:
        desk.shifts.create(weekday=weekday, starts=time(*starts), ends=time(*ends))
    staffing.forget_schedules()  # as the admin does on save
    return desk


WEEKDAYS_7_TO_22 = [(day, (7,), (22,)) for day in range(5)]


@pytest.fixture
def clock():
    with time_machine.travel(ist(2, 12), tick=False) as traveller:
        yield traveller


@pytest.fixture
def politics(clock):
    section = make_section(name="Politics", slug="politics")
    schedule(section, Outside.PRE, WEEKDAYS_7_TO_22)
    return section


@pytest.fixture
def sport(clock):
    section = make_section(name="Sport", slug="sport")
    schedule(section, Outside.CLOSED, [(day, (9,), (18,)) for day in range(7)])
    return section


def post(article, body="A comment for the desk"):
    return moderation.submit(
        moderation.Submission(article=article, name="Asha", email="asha@example.org", body=body)
    )


# --- The state at any moment -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "staffed", "opens", "changes", "message"),
    [
        (ist(2, 6, 30), False, ist(2, 7), ist(2, 7),
         "Comments are reviewed from 07:00 IST; yours will be held until then."),
        (ist(2, 7), True, None, ist(2, 22), ""),
        (ist(2, 21, 59, 59), True, None, ist(2, 22), ""),
        (ist(2, 22), False, ist(3, 7), ist(3, 7),
         "Comments are reviewed from tomorrow 07:00 IST; yours will be held until then."),
        (ist(6, 23), False, ist(9, 7), ist(9, 7),
         "Comments are reviewed from Monday 07:00 IST; yours will be held until then."),
    ],
)  # fmt: skip
def test_desk_state_through_the_week(politics, clock, moment, staffed, opens, changes, message):
    clock.move_to(moment)
    state = staffing.desk_state(make_article(section=politics))
    assert (state.is_staffed, state.opens_at, state.changes_at) == (staffed, opens, changes)
    assert state.reader_message() == message


def test_a_shift_past_midnight_and_a_schedule_without_shifts(clock):
    night = make_section()
    schedule(night, Outside.CLOSED, [(0, (22,), (2,))])  # Monday 22:00 to Tuesday 02:00
    clock.move_to(ist(3, 1, 30))
    state = staffing.desk_state(make_article(section=night))
    assert state.is_staffed and state.changes_at == ist(3, 2)
    never = make_section()
    schedule(never, Outside.PRE, [])
    state = staffing.desk_state(make_article(section=never))
    assert state.holds_comments and state.opens_at is None
    assert state.reader_message() == "Every comment here is held until a moderator reviews it."


def test_sections_without_a_schedule_are_always_staffed(clock):
    clock.move_to(ist(1, 3))  # a Sunday night
    assert staffing.desk_state(make_article()).is_staffed


# --- Only ever tightens --------------------------------------------------------------------------


def test_outside_hours_a_comment_is_held_until_the_desk_opens(politics, clock, settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    article = make_article(section=politics)
    clock.move_to(ist(2, 23))
    comment = post(article)
    assert comment.status == Status.HELD
    assert [str(r) for r in comment.reasons.all()] == [
        "Outside the desk’s staffed hours: Held until the desk opens (tomorrow 07:00 IST)"
    ]
    assert comment.held_at == ist(2, 23)
    clock.move_to(ist(3, 7))
    assert post(article, "Now the desk is staffed").status == Status.APPROVED


def test_staffed_hours_never_loosen_an_article(politics, clock, settings):
    settings.NEWSROOM_COMMENTS_MODE = "post"
    clock.move_to(ist(2, 12))  # staffed
    held_anyway = make_article(section=politics)
    ArticlePolicy.objects.create(article=held_anyway, mode="pre")
    assert post(held_anyway).status == Status.HELD
    assert held_anyway.comments.get().reasons.get().rule == "pre"
    closed = make_article(section=politics, comments_enabled=False)
    with pytest.raises(moderation.CommentsClosed):
        post(closed)


def test_outside_hours_commenting_closes_where_the_schedule_says(sport, clock, client):
    article = make_article(section=sport)
    clock.move_to(ist(2, 18, 30))
    with pytest.raises(moderation.CommentsClosed) as closed:
        post(article)
    assert closed.value.message == (
        "Comments are closed until tomorrow 09:00 IST, when our moderators are back."
    )
    assert not Comment.objects.exists()
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'id="comment-form"' not in page
    assert "Comments are closed until tomorrow 09:00 IST" in page


# --- What readers see, and the cache -------------------------------------------------------------


def test_readers_are_told_their_comment_will_wait(politics, clock, client):
    clock.move_to(ist(2, 6))
    article = make_article(section=politics)
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'id="comment-form"' in page
    assert (
        '<p class="comment-desk" role="note">Comments are reviewed from 07:00 IST; '
        "yours will be held until then.</p>"
    ) in page


def test_cached_pages_change_at_each_transition(sport, clock, client):
    article = make_article(section=sport)
    url = article.get_absolute_url()
    clock.move_to(ist(2, 17, 55))
    first = client.get(url)
    assert first["X-Page-Cache"] == "miss" and 'id="comment-form"' in first.content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"
    clock.move_to(ist(2, 18))  # the desk closes: the page cached at 17:55 is gone
    closing = client.get(url)
    assert closing["X-Page-Cache"] == "miss"
    assert 'id="comment-form"' not in closing.content.decode()
    clock.move_to(ist(2, 18, 9))
    assert client.get(url)["X-Page-Cache"] == "hit"  # still closed, still cached
    clock.move_to(ist(3, 8, 55))
    client.get(url)
    clock.move_to(ist(3, 9))  # the desk opens: the page cached at 08:55 is gone
    opening = client.get(url)
    assert opening["X-Page-Cache"] == "miss" and 'id="comment-form"' in opening.content.decode()


def test_editing_a_schedule_retires_cached_pages_at_once(politics, clock, client):
    article = make_article(section=politics)
    url = article.get_absolute_url()
    assert "comment-desk" not in client.get(url).content.decode()  # staffed at noon
    editor = make_user("desk", is_staff=True, is_superuser=True)
    admin = type(client)()
    admin.force_login(editor)
    desk = DeskSchedule.objects.get(section=politics)
    shift = desk.shifts.first()
    response = admin.post(
        f"/admin/comments/deskschedule/{desk.pk}/change/",
        {
            "section": politics.pk,
            "outside": "closed",
            "shifts-TOTAL_FORMS": 1,
            "shifts-INITIAL_FORMS": 1,
            "shifts-0-id": shift.pk,
            "shifts-0-schedule": desk.pk,
            "shifts-0-weekday": 0,
            "shifts-0-starts": "07:00",
            "shifts-0-ends": "11:00",  # the Monday shift now ends before noon
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(url).content.decode()
    assert 'id="comment-form"' not in page
    assert "Comments are closed until tomorrow 07:00 IST" in page


def test_moderators_group_exists_for_the_admin():
    assert Group.objects.filter(name="Moderators").exists()
