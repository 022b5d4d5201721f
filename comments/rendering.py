"""The comment thread's HTML, built in Python: a page shows hundreds of comments, and including a
template once per comment cost most of the page's rendering time.

tests/comments/test_rendering.py pins the markup, and the dates against the |date filter's.
"""

import functools

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from newsroom import pagecache

_PK = 2_147_483_647  # reversed once, then replaced by each comment's pk


def render_thread(comments, *, is_open, page_number=1, reported=None):
    """Return the <li> of each comment, replies nested in <ol>s, as safe HTML.

    The thread, and each comment's own markup, are kept in this worker's memory under everything
    they show (newsroom.pagecache.remembered): an unchanged thread is one lookup, and in a changed
    one only the new or changed comments are rendered, the rest assembled from memory.
    """
    page = _PageMarkup(is_open=is_open, page_number=page_number, reported=reported)
    shown = tuple(page.shown(comment) for comment in comments)
    html = pagecache.remembered(
        (*page.key, "thread", shown), lambda: page.assemble(comments, shown)
    )
    return mark_safe(html)  # noqa: S308 - names escaped, bodies sanitized on save


def thread_key(rows, *, is_open, page_number=1, reported=None):
    """Return everything render_thread() shows of the comments made of `rows`, as a key.

    Each comment shows its own row's values, and whether it can be replied to and was just
    reported, which its row's depth and pk tell with the page's maximum depth and reported pk:
    the rows and those say it all, and the comments need not be built to know the key.
    """
    page = _PageMarkup(is_open=is_open, page_number=page_number, reported=reported)
    return (*page.key, page.max_depth, page.reported, tuple(rows))


class _PageMarkup:
    """What the comments of one page share: their words, links and time zone."""

    def __init__(self, *, is_open, page_number, reported):
        self.is_open = is_open
        self.page_number = page_number
        self.reported = reported
        # What Comment.can_have_replies() compares with, read once for the page's comments.
        self.max_depth = settings.NEWSROOM_COMMENTS_MAX_DEPTH
        self.key = (
            "comments",
            is_open,
            page_number,
            # What the same rows look like in another language, time zone or URL layout.
            get_language(),
            timezone.get_current_timezone_name(),
            get_script_prefix(),
            get_urlconf(),
        )

    def shown(self, comment):
        """Return what the page shows of the comment, and of its replies, as a key."""
        own = (
            comment.pk,
            comment.name,
            comment.created_at,
            comment.body_html,
            self.is_open and comment.depth < self.max_depth,  # can be replied to
            self.is_open and self.reported == comment.pk,
        )
        children = getattr(comment, "children", None)
        return own, tuple([self.shown(child) for child in children]) if children else ()

    def assemble(self, comments, shown):
        """Return the thread's markup, each comment's own taken from memory where it was kept."""
        parts = []

        def add(comment, own, children_shown):
            render = functools.partial(self.render, comment, *own[-2:])
            parts.append(pagecache.remembered((*self.key, "comment", own), render))
            if children_shown:
                parts.append('  <ol class="comment-replies">\n')
                for child, (child_own, grandchildren) in zip(
                    comment.children, children_shown, strict=True
                ):
                    add(child, child_own, grandchildren)
                parts.append("  </ol>\n")
            parts.append("</li>\n")

        for comment, (own, children_shown) in zip(comments, shown, strict=True):
            add(comment, own, children_shown)
        return "".join(parts)

    @functools.cached_property
    def words(self):
        return {
            "link": conditional_escape(gettext("Link to this comment")),
            "reply": conditional_escape(gettext("Reply")),
            "report": conditional_escape(gettext("Report")),
            "reported": conditional_escape(
                gettext("Thank you. A moderator will look at this comment.")
            ),
            # Filled with the escaped name of each comment's author.
            "reply_to": conditional_escape(gettext("Reply to %(name)s")),
            "report_by": conditional_escape(gettext("Report the comment by %(name)s")),
            "months": [""] + [MONTHS_3[n].title() for n in range(1, 13)],
        }

    @functools.cached_property
    def report_url(self):
        """Return the report link's two halves, around the comment's pk: reversed once."""
        return reverse("comments:report", args=[_PK]).split(str(_PK))

    def render(self, comment, can_reply, is_reported):
        """Return the comment's own markup: its <li> up to its replies, left open."""
        words = self.words
        pk = comment.pk
        name = conditional_escape(comment.name)
        created = timezone.localtime(comment.created_at)  # what the |date filter shows
        shown = (
            f"{created.day} {words['months'][created.month]} {created.year:04d}, "
            f"{created.hour:02d}:{created.minute:02d}"
        )
        parts = [
            f'<li class="comment" id="comment-{pk}">\n'
            f'  <article aria-labelledby="comment-{pk}-author">\n'
            f'    <header class="comment-meta">\n'
            f'      <h3 class="comment-author" id="comment-{pk}-author">{name}</h3>\n'
            f'      <a class="comment-permalink" href="#comment-{pk}" title="{words["link"]}">'
            f'<time datetime="{created.isoformat(timespec="seconds")}">{shown}</time></a>\n'
            f"    </header>\n"
            # body_html is derived from plain text on save: escaped, then bleach-cleaned
            # (comments.sanitize), so it is safe to show as it is.
            f'    <div class="comment-body">{comment.body_html}</div>\n'
        ]
        if self.is_open:
            parts.append('    <div class="comment-actions">\n')
            if can_reply:
                page = f"&amp;comments_page={self.page_number}" if self.page_number > 1 else ""
                parts.append(
                    f'      <a class="comment-reply" href="?reply_to={pk}{page}#comment-form"'
                    f' aria-label="{words["reply_to"] % {"name": name}}">{words["reply"]}</a>\n'
                )
            if is_reported:
                parts.append(
                    f'      <p class="comment-reported" role="status">{words["reported"]}</p>\n'
                )
            else:
                prefix, suffix = self.report_url
                parts.append(
                    f'      <a class="comment-report" href="{prefix}{pk}{suffix}"'
                    f' rel="nofollow" aria-label="{words["report_by"] % {"name": name}}">'
                    f"{words['report']}</a>\n"
                )
            parts.append("    </div>\n")
        parts.append("  </article>\n")
        return "".join(parts)


_RENDERED_AT = "__comment_form_rendered_at__"


def render_form_fields(form):
    """Return the crispy-rendered fields of the comment form, as safe HTML.

    A blank form for an anonymous reader is the same for every article except its signed
    timestamp (empty on a cached page), so it is rendered once per process and language, and the
    timestamp put in.
    """
    rendered_at = form["rendered_at"].value()
    is_blank = not form.is_bound and form.prefix is None and form.auto_id == "id_%s"
    if (
        not is_blank
        or rendered_at is None
        or any(value is not None for key, value in form.initial.items() if key != "rendered_at")
    ):
        return render_crispy_form(form)
    blank = _blank_form_fields(type(form), get_language())
    timestamp = conditional_escape(rendered_at)
    return mark_safe(blank.replace(_RENDERED_AT, timestamp))  # noqa: S308 - crispy's HTML


@functools.cache
def _blank_form_fields(form_class, language):
    return render_crispy_form(form_class(article=None, initial={"rendered_at": _RENDERED_AT}))
