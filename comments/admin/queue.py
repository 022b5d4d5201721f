"""The moderation queue: CommentAdmin, its inlines and its change form."""

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from comments import caching, claims, moderation, sla
from comments.models import SPAM_SCORE_ORDER, Comment, ModerationAction, Reason, Report, count_of
from newsroom.admin import ReadOnlyAdminMixin

from .columns import CommentColumns
from .counts import CappedCountPaginator, forget_status_counts, status_counts
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


# Built once, not per view (a few percent of the queue's time): annotate() resolves a copy.
EARLIER_APPROVED = _earlier_by_same_email(Status.APPROVED)
EARLIER_REMOVED = _earlier_by_same_email(Status.REJECTED, Status.SPAM)


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = False


class ReasonInline(ReadOnlyInline):
    model = Reason
    fields = ["rule", "detail", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("why it was held or marked spam")


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ["reason", "created_at", "user", "ip_address", "weight", "dismissed_at"]
    readonly_fields = fields
    verbose_name_plural = _("reports from readers")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class ModerationActionInline(ReadOnlyInline):
    model = ModerationAction
    fields = ["changed_at", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields
    verbose_name_plural = _("audit trail")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class CommentAdminForm(forms.ModelForm):
    moderation_note = forms.CharField(
        required=False,
        max_length=500,
        help_text=_("Optional: why you changed the status. Kept in the audit trail."),
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
    search_help_text = _("Search the text, name, email address or exact IP address.")
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
            _("Comment"),
            {"fields": ["as_readers_see_it", "body", "article_link", "parent_link", "created_at"]},
        ),
        (_("Author"), {"fields": ["name", "email", "ip_address", "notify_replies"]}),
        (_("Thread"), {"fields": ["thread_context"]}),
        (_("The author’s earlier comments"), {"fields": ["author_history"]}),
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
            # A list, not a manager per row: prefetching into `reasons` builds 50 querysets.
            .prefetch_related(Prefetch("reasons", to_attr="reason_list"))
            .annotate(
                earlier_approved=EARLIER_APPROVED,
                earlier_removed=EARLIER_REMOVED,
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
            "title": gettext("Moderation queue"),
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
                request,
                gettext("Saved: %(name)s’s comment is %(status)s.")
                % {"name": obj.name, "status": obj.get_status_display()},
            )
            following = claims.next_for(request.user, obj)
            if following is None:
                self.message_user(request, gettext("No other held comment is waiting for you."))
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
        self.message_user(request, done % {"count": count})

    @admin.action(description=_("Approve selected comments"), permissions=["moderate"])
    def approve(self, request, queryset):
        done = ngettext_lazy("%(count)d comment approved.", "%(count)d comments approved.", "count")
        self._decide(request, queryset, moderation.approve, done)

    @admin.action(description=_("Reject selected comments"), permissions=["moderate"])
    def reject(self, request, queryset):
        done = ngettext_lazy("%(count)d comment rejected.", "%(count)d comments rejected.", "count")
        self._decide(request, queryset, moderation.reject, done)

    @admin.action(description=_("Mark selected comments as spam"), permissions=["moderate"])
    def mark_spam(self, request, queryset):
        done = ngettext_lazy(
            "%(count)d comment marked as spam.", "%(count)d comments marked as spam.", "count"
        )
        self._decide(request, queryset, moderation.mark_spam, done)

    @admin.action(
        description=_("Ban authors: block their email and IP, reject all their comments"),
        permissions=["moderate"],
    )
    def ban_author(self, request, queryset):
        rejected = sum(moderation.ban_author(c, by=request.user) for c in queryset)
        self.message_user(
            request,
            ngettext(
                "Blocked the authors’ email addresses and IPs; %(count)d comment rejected.",
                "Blocked the authors’ email addresses and IPs; %(count)d comments rejected.",
                rejected,
            )
            % {"count": rejected},
            messages.SUCCESS,
        )
