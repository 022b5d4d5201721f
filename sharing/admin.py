from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from .models import EmailShare, SharedArticle
from .tasks import enqueue_email_share


@admin.register(EmailShare)
class EmailShareAdmin(admin.ModelAdmin):
    """Every share a reader made: who sent what, and whether it went."""

    list_display = [
        "created_at",
        "article",
        "sender_name",
        "sender_email",
        "recipient_count",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "created_at"]
    list_select_related = ["article"]
    search_fields = ["sender_name", "sender_email", "article__headline"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    readonly_fields = [
        "article",
        "sender_name",
        "sender_email",
        "recipients",
        "recipient_count",
        "sent_count",
        "note",
        "status",
        "spam_reason",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the selected failed shares again", permissions=["change"])
    def send_again(self, request, queryset):
        shares = list(queryset.filter(status=EmailShare.Status.FAILED).exclude(recipients=""))
        for share in shares:
            share.requeue()
            transaction.on_commit(partial(enqueue_email_share, share.pk))
        self.message_user(
            request,
            f"{len(shares)} share(s) queued again. Only failed shares that still have their "
            "recipients can be sent again.",
            messages.SUCCESS if shares else messages.WARNING,
        )


@admin.register(SharedArticle)
class SharedArticleAdmin(admin.ModelAdmin):
    """Per article: how often readers emailed it, and how many visits those emails brought."""

    list_display = ["headline", "publish_at", "shares", "emails_sent", "visits"]
    search_fields = ["headline"]
    list_display_links = None

    def get_ordering(self, request):
        # The most emailed first; an annotation, so not allowed in the static `ordering`.
        return ["-emails_sent", "-publish_at"]

    def get_queryset(self, request):
        sent = Q(email_shares__status=EmailShare.Status.SENT)
        # Annotate before ordering: the default ordering sorts on these annotations.
        return (
            self.model._default_manager.annotate(
                shares=Count("email_shares", filter=sent),
                emails_sent=Coalesce(Sum("email_shares__recipient_count", filter=sent), 0),
                # One row per article (a one-to-one join), so Max is just "the" number.
                visits=Coalesce(Max("share_visits__visits"), 0),
            )
            .filter(Q(shares__gt=0) | Q(visits__gt=0))
            .order_by(*self.get_ordering(request))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="shares sent", ordering="shares")
    def shares(self, obj):
        url = reverse("admin:sharing_emailshare_changelist")
        query = urlencode({"article__id__exact": obj.pk})
        return format_html('<a href="{}?{}">{}</a>', url, query, obj.shares)

    @admin.display(description="emails sent", ordering="emails_sent")
    def emails_sent(self, obj):
        return obj.emails_sent

    @admin.display(description="visits from emailed links", ordering="visits")
    def visits(self, obj):
        return obj.visits
