"""The comment thread's HTML, built in Python: a page shows hundreds of comments, and including a
template once per comment cost most of the page's rendering time.

tests/comments/test_rendering.py pins the markup, and the dates against the |date filter's.
"""

import functools

from crispy_forms.utils import render_crispy_form
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

_PK = 2_147_483_647  # reversed once, then replaced by each comment's pk


def render_thread(comments, *, is_open, page_number=1, reported=None):
    """Return the <li> of each comment, replies nested in <ol>s, as safe HTML."""
    tz = timezone.get_current_timezone()
    months = [""] + [MONTHS_3[n].title() for n in range(1, 13)]
    page = f"&amp;comments_page={page_number}" if page_number > 1 else ""
    report_prefix, report_suffix = reverse("comments:report", args=[_PK]).split(str(_PK))
    words = {
        "link": conditional_escape(gettext("Link to this comment")),
        "reply": conditional_escape(gettext("Reply")),
        "report": conditional_escape(gettext("Report")),
        "reported": conditional_escape(
            gettext("Thank you. A moderator will look at this comment.")
        ),
        # Filled with the escaped name of each comment's author.
        "reply_to": conditional_escape(gettext("Reply to %(name)s")),
        "report_by": conditional_escape(gettext("Report the comment by %(name)s")),
    }
    parts = []

    def render(comment):
        pk = comment.pk
        name = conditional_escape(comment.name)
        created = comment.created_at.astimezone(tz)  # what the |date filter shows: local time
        shown = (
            f"{created.day} {months[created.month]} {created.year:04d}, "
            f"{created.hour:02d}:{created.minute:02d}"
        )
        parts.append(
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
        )
        if is_open:
            parts.append('    <div class="comment-actions">\n')
            if comment.can_have_replies():
                parts.append(
                    f'      <a class="comment-reply" href="?reply_to={pk}{page}#comment-form"'
                    f' aria-label="{words["reply_to"] % {"name": name}}">{words["reply"]}</a>\n'
                )
            if reported == pk:
                parts.append(
                    f'      <p class="comment-reported" role="status">{words["reported"]}</p>\n'
                )
            else:
                parts.append(
                    f'      <a class="comment-report" href="{report_prefix}{pk}{report_suffix}"'
                    f' rel="nofollow" aria-label="{words["report_by"] % {"name": name}}">'
                    f"{words['report']}</a>\n"
                )
            parts.append("    </div>\n")
        parts.append("  </article>\n")
        children = getattr(comment, "children", None)
        if children:
            parts.append('  <ol class="comment-replies">\n')
            for child in children:
                render(child)
            parts.append("  </ol>\n")
        parts.append("</li>\n")

    for comment in comments:
        render(comment)
    return mark_safe("".join(parts))  # noqa: S308 - names escaped, bodies sanitized on save


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
