"""The moderation queue: CommentAdmin, its inlines and its change form."""

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from comments import caching, claims, moderation, sla
from comments.models import SPAM_SCORE_ORDER, Comment, ModerationAction, Reason, Report

from .columns import CommentColumns
from .counts import CappedCountPaginator, count_of, forget_status_counts, status_counts
from .filters import ArticleFilter, ClusterFilter, ReasonFilter, SpamScoreFilter, StatusFilter
from .views import QueuePages

Status = Comment.Status


def _earlier_by_same_email(*statuses):
    # Comments of the same author, by the (email, status) index; guests without email have none.
    return count_of(
        Comment.objects.filter(email=OuterRef("email"), status__in=statuses)
        .exclude(email="")
        .exclude(pk=OuterRef("pk"))
    )


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
    fields = ["rule", "detail", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "why it was held or marked spam"


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ["reason", "created_at", "user", "ip_address", "weight", "dismissed_at"]
    readonly_fields = fields
    verbose_name_plural = "reports from readers"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class ModerationActionInline(ReadOnlyInline):
    model = ModerationAction
    fields = ["changed_at", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields
    verbose_name_plural = "audit trail"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


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
class CommentAdmin(CommentColumns, QueuePages, admin.ModelAdmin):
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
    ordering = ["-created_at", "-pk"]
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
        "created_at",
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
            {"fields": ["as_readers_see_it", "body", "article_link", "parent_link", "created_at"]},
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

    def _count_links(self, request):
        counts = self.status_counts(request)
        return [(value, label, counts[value]) for value, label in Status.choices]

    def get_ordering(self, request):
        if request.GET.get(SpamScoreFilter.parameter_name) in SpamScoreFilter.SORTED:
            return [SPAM_SCORE_ORDER.desc(), "-pk"]
        return super().get_ordering(request)

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
        description="Ban authors: block their email and IP, reject all their comments",
        permissions=["moderate"],
    )
    def ban_author(self, request, queryset):
        rejected = sum(moderation.ban_author(c, by=request.user) for c in queryset)
        self.message_user(
            request,
            f"Blocked the authors’ email addresses and IPs; {rejected} comments rejected.",
            messages.SUCCESS,
        )
