"""What a queue row shows, and the read-only parts of a comment's page."""

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from comments.models import Comment

from .views import BAN

Status = Comment.Status
THREAD_CONTEXT_LIMIT = 50
AUTHOR_HISTORY_LIMIT = 20


class CommentColumns:
    """The moderation queue's columns and the comment page's read-only fields."""

    @admin.display(description="comment")
    def excerpt(self, comment):
        text = comment.body if len(comment.body) <= 140 else comment.body[:139] + "…"
        return text or "(empty)"

    @admin.display(description="author", ordering="name")
    def author(self, comment):
        approved, removed = comment.earlier_approved, comment.earlier_removed
        record = (
            f"{approved} approved, {removed} rejected or spam"
            if approved or removed
            else "No earlier comments"
        )
        return format_html(
            '{}<br><small>{}</small><br><small>{}</small><br><a href="{}#thread-context">'
            "Thread and history</a>",
            comment.name,
            comment.email or "—",
            record,
            reverse("admin:comments_comment_change", args=[comment.pk]),
        )

    @admin.display(description="article")
    def article_link(self, comment):
        return format_html(
            '<a href="?article={}" title="Only this article’s comments">{}</a>',
            comment.article_id,
            comment.article.headline,
        )

    @admin.display(description="why")
    def why(self, comment):
        lines = [str(r) for r in comment.reasons.all()]
        if comment.spam_score is not None:
            # In this column, not one of its own: the queue must fit beside the filters.
            lines.append(f"Spam score {comment.spam_score:.2f}")
        if not lines:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description="age", ordering="created_at")
    def age(self, comment):
        age = timesince(comment.created_at, depth=1)
        return format_html(
            '<span title="{}">{}</span>',
            comment.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "just now" if age.startswith("0\xa0minutes") else f"{age} ago",
        )

    @admin.display(description="in reply to")
    def parent_link(self, comment):
        if not comment.parent_id:
            return "—"
        return format_html(
            '<a href="../../{}/change/">Comment {}</a>', comment.parent_id, comment.parent_id
        )

    @admin.display(description="as readers see it")
    def as_readers_see_it(self, comment):
        # body_html is derived on save: escaped plain text cleaned by bleach (comments.sanitize).
        return format_html(
            '<div class="comment-body">{}</div>',
            mark_safe(comment.body_html),  # noqa: S308 - bleach-cleaned on save
        )

    @admin.display(description="decide")
    def row_actions(self, comment):
        # Buttons of the changelist form that post to this row's own URL instead (formaction):
        # no nested forms, the form's CSRF token goes along, and it works without JavaScript.
        url = reverse("admin:comments_comment_moderate", args=[comment.pk])
        url = f"{url}?seen={comment.status}"
        buttons = [
            ("approve", Status.APPROVED, "Approve", "a"),
            ("reject", Status.REJECTED, "Reject", "r"),
            ("spam", Status.SPAM, "Spam", "s"),
        ]
        claimed = ""
        if comment.status == Status.HELD and comment.reviewed_by:
            claimed = format_html(
                '<p class="queue-claimed" data-claimed-by="{}">Being reviewed by {}</p>',
                comment.reviewed_by,
                comment.reviewed_by,
            )
        return format_html(
            '{}<div class="queue-actions">{}'
            '<button type="submit" class="button queue-ban" formaction="{}" formmethod="post" '
            'name="decision" value="{}" title="Block their email and IP address and reject every '
            'comment of theirs">Ban author</button></div>',
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
        )

    @admin.display(description="thread")
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
        start = "Replies to a thread" if comment.thread_id else "Starts a thread"
        return format_html(
            '<div id="thread-context"><p>{} on “{}”.</p><ol class="queue-thread">{}</ol></div>',
            start,
            comment.article.headline,
            items,
        )

    @admin.display(description="earlier comments")
    def author_history(self, comment):
        """List the author's earlier comments (same email) with their outcomes, in one query."""
        if not comment.email:
            return "No email address given, so no history."
        earlier = list(
            Comment.objects.by_email(comment.email)
            .exclude(pk=comment.pk)
            .select_related("article")
            .order_by("-created_at", "-pk")[:AUTHOR_HISTORY_LIMIT]
        )
        if not earlier:
            return "No earlier comments: this is their first."
        return format_html(
            '<ul id="author-history" class="queue-history">{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · <strong>{}</strong> on “{}”: {}</li>',
                (
                    (
                        reverse("admin:comments_comment_change", args=[each.pk]),
                        f"{timezone.localtime(each.created_at):%Y-%m-%d %H:%M %Z}",
                        each.get_status_display(),
                        each.article.headline,
                        each.body if len(each.body) <= 140 else each.body[:139] + "…",
                    )
                    for each in earlier
                ),
            ),
        )
