"""What a queue row shows, and the read-only parts of a comment's page."""

import functools
from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from comments.models import Comment
from newsroom.reversing import cached_reverse

from .views import BAN

Status = Comment.Status
THREAD_CONTEXT_LIMIT = 50
AUTHOR_HISTORY_LIMIT = 20
# What the queue's columns read; the rows leave the rest, the article's text first, unloaded.
ROW_FIELDS = [
    "article__headline",
    "name",
    "email",
    "body",
    "status",
    "report_count",
    "spam_score",
    "created_at",
]
_PK = 2_147_483_647  # reversed once per process, then replaced by each row's pk


def _row_url(viewname, pk, *, argument="object_id"):
    """Return the admin URL of one comment, reversed once per process: a queue page links 100."""
    return cached_reverse(viewname, kwargs={argument: _PK}).replace(str(_PK), str(pk), 1)


@functools.cache
def _row_words(language):
    """Return the words every queue row repeats, translated once per language, not once per row.

    `language` is only the cache key: gettext() answers in the active language.
    """
    return {
        # The admin's own checkbox markup, the row's label in it: one format_html() per row.
        "checkbox": (
            f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{{}}" '
            'class="action-select" aria-label="'
            + gettext("Select this object for an action - {}")
            + '">'
        ),
        "record": gettext("%(approved)d approved, %(removed)d rejected or spam"),
        "no_record": gettext("No earlier comments"),
        "thread": gettext("Thread and history"),
        "only_article": gettext("Only this article’s comments"),
        "spam_score": gettext("Spam score %(score).2f"),
        "just_now": gettext("just now"),
        "ago": gettext("%(age)s ago"),
        "reviewed_by": gettext("Being reviewed by %(name)s"),
    }


class _CountedWords:
    """One of timesince()'s units ("%(num)d hour") in one language, translated once per count."""

    def __init__(self, words):
        self._words = words
        self._by_count = {}

    def __mod__(self, values):
        count = values["num"]
        if count not in self._by_count:
            self._by_count[count] = self._words % values
        return self._by_count[count]


@functools.cache
def _age_words(language):
    """Return timesince()'s words for `language` (the cache key): a page's ages repeat a few."""
    return {unit: _CountedWords(words) for unit, words in TIME_STRINGS.items()}


@functools.lru_cache(maxsize=64)
def _decision_buttons(url, status, language):
    """Return a row's decision buttons, posting to `url`, for a comment of `status`.

    Built once per status and language with a stand-in pk that the row replaces: the queue shows
    50 rows, and formatting every button of every row was a tenth of its time.
    """
    buttons = [
        ("approve", Status.APPROVED, gettext("Approve"), "a"),
        ("reject", Status.REJECTED, gettext("Reject"), "r"),
        ("spam", Status.SPAM, gettext("Spam"), "s"),
    ]
    return format_html(
        '<div class="queue-actions">{}'
        '<button type="submit" class="button queue-ban" formaction="{}" formmethod="post" '
        'name="decision" value="{}" title="{}">{}</button></div>',
        format_html_join(
            "",
            '<button type="submit" class="button" formaction="{}" formmethod="post" '
            'name="decision" value="{}" aria-keyshortcuts="{}">{}</button>',
            ((url, value, key, label) for value, shown, label, key in buttons if shown != status),
        ),
        url,
        BAN,
        gettext("Block their email and IP address and reject every comment of theirs"),
        gettext("Ban author"),
    )


class QueueChangeList(ChangeList):
    """The queue's rows link their comment with the list's filters, formatted once per page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin adds the filters to each row's link itself, resolving the link again to learn
        # that it is a change page: about a tenth of a filtered queue's time. The links come out
        # the same, and the admin's call finds no filters left to add.
        self._row_link = add_preserved_filters(
            {"preserved_filters": self.preserved_filters, "opts": self.opts},
            _row_url("admin:comments_comment_change", _PK),
        )
        self.preserved_filters = ""

    def get_results(self, request):
        super().get_results(request)
        # The page's rows load only what the columns show (the actions' queryset is untouched).
        self.result_list = self.result_list.only(*ROW_FIELDS)

    def url_for_result(self, result):
        return self._row_link.replace(str(_PK), str(result.pk), 1)


class CommentColumns:
    """The moderation queue's columns and the comment page's read-only fields."""

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, comment):
        # The admin's own markup, without its widget template: rendering that once per row was
        # a sixth of the queue's time.
        return format_html(_row_words(get_language())["checkbox"], comment.pk, str(comment))

    @admin.display(description=_("comment"))
    def excerpt(self, comment):
        text = comment.body if len(comment.body) <= 140 else comment.body[:139] + "…"
        return text or gettext("(empty)")

    @admin.display(description=_("author"), ordering="name")
    def author(self, comment):
        words = _row_words(get_language())
        approved, removed = comment.earlier_approved, comment.earlier_removed
        record = (
            words["record"] % {"approved": approved, "removed": removed}
            if approved or removed
            else words["no_record"]
        )
        return format_html(
            '{}<br><small>{}</small><br><small>{}</small><br><a href="{}#thread-context">{}</a>',
            comment.name,
            comment.email or "—",
            record,
            _row_url("admin:comments_comment_change", comment.pk),
            words["thread"],
        )

    @admin.display(description=_("article"))
    def article_link(self, comment):
        return format_html(
            '<a href="?article={}" title="{}">{}</a>',
            comment.article_id,
            _row_words(get_language())["only_article"],
            comment.article.headline,
        )

    @admin.display(description=_("why"))
    def why(self, comment):
        lines = [str(r) for r in comment.reason_list]
        if comment.spam_score is not None:
            # In this column, not one of its own: the queue must fit beside the filters.
            lines.append(_row_words(get_language())["spam_score"] % {"score": comment.spam_score})
        if not lines:
            return "—"
        return mark_safe("<br>".join(map(conditional_escape, lines)))  # noqa: S308 - escaped

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, comment):
        language = get_language()
        words = _row_words(language)
        if comment.created_at > timezone.now() - timedelta(minutes=1):
            age = words["just_now"]
        else:
            since = timesince(comment.created_at, depth=1, time_strings=_age_words(language))
            age = words["ago"] % {"age": since}
        return format_html(
            '<span title="{}">{}</span>', comment.created_at.strftime("%Y-%m-%d %H:%M UTC"), age
        )

    @admin.display(description=_("in reply to"))
    def parent_link(self, comment):
        if not comment.parent_id:
            return "—"
        return format_html(
            '<a href="../../{}/change/">{}</a>',
            comment.parent_id,
            gettext("Comment %(pk)s") % {"pk": comment.parent_id},
        )

    @admin.display(description=_("as readers see it"))
    def as_readers_see_it(self, comment):
        # body_html is derived on save: escaped plain text cleaned by bleach (comments.sanitize).
        return format_html(
            '<div class="comment-body">{}</div>',
            mark_safe(comment.body_html),  # noqa: S308 - bleach-cleaned on save
        )

    @admin.display(description=_("decide"))
    def row_actions(self, comment):
        # Buttons of the changelist form that post to this row's own URL instead (formaction):
        # no nested forms, the form's CSRF token goes along, and it works without JavaScript.
        url = _row_url("admin:comments_comment_moderate", _PK, argument="pk")
        buttons = _decision_buttons(f"{url}?seen={comment.status}", comment.status, get_language())
        # The stand-in pk and the real one are both digits: what format_html escaped stays so.
        buttons = mark_safe(buttons.replace(str(_PK), str(comment.pk)))  # noqa: S308
        if comment.status == Status.HELD and comment.reviewed_by:
            claimed = format_html(
                '<p class="queue-claimed" data-claimed-by="{}">{}</p>',
                comment.reviewed_by,
                _row_words(get_language())["reviewed_by"] % {"name": comment.reviewed_by},
            )
            return claimed + buttons
        return buttons

    @admin.display(description=_("thread"))
    def thread_context(self, comment):
        """Show the whole thread the comment belongs to, this comment marked, in one query."""
        root_id = comment.thread_id or comment.pk
        thread = list(
            Comment.objects.filter(Q(pk=root_id) | Q(thread_id=root_id)).order_by(
                "created_at", "pk"
            )[:THREAD_CONTEXT_LIMIT]
        )
        items = format_html_join(
            "",
            '<li class="queue-thread-item depth-{}"{}><strong>{}</strong> · {} · <em>{}</em>'
            '<div class="comment-body">{}</div></li>',
            (
                (
                    min(each.depth, 3),
                    mark_safe(' aria-current="true"') if each.pk == comment.pk else "",
                    each.name,
                    f"{timezone.localtime(each.created_at):%Y-%m-%d %H:%M %Z}",
                    each.get_status_display(),
                    # body_html is bleach-cleaned on save (comments.sanitize).
                    mark_safe(each.body_html),  # noqa: S308
                )
                for each in thread
            ),
        )
        start = (
            gettext("Replies to a thread on “%(headline)s”.")
            if comment.thread_id
            else gettext("Starts a thread on “%(headline)s”.")
        )
        return format_html(
            '<div id="thread-context"><p>{}</p><ol class="queue-thread">{}</ol></div>',
            start % {"headline": comment.article.headline},
            items,
        )

    @admin.display(description=_("earlier comments"))
    def author_history(self, comment):
        """List the author's earlier comments (same email) with their outcomes, in one query."""
        if not comment.email:
            return gettext("No email address given, so no history.")
        earlier = list(
            Comment.objects.by_email(comment.email)
            .exclude(pk=comment.pk)
            .select_related("article")
            .order_by("-created_at", "-pk")[:AUTHOR_HISTORY_LIMIT]
        )
        if not earlier:
            return gettext("No earlier comments: this is their first.")
        # Looked up once for the list; format_html escapes what it fills in.
        outcome = gettext("{status} on “{headline}”")
        return format_html(
            '<ul id="author-history" class="queue-history">{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · {}: {}</li>',
                (
                    (
                        _row_url("admin:comments_comment_change", each.pk),
                        f"{timezone.localtime(each.created_at):%Y-%m-%d %H:%M %Z}",
                        format_html(
                            outcome,
                            status=format_html("<strong>{}</strong>", each.get_status_display()),
                            headline=each.article.headline,
                        ),
                        each.body if len(each.body) <= 140 else each.body[:139] + "…",
                    )
                    for each in earlier
                ),
            ),
        )
