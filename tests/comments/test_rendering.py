from datetime import UTC, datetime

import pytest
from crispy_forms.utils import render_crispy_form
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test.html import parse_html
from django.utils import timezone, translation

from comments.forms import CommentForm
from comments.models import Comment
from comments.rendering import render_form_fields, render_thread
from newsroom import pagecache
from newsroom.spamtraps import sign_render_time


def comment(pk, name, created, *, depth=1, children=()):
    made = Comment(pk=pk, name=name, body_html=f"<p>Body {pk}</p>", created_at=created, depth=depth)
    made.children = list(children)
    return made


def test_open_thread_markup_nests_replies_with_reply_and_report_links(settings):
    settings.NEWSROOM_COMMENTS_MAX_DEPTH = 2
    reply = comment(2, "Bo & <Co>", datetime(2026, 3, 9, 18, 30, tzinfo=UTC), depth=2)
    top = comment(1, 'Asha "A"', datetime(2026, 1, 5, 3, 4, 5, 6, tzinfo=UTC), children=[reply])
    html = render_thread([top], is_open=True, page_number=2, reported=2)
    expected = """
    <li class="comment" id="comment-1">
      <article aria-labelledby="comment-1-author">
        <header class="comment-meta">
          <h3 class="comment-author" id="comment-1-author">Asha &quot;A&quot;</h3>
          <a class="comment-permalink" href="#comment-1" title="Link to this comment"><time
            datetime="2026-01-05T08:34:05+05:30">5 Jan 2026, 08:34</time></a>
        </header>
        <div class="comment-body"><p>Body 1</p></div>
        <div class="comment-actions">
          <a class="comment-reply" href="?reply_to=1&amp;comments_page=2#comment-form"
            aria-label="Reply to Asha &quot;A&quot;">Reply</a>
          <a class="comment-report" href="/comments/1/report/" rel="nofollow"
            aria-label="Report the comment by Asha &quot;A&quot;">Report</a>
        </div>
      </article>
      <ol class="comment-replies">
        <li class="comment" id="comment-2">
          <article aria-labelledby="comment-2-author">
            <header class="comment-meta">
              <h3 class="comment-author" id="comment-2-author">Bo &amp; &lt;Co&gt;</h3>
              <a class="comment-permalink" href="#comment-2" title="Link to this comment"><time
                datetime="2026-03-10T00:00:00+05:30">10 Mar 2026, 00:00</time></a>
            </header>
            <div class="comment-body"><p>Body 2</p></div>
            <div class="comment-actions">
              <p class="comment-reported" role="status">
                Thank you. A moderator will look at this comment.</p>
            </div>
          </article>
        </li>
      </ol>
    </li>"""
    assert parse_html(html) == parse_html(expected)


def test_closed_thread_has_no_actions_and_first_page_links_have_no_page():
    top = comment(7, "Asha", datetime(2026, 1, 5, tzinfo=UTC))
    closed = render_thread([top], is_open=False)
    assert "comment-actions" not in closed and 'id="comment-7-author"' in closed
    assert 'href="?reply_to=7#comment-form"' in render_thread([top], is_open=True)


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Europe/London", "America/St_Johns"])
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),  # London's clocks go forward
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC),
        datetime(999, 5, 9, 12, 0, tzinfo=UTC),
    ],
)
def test_dates_read_as_the_date_filter_shows_them(zone, moment):
    template = Template(
        """{% load articles_meta %}<time datetime="{{ d|w3c }}">{{ d|date:"j M Y, H:i" }}</time>"""
    )
    with timezone.override(zone):
        expected = template.render(Context({"d": moment}))
        html = render_thread([comment(1, "A", moment)], is_open=False)
    assert expected in html


# --- Each comment's markup, kept in the worker's memory by what it shows ----------------------


def fresh_render(comments, **options):
    """What render_thread returns with nothing kept."""
    pagecache.memory.clear()
    return render_thread(comments, **options)


def test_an_unchanged_comment_is_taken_from_memory_and_a_changed_one_rendered(renders):
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    reply = comment(2, "Bo", moment, depth=2)
    thread = [comment(1, "Asha", moment, children=[reply]), comment(3, "Cy", moment)]
    first = render_thread(thread, is_open=True)
    assert render_thread(thread, is_open=True) == first
    assert renders == [1, 2, 3]

    renders.clear()
    reply.body_html = "<p>Edited</p>"
    thread[1].name = "Cyrus"
    html = render_thread(thread, is_open=True)
    assert renders == [2, 3]
    assert "<p>Edited</p>" in html and ">Cyrus</h3>" in html and "Body 2" not in html
    assert html == fresh_render(thread, is_open=True)


def test_an_unchanged_thread_is_one_lookup(monkeypatch):
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    thread = [comment(n, f"Reader {n}", moment) for n in range(1, 6)]
    first = render_thread(thread, is_open=True)
    lookups = []
    real_get = pagecache.memory.get
    monkeypatch.setattr(pagecache.memory, "get", lambda key: lookups.append(key) or real_get(key))
    assert render_thread(thread, is_open=True) == first
    assert len(lookups) == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"is_open": False}, id="closed"),
        pytest.param({"page_number": 2}, id="another page"),
        pytest.param({"reported": 1}, id="reported"),
    ],
)
def test_what_the_page_shows_of_a_comment_is_part_of_its_key(change):
    thread = [comment(1, "Asha", datetime(2026, 1, 5, tzinfo=UTC))]
    default = {"is_open": True, "page_number": 1, "reported": None}
    render_thread(thread, **default)
    assert render_thread(thread, **{**default, **change}) == fresh_render(
        thread, **{**default, **change}
    )
    assert render_thread(thread, **default) == fresh_render(thread, **default)


def test_a_comment_shows_in_the_readers_time_zone_and_language_whatever_was_kept():
    thread = [comment(1, "Asha", datetime(2026, 1, 5, 3, 4, tzinfo=UTC))]
    render_thread(thread, is_open=True)
    with timezone.override("America/St_Johns"):
        assert "4 Jan 2026, 23:34" in render_thread(thread, is_open=True)
    with translation.override("hi"):
        html = render_thread(thread, is_open=True)
        assert "इस टिप्पणी का लिंक" in html
        assert html == fresh_render(thread, is_open=True)


def test_a_reply_loses_its_reply_link_when_the_depth_setting_falls(settings):
    reply = comment(2, "Bo", datetime(2026, 1, 5, tzinfo=UTC), depth=2)
    thread = [comment(1, "Asha", datetime(2026, 1, 5, tzinfo=UTC), children=[reply])]
    settings.NEWSROOM_COMMENTS_MAX_DEPTH = 3
    assert "?reply_to=2#" in render_thread(thread, is_open=True)
    settings.NEWSROOM_COMMENTS_MAX_DEPTH = 2
    assert "?reply_to=2#" not in render_thread(thread, is_open=True)


def test_without_worker_memory_every_comment_is_rendered(renders, monkeypatch):
    monkeypatch.setattr(pagecache.memory, "max_bytes", 0)
    thread = [comment(1, "Asha", datetime(2026, 1, 5, tzinfo=UTC))]
    assert render_thread(thread, is_open=True) == render_thread(thread, is_open=True)
    assert renders == [1, 1]


@pytest.mark.django_db
def test_blank_form_is_rendered_once_with_each_readers_timestamp():
    first, second = (
        CommentForm(article=None, initial={"parent": None, "rendered_at": sign_render_time(n)})
        for n in (1, 2)
    )
    assert render_form_fields(first) == render_crispy_form(first)
    assert render_form_fields(second) == render_crispy_form(second)
    assert first["rendered_at"].value() not in render_form_fields(second)


@pytest.mark.django_db
def test_reply_signed_in_and_bound_forms_render_their_own_values():
    reader = User(username="asha", first_name="Asha", last_name="Rao", email="asha@example.org")
    forms = [
        CommentForm(article=None, initial={"parent": 42}),
        CommentForm(article=None, user=reader),
        CommentForm({"name": "", "body": "x"}, article=None),
    ]
    htmls = [render_form_fields(form) for form in forms]
    assert htmls == [render_crispy_form(form) for form in forms]
    assert 'name="parent" value="42"' in htmls[0]
    assert 'value="Asha Rao"' in htmls[1]
    assert "Please give a name to show with your comment." in htmls[2]
