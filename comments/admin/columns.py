"""What a queue row shows, and the read-only parts of a comment's page."""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comments.models import Comment
from newsroom.reversing import cached_reverse

from .views import BAN

Status = Comment.Status
THREAD_CONTEXT_LIMIT = 50
AUTHOR_HISTORY_LIMIT = 20
_PK = 2_147_483_647  # reversed once per process, then replaced by each row's pk


def _row_url(viewname, pk, *, argument="object_id"):
    """Return the admin URL of one comment, reversed once per process: a queue page links 100."""
    return cached_reverse(viewname, kwargs={argument: _PK}).replace(str(_PK), str(pk), 1)


class CommentColumns:
    """The moderation queue's columns and the comment page's read-only fields."""

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, comment):
        # The admin's own markup, without its widget template: rendering that once per row was
        # a sixth of the queue's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            comment.pk,
            format_html(gettext("Select this object for an action - {}"), str(comment)),
        )

    @admin.display(description=_("comment"))
    def excerpt(self, comment):
        text = comment.body if len(comment.body) <= 140 else comment.body[:139] + "…"
        return text or gettext("(empty)")

    @admin.display(description=_("author"), ordering="name")
    def author(self, comment):
        approved, removed = comment.earlier_approved, comment.earlier_removed
        record = (
            gettext("%(approved)d approved, %(removed)d rejected or spam")
            % {"approved": approved, "removed": removed}
            if approved or removed
            else gettext("No earlier comments")
        )
        return format_html(
            '{}<br><small>{}</small><br><small>{}</small><br><a href="{}#thread-context">{}</a>',
            comment.name,
            comment.email or "—",
            record,
            _row_url("admin:comments_comment_change", comment.pk),
            gettext("Thread and history"),
        )

    @admin.display(description=_("article"))
    def article_link(self, comment):
        return format_html(
            '<a href="?article={}" title="{}">{}</a>',
            comment.article_id,
            gettext("Only this article’s comments"),
            comment.article.headline,
        )

    @admin.display(description=_("why"))
    def why(self, comment):
        lines = [str(r) for r in comment.reasons.all()]
        if comment.spam_score is not None:
            # In this column, not one of its own: the queue must fit beside the filters.
            lines.append(gettext("Spam score %(score).2f") % {"score": comment.spam_score})
        if not lines:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, comment):
        age = timesince(comment.created_at, depth=1)
        return format_html(
            '<span title="{}">{}</span>',
            comment.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            gettext("just now")
            if comment.created_at > timezone.now() - timedelta(minutes=1)
            else gettext("%(age)s ago") % {"age": age},
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
        url = _row_url("admin:comments_comment_moderate", comment.pk, argument="pk")
        url = f"{url}?seen={comment.status}"
        buttons = [
            ("approve", Status.APPROVED, gettext("Approve"), "a"),
            ("reject", Status.REJECTED, gettext("Reject"), "r"),
            ("spam", Status.SPAM, gettext("Spam"), "s"),
        ]
        claimed = ""
        if comment.status == Status.HELD and comment.reviewed_by:
            claimed = format_html(
                '<p class="queue-claimed" data-claimed-by="{}">{}</p>',
                comment.reviewed_by,
                gettext("Being reviewed by %(name)s") % {"name": comment.reviewed_by},
            )
        return format_html(
            '{}<div class="queue-actions">{}'
            '<button type="submit" class="button queue-ban" formaction="{}" formmethod="post" '
            'name="decision" value="{}" title="{}">{}</button></div>',
            claimed,
            format_html_join(
                "",
                '<button type="submit" class="button" formaction="{}" formmethod="post" '
                'name="decision" value="{}" aria-keyshortcuts="{}">{}</button>',
                (
                    (url, value, key, label)
                    for value, outcome, label, key in buttons
                    if outcome != comment.status
                ),
            ),
            url,
            BAN,
            gettext("Block their email and IP address and reject every comment of theirs"),
            gettext("Ban author"),
        )

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
