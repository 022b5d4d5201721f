from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from newsroom import pagecache
from newsroom.cache import CacheUnavailable

from . import caching, claims, clusters, moderation, sla, staffing
from .models import (
    SPAM_SCORE_ORDER,
    ArticlePolicy,
    Comment,
    CommentCluster,
    DeskSchedule,
    ListEntry,
    ModerationAction,
    Reason,
    Report,
    SpamModel,
    StaffedShift,
)

Status = Comment.Status

# The queue's per-status counts, cached under the newest comment and the newest decision: a new
# comment, or any status change (every decision writes a ModerationAction), moves one of them, so
# the counts stay exact at the cost of one index lookup per view, and comment POSTs pay nothing.
# The timeout bounds how long a change that moves neither stays unseen (a deleted comment, or a
# QuerySet.update() without an audit row); the queue's own delete actions forget the counts.
STATUS_COUNTS_KEY = "comments:queue:status-counts"
STATUS_COUNTS_SECONDS = 30


def _newest_ids():
    newest = Comment.objects.order_by().values(
        comment=Subquery(Comment.objects.order_by("-pk").values("pk")[:1]),
        action=Subquery(ModerationAction.objects.order_by("-pk").values("pk")[:1]),
    )[:1]
    return tuple(newest[0].values()) if newest else (None, None)


def _count_of(queryset):
    """Return a subquery counting the queryset's rows (0 when none)."""
    count = queryset.order_by().values(n=Func(template="COUNT(*)", output_field=IntegerField()))
    return Coalesce(Subquery(count), 0)


def status_counts():
    """Return {status: count} for every status, from the cache or with one query.

    One COUNT(*) per status, each an index-only scan of comment_status_created: about 9 ms for
    100,000 comments on PostgreSQL, where GROUP BY status over the table takes 30-50 ms.
    """
    version = _newest_ids()
    try:
        cached = cache.get(STATUS_COUNTS_KEY)
    except CacheUnavailable:
        cached = None
    if cached and cached[0] == version:
        return cached[1]
    counts = dict.fromkeys(Status.values, 0)
    per_status = {value: _count_of(Comment.objects.filter(status=value)) for value in Status.values}
    oldest = Comment.objects.held().filter(held_at__isnull=False).order_by("held_at")
    # The outer query only carries the subqueries: one row (none when there are no comments).
    row = Comment.objects.order_by().values(
        **per_status, oldest_held_at=Subquery(oldest.values("held_at")[:1])
    )[:1]
    counts["oldest_held_at"] = None
    counts.update(row[0] if row else {})
    try:
        cache.set(STATUS_COUNTS_KEY, (version, counts), STATUS_COUNTS_SECONDS)
    except CacheUnavailable:
        pass  # counted again on the next view
    return counts


def forget_status_counts():
    try:
        cache.delete(STATUS_COUNTS_KEY)
    except CacheUnavailable:
        pass


class CappedCountPaginator(Paginator):
    """Count at most CAP rows, so a queue of 100,000 comments never runs a full COUNT."""

    CAP = 10_000

    @cached_property
    def count(self):
        # Only the ids: the queue's per-row annotations would otherwise run for every counted row.
        return self.object_list.order_by().values("pk")[: self.CAP + 1].count()

    @property
    def is_capped(self):
        return self.count > self.CAP


class StatusFilter(admin.SimpleListFilter):
    """Open on the held queue; each status shows its count."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        counts = model_admin.status_counts(request)
        choices = [(value, f"{label} ({counts[value]:,})") for value, label in Status.choices]
        return [*choices, (self.ALL, "All")]

    def queryset(self, request, queryset):
        value = self.value() or Status.HELD
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value) if value in Status.values else queryset.none()

    def choices(self, changelist):
        current = self.value() or Status.HELD
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class ReasonFilter(admin.SimpleListFilter):
    title = "reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return Reason.Rule.choices

    def queryset(self, request, queryset):
        if self.value() in Reason.Rule.values:
            # EXISTS, not a join: no duplicate rows and no DISTINCT over the whole queue.
            rule = Reason.objects.filter(comment=OuterRef("pk"), rule=self.value())
            return queryset.filter(Exists(rule))
        return queryset


class SpamScoreFilter(admin.SimpleListFilter):
    """Highest spam scores first, or one band of them (sorted too), with the bulk "mark all 0.99
    and above as spam" link."""

    title = "spam score"
    parameter_name = "score"
    template = "admin/comments/comment/spam_score_filter.html"
    BANDS = {
        "top": ("Highest first", Q()),
        "0.99": ("0.99 and above", Q(spam_score__gte=0.99)),
        "0.9": ("0.90 to 0.99", Q(spam_score__gte=0.9, spam_score__lt=0.99)),
        "0.5": ("0.50 to 0.90", Q(spam_score__gte=0.5, spam_score__lt=0.9)),
        "0": ("Below 0.50", Q(spam_score__lt=0.5)),
        "none": ("Not scored", Q(spam_score__isnull=True)),
    }
    SORTED = set(BANDS) - {"none"}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.BANDS:
            return queryset.filter(self.BANDS[self.value()][1])
        return queryset

    def bulk_url(self):
        return reverse("admin:comments_comment_mark_likely_spam")


class ClusterFilter(admin.SimpleListFilter):
    """Filter by spam wave: the waves' list links here; the sidebar offers the selected one."""

    title = "spam wave"
    parameter_name = "cluster"

    def lookups(self, request, model_admin):
        if self.value() and self.value().isdigit():
            return [(self.value(), f"Spam wave {self.value()}")]
        return []

    def has_output(self):
        return bool(self.value())

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(cluster_id=self.value())
        return queryset


class ArticleFilter(admin.SimpleListFilter):
    """Filter by article: the column links here; the sidebar offers the selected one only."""

    title = "article"
    parameter_name = "article"

    def lookups(self, request, model_admin):
        from articles.models import Article

        if self.value() and self.value().isdigit():
            article = Article.objects.filter(pk=self.value()).first()
            if article:
                return [(str(article.pk), article.headline)]
        return []

    def has_output(self):
        return bool(self.value())

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(article_id=self.value())
        return queryset


def _earlier_by_same_email(*statuses):
    # Comments of the same author, by the (email, status) index; guests without email have none.
    return _count_of(
        Comment.objects.filter(email=OuterRef("email"), status__in=statuses)
        .exclude(email="")
        .exclude(pk=OuterRef("pk"))
    )


# The one-click decisions of a queue row: the POST value, the moderation verb, the past tense.
ROW_DECISIONS = {
    "approve": (moderation.approve, "approved"),
    "reject": (moderation.reject, "rejected"),
    "spam": (moderation.mark_spam, "marked as spam"),
}
BAN = "ban"
THREAD_CONTEXT_LIMIT = 50
AUTHOR_HISTORY_LIMIT = 20


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReasonInline(ReadOnlyInline):
    model = Reason
    fields = ["rule", "detail", "created"]
    readonly_fields = fields
    verbose_name_plural = "why it was held or marked spam"


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ["reason", "created", "user", "ip_address", "weight", "dismissed_at"]
    readonly_fields = fields
    verbose_name_plural = "reports from readers"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class ModerationActionInline(ReadOnlyInline):
    model = ModerationAction
    fields = ["created", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields
    verbose_name_plural = "audit trail"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class CommentAdminForm(forms.ModelForm):
    moderation_note = forms.CharField(
        required=False,
        max_length=500,
        help_text="Optional: why you changed the status. Kept in the audit trail.",
    )

    class Meta:
        model = Comment
        fields = ["status", "moderation_note"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """The moderation queue."""

    form = CommentAdminForm
    list_display = [
        "excerpt",
        "author",
        "article_link",
        "status",
        "why",
        "report_count",
        "age",
        "row_actions",
    ]
    list_display_links = ["excerpt"]
    list_filter = [StatusFilter, ReasonFilter, SpamScoreFilter, ArticleFilter, ClusterFilter]
    list_select_related = ["article"]
    search_fields = ["body", "name", "email", "=ip_address"]
    search_help_text = "Search the text, name, email address or exact IP address."
    ordering = ["-created", "-pk"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan the whole table per filter
    paginator = CappedCountPaginator
    actions = ["approve", "reject", "mark_spam", "ban_author"]
    readonly_fields = [
        "article_link",
        "name",
        "email",
        "ip_address",
        "created",
        "parent_link",
        "body",
        "as_readers_see_it",
        "report_count",
        "notify_replies",
        "thread_context",
        "author_history",
    ]
    fieldsets = [
        (None, {"fields": ["status", "moderation_note"]}),
        (
            "Comment",
            {"fields": ["as_readers_see_it", "body", "article_link", "parent_link", "created"]},
        ),
        ("Author", {"fields": ["name", "email", "ip_address", "notify_replies"]}),
        ("Thread", {"fields": ["thread_context"]}),
        ("The author’s earlier comments", {"fields": ["author_history"]}),
    ]
    inlines = [ReasonInline, ReportInline, ModerationActionInline]

    class Media:
        css = {"all": ["comments/admin/queue.css"]}
        js = ["comments/admin/queue.js"]

    # --- Permissions: model permissions, plus moderate_comment for the decisions -------------

    def has_add_permission(self, request):
        return False  # comments come from readers

    def has_moderate_permission(self, request):
        return request.user.has_perm("comments.moderate_comment")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.has_moderate_permission(request)

    # --- The list ----------------------------------------------------------------------------

    def get_queryset(self, request):
        # The author's track record, counted in the page's own query, for the rows shown only.
        return (
            super()
            .get_queryset(request)
            .prefetch_related("reasons")
            .annotate(
                earlier_approved=_earlier_by_same_email(Status.APPROVED),
                earlier_removed=_earlier_by_same_email(Status.REJECTED, Status.SPAM),
                reviewed_by=claims.claimed_by_others(request.user),
            )
        )

    def get_list_display(self, request):
        if self.has_moderate_permission(request):
            return self.list_display
        return [name for name in self.list_display if name != "row_actions"]

    def status_counts(self, request):
        if not hasattr(request, "_comment_status_counts"):
            request._comment_status_counts = status_counts()
        return request._comment_status_counts

    def changelist_view(self, request, extra_context=None):
        oldest = self.status_counts(request)["oldest_held_at"]
        extra_context = {
            "title": "Moderation queue",
            **(extra_context or {}),
            "status_counts": self._count_links(request),
            "oldest_wait": sla.describe_wait(timezone.now() - oldest) if oldest else None,
        }
        return super().changelist_view(request, extra_context)

    def desk_view(self, request):
        """The desk's figures: queue, waiting times per day and moderator, backlog per article."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = request.GET.get("days", "")
        days = int(days) if days.isdigit() and 1 <= int(days) <= 90 else 7
        context = {
            **self.admin_site.each_context(request),
            "title": "Moderation desk: waiting times",
            "opts": self.opts,
            "figures": sla.desk_figures(days=days),
            "alert_minutes": settings.NEWSROOM_COMMENTS_SLA_ALERT_MINUTES,
            "day_choices": [1, 7, 30],
        }
        return TemplateResponse(request, "admin/comments/comment/desk.html", context)

    def _count_links(self, request):
        counts = self.status_counts(request)
        return [(value, label, counts[value]) for value, label in Status.choices]

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

    def get_ordering(self, request):
        if request.GET.get(SpamScoreFilter.parameter_name) in SpamScoreFilter.SORTED:
            return [SPAM_SCORE_ORDER.desc(), "-pk"]
        return super().get_ordering(request)

    @admin.display(description="age", ordering="created")
    def age(self, comment):
        age = timesince(comment.created, depth=1)
        return format_html(
            '<span title="{}">{}</span>',
            comment.created.strftime("%Y-%m-%d %H:%M UTC"),
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
            'name="decision" value="{}" title="Block their email and IP address and mark every '
            'held comment of theirs as spam">Ban author</button></div>',
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
            Comment.objects.filter(Q(pk=root_id) | Q(thread_id=root_id)).order_by("created", "pk")[
                :THREAD_CONTEXT_LIMIT
            ]
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
                    f"{timezone.localtime(each.created):%Y-%m-%d %H:%M %Z}",
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
            .order_by("-created", "-pk")[:AUTHOR_HISTORY_LIMIT]
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
                        f"{timezone.localtime(each.created):%Y-%m-%d %H:%M %Z}",
                        each.get_status_display(),
                        each.article.headline,
                        each.body if len(each.body) <= 140 else each.body[:139] + "…",
                    )
                    for each in earlier
                ),
            ),
        )

    # --- Decisions ---------------------------------------------------------------------------

    def get_urls(self):
        moderate = path(
            "<int:pk>/moderate/",
            self.admin_site.admin_view(self.moderate_view),
            name="comments_comment_moderate",
        )
        likely_spam = path(
            "mark-likely-spam/",
            self.admin_site.admin_view(self.mark_likely_spam_view),
            name="comments_comment_mark_likely_spam",
        )
        desk = path(
            "desk/", self.admin_site.admin_view(self.desk_view), name="comments_comment_desk"
        )
        return [moderate, likely_spam, desk, *super().get_urls()]

    def moderate_view(self, request, pk):
        """Apply one row's decision: POST only, permission checked on the comment as stored now."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        comment = Comment.objects.select_related("article").filter(pk=pk).first()
        if comment is None or not self.has_change_permission(request, comment):
            raise PermissionDenied
        decision = request.POST.get("decision")
        seen = request.GET.get("seen")
        if decision not in ROW_DECISIONS and decision != BAN:
            return self._decided(request, "Choose approve, reject, spam or ban.", status=400)
        if seen and seen != comment.status:
            # Someone else decided since this moderator loaded the queue: keep their decision.
            last = comment.actions.select_related("by").order_by("-created", "-pk").first()
            who = f" by {last.actor}" if last else ""
            message = f"Not changed: this comment is already {comment.get_status_display()}{who}."
            return self._decided(request, message, comment=comment, status=409)
        if decision == BAN:
            marked = moderation.ban_author(comment, by=request.user)
            message = (
                f"Banned {comment.name}: email and IP blocked; "
                f"{marked} comment{'s' if marked != 1 else ''} marked as spam."
            )
        else:
            decide, done = ROW_DECISIONS[decision]
            decide(comment, by=request.user)
            message = f"{comment.name}’s comment on “{comment.article.headline}” {done}."
        return self._decided(request, message, comment=comment)

    def _decided(self, request, message, *, comment=None, status=200):
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse(
                {
                    "ok": status == 200,
                    "message": message,
                    "status": comment.status if comment else None,
                    "status_label": comment.get_status_display() if comment else None,
                },
                status=status,
            )
        self.message_user(request, message, messages.SUCCESS if status == 200 else messages.ERROR)
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:comments_comment_changelist")
        return HttpResponseRedirect(back)

    LIKELY_SPAM_SCORE = 0.99

    def mark_likely_spam_view(self, request):
        """Show how many held comments score 0.99 or more; mark them spam once confirmed."""
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        likely = Comment.objects.held().filter(spam_score__gte=self.LIKELY_SPAM_SCORE)
        if request.method == "POST":
            # Only what the moderator saw counted: comments that came in since wait for them.
            last_seen = request.POST.get("last_seen", "")
            chosen = likely.filter(pk__lte=int(last_seen)) if last_seen.isdigit() else likely.none()
            count = 0
            for comment in chosen.order_by("pk"):
                moderation.mark_spam(comment, by=request.user, note="Bulk: score 0.99 or more")
                count += 1
            self.message_user(
                request,
                f"{count} held comment{'s' if count != 1 else ''} scoring 0.99 or more "
                "marked as spam.",
                messages.SUCCESS,
            )
            return redirect(reverse("admin:comments_comment_changelist") + "?status=spam")
        summary = likely.aggregate(count=Count("pk"), last_seen=Max("pk"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Mark likely spam",
            "score": self.LIKELY_SPAM_SCORE,
            "count": summary["count"],
            "last_seen": summary["last_seen"],
            "sample": likely.select_related("article").order_by("-spam_score", "-pk")[:10],
        }
        return TemplateResponse(request, "admin/comments/comment/mark_likely_spam.html", context)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_status_counts()
        caching.retire_article_pages(obj.article_id)

    def delete_queryset(self, request, queryset):
        article_ids = set(queryset.values_list("article_id", flat=True))
        super().delete_queryset(request, queryset)
        forget_status_counts()
        caching.retire_article_pages(*article_ids)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Opening a held comment claims it for a few minutes, unless another moderator has."""
        comment = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if (
            request.method == "GET"
            and comment is not None
            and comment.status == Status.HELD
            and self.has_moderate_permission(request)
        ):
            claim = claims.claim(comment, by=request.user)
            if claim.by_id != request.user.pk:
                extra_context["claimed_by_other"] = claim.by.get_full_name() or claim.by.username
                extra_context["claim_expires_at"] = claim.expires_at
            extra_context["next_comment"] = claims.next_for(request.user, comment)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            new_status = obj.status
            obj.status = form.initial["status"]
            moderation.set_status(
                obj, new_status, by=request.user, note=form.cleaned_data.get("moderation_note", "")
            )

    def response_change(self, request, obj):
        if "_reviewnext" in request.POST:
            self.message_user(
                request, f"Saved: {obj.name}’s comment is {obj.get_status_display()}."
            )
            following = claims.next_for(request.user, obj)
            if following is None:
                self.message_user(request, "No other held comment is waiting for you.")
                return HttpResponseRedirect(reverse("admin:comments_comment_changelist"))
            return HttpResponseRedirect(
                reverse("admin:comments_comment_change", args=[following.pk])
            )
        return super().response_change(request, obj)

    def _decide(self, request, queryset, decide, done):
        count = 0
        for comment in queryset.select_related(None):
            decide(comment, by=request.user)
            count += 1
        self.message_user(request, f"{count} comment{'s' if count != 1 else ''} {done}.")

    @admin.action(description="Approve selected comments", permissions=["moderate"])
    def approve(self, request, queryset):
        self._decide(request, queryset, moderation.approve, "approved")

    @admin.action(description="Reject selected comments", permissions=["moderate"])
    def reject(self, request, queryset):
        self._decide(request, queryset, moderation.reject, "rejected")

    @admin.action(description="Mark selected comments as spam", permissions=["moderate"])
    def mark_spam(self, request, queryset):
        self._decide(request, queryset, moderation.mark_spam, "marked as spam")

    @admin.action(
        description="Ban authors: block their email and IP, mark their held comments spam",
        permissions=["moderate"],
    )
    def ban_author(self, request, queryset):
        marked = sum(moderation.ban_author(c, by=request.user) for c in queryset)
        self.message_user(
            request,
            f"Blocked the authors’ email addresses and IPs; {marked} comments marked as spam.",
            messages.SUCCESS,
        )


@admin.register(ListEntry)
class ListEntryAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "note", "created_by", "created"]
    list_filter = ["kind"]
    search_fields = ["value", "note"]
    fields = ["kind", "value", "note"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class StaffedShiftInline(admin.TabularInline):
    model = StaffedShift
    extra = 1
    verbose_name_plural = "shifts (site time zone)"


@admin.register(DeskSchedule)
class DeskScheduleAdmin(admin.ModelAdmin):
    """Staffed hours per section: every change shows on readers' pages at once."""

    list_display = ["section", "outside", "shift_list"]
    list_select_related = ["section"]
    autocomplete_fields = ["section"]
    inlines = [StaffedShiftInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("shifts")

    @admin.display(description="shifts")
    def shift_list(self, schedule):
        return ", ".join(str(shift) for shift in schedule.shifts.all()) or "None: never staffed"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._schedules_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._schedules_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._schedules_changed()

    def _schedules_changed(self):
        staffing.forget_schedules()
        pagecache.invalidate_site()  # article pages show the form, or not, by the schedule


@admin.register(ArticlePolicy)
class ArticlePolicyAdmin(admin.ModelAdmin):
    list_display = ["article", "mode"]
    list_filter = ["mode"]
    autocomplete_fields = ["article"]
    search_fields = ["article__headline"]


@admin.register(SpamModel)
class SpamModelAdmin(admin.ModelAdmin):
    """The spam filter's versions: what each learned from, how well, and how it did since."""

    list_display = [
        "__str__",
        "trained_at",
        "examples",
        "spam_examples",
        "recall",
        "fp_rate",
        "auc",
        "threshold_display",
        "held_since",
        "live_fp_rate",
        "in_use",
    ]
    list_display_links = ["__str__"]
    fields = [
        "version",
        "trained_at",
        "in_use",
        "examples",
        "spam_examples",
        "last_decision_id",
        "folds",
        "recall",
        "fp_rate",
        "auc",
        "threshold_display",
        "train_seconds",
        "held_since",
        "live_fp_rate",
        "features",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        newest = SpamModel.objects.usable().values("version")[:1]
        in_use = ExpressionWrapper(Q(version=Subquery(newest)), output_field=BooleanField())
        return super().get_queryset(request).with_live_figures().annotate(is_in_use=in_use)

    def has_add_permission(self, request):
        return False  # trained by Celery or `manage.py spam_filter train`

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="recall (cross-validated)")
    def recall(self, model):
        return f"{model.cv_recall:.1%}"

    @admin.display(description="false positives (cross-validated)")
    def fp_rate(self, model):
        return f"{model.cv_fp_rate:.2%}"

    @admin.display(description="ROC AUC")
    def auc(self, model):
        return f"{model.cv_auc:.4f}"

    @admin.display(description="hold threshold")
    def threshold_display(self, model):
        return f"{model.threshold:.3f}"

    @admin.display(description="held since (approved by a moderator)")
    def held_since(self, model):
        return f"{model.held:,} ({model.held_then_approved:,})"

    @admin.display(description="false positives since")
    def live_fp_rate(self, model):
        # Ham it scored: comments a moderator or the pipeline published in the end.
        if not model.scored_ham:
            return "—"
        return f"{model.held_then_approved / model.scored_ham:.2%} of {model.scored_ham:,} ham"

    @admin.display(description="in use", boolean=True)
    def in_use(self, model):
        return bool(model.is_in_use)


@admin.register(CommentCluster)
class CommentClusterAdmin(admin.ModelAdmin):
    """Spam waves, biggest news first: reject or spam a whole wave in one action."""

    list_display = ["__str__", "sample", "size", "senders", "held", "first_seen", "last_seen"]
    list_display_links = ["__str__"]
    actions = ["reject_waves", "spam_waves"]
    fields = ["sample", "size", "senders", "held", "link_domains", "first_seen", "last_seen"]
    readonly_fields = fields
    list_per_page = 50

    def get_queryset(self, request):
        first = Comment.objects.filter(cluster=OuterRef("pk")).order_by("pk").values("body")[:1]
        return super().get_queryset(request).with_figures().annotate(sample_body=Subquery(first))

    def has_add_permission(self, request):
        return False  # waves form from comments

    def has_change_permission(self, request, obj=None):
        return False

    def has_moderate_permission(self, request):
        return request.user.has_perm("comments.moderate_comment")

    @admin.display(description="text of the first comment")
    def sample(self, cluster):
        text = cluster.sample_body or ""
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.display(description="comments", ordering="size")
    def size(self, cluster):
        url = f"{reverse('admin:comments_comment_changelist')}?cluster={cluster.pk}&status=all"
        return format_html('<a href="{}">{}</a>', url, cluster.size)

    @admin.display(description="senders (emails / IPs)")
    def senders(self, cluster):
        return f"{cluster.emails} / {cluster.ips}"

    @admin.display(description="held", ordering="held")
    def held(self, cluster):
        return cluster.held

    @admin.display(description="first seen", ordering="created")
    def first_seen(self, cluster):
        return cluster.created

    @admin.display(description="last seen", ordering="last_seen")
    def last_seen(self, cluster):
        return cluster.last_seen

    @admin.display(description="link domains (blocked when the wave is spammed)")
    def link_domains(self, cluster):
        return ", ".join(clusters.cluster_link_domains(cluster)) or "—"

    @admin.action(
        description="Reject every comment of the selected waves", permissions=["moderate"]
    )
    def reject_waves(self, request, queryset):
        count = sum(clusters.reject_cluster(c, by=request.user) for c in queryset)
        self.message_user(request, f"{count} comment{'s' if count != 1 else ''} rejected.")

    @admin.action(
        description="Mark every comment of the selected waves as spam and block their links",
        permissions=["moderate"],
    )
    def spam_waves(self, request, queryset):
        marked = blocked = 0
        for cluster in queryset:
            m, b = clusters.spam_cluster(cluster, by=request.user)
            marked, blocked = marked + m, blocked + b
        self.message_user(
            request,
            f"{marked} comment{'s' if marked != 1 else ''} marked as spam; "
            f"{blocked} link domain{'s' if blocked != 1 else ''} blocked.",
            messages.SUCCESS,
        )
