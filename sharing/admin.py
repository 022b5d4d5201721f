from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Func, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from newsroom.admin import ReadOnlyAdminMixin, column
from newsroom.outbox.models import Message

from .models import EmailShare, SharedArticle


def share_messages(shares):
    """Return the outbox messages of the given shares (a queryset of their ids)."""
    return Message.objects.filter(
        kind="share",
        source_type=ContentType.objects.get_for_model(EmailShare),
        source_id__in=shares,
    )


def count_of(queryset):
    return Coalesce(
        Subquery(
            queryset.order_by().values(n=Func(template="COUNT(*)", output_field=IntegerField()))
        ),
        0,
    )


@admin.register(EmailShare)
class EmailShareAdmin(admin.ModelAdmin):
    """Every share a reader made: who sent what; its messages are in the mail outbox."""

    list_display = [
        "created_at",
        "article",
        "sender_name",
        "sender_email",
        "recipient_count",
        "status",
        "messages_sent",
    ]
    list_filter = ["status", "created_at"]
    list_select_related = ["article"]
    search_fields = ["sender_name", "sender_email", "article__headline"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "article",
        "sender_name",
        "sender_email",
        "recipients",
        "recipient_count",
        "note",
        "status",
        "spam_reason",
        "created_at",
        "messages_sent",
    ]

    def get_queryset(self, request):
        one_share = EmailShare.objects.filter(pk=OuterRef(OuterRef("pk"))).values("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_messages=count_of(share_messages(one_share).filter(status=Message.Status.SENT))
            )
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("messages sent"), ordering="sent_messages")
    def messages_sent(self, obj):
        if obj.status == EmailShare.Status.SPAM:
            return "–"
        url = reverse("admin:outbox_message_changelist")
        query = urlencode({"kind": "share", "source_id__exact": obj.pk})
        shown = _("%(sent)s of %(count)s") % {
            "sent": obj.sent_messages,
            "count": obj.recipient_count,
        }
        return format_html('<a href="{}?{}">{}</a>', url, query, shown)


@admin.register(SharedArticle)
class SharedArticleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Per article: how often readers emailed it, and how many visits those emails brought."""

    list_display = ["headline", "publish_at", "shares", "emails_sent", "visits"]
    search_fields = ["headline"]
    list_display_links = None

    def get_ordering(self, request):
        # The most emailed first; an annotation, so not allowed in the static `ordering`.
        return ["-emails_sent", "-publish_at"]

    def get_queryset(self, request):
        shared = Q(email_shares__status=EmailShare.Status.QUEUED)
        article_shares = EmailShare.objects.filter(article=OuterRef(OuterRef("pk"))).values("pk")
        # Annotate before ordering: the default ordering sorts on these annotations.
        return (
            self.model._default_manager.annotate(
                shares=Count("email_shares", filter=shared),
                emails_sent=count_of(
                    share_messages(article_shares).filter(status=Message.Status.SENT)
                ),
                # One row per article (a one-to-one join), so Max is just "the" number.
                visits=Coalesce(Max("share_visits__visits"), 0),
            )
            .filter(Q(shares__gt=0) | Q(visits__gt=0))
            .order_by(*self.get_ordering(request))
        )

    @admin.display(description=_("shares"), ordering="shares")
    def shares(self, obj):
        url = reverse("admin:sharing_emailshare_changelist")
        query = urlencode({"article__id__exact": obj.pk})
        return format_html('<a href="{}?{}">{}</a>', url, query, obj.shares)

    emails_sent = column("emails_sent", description=_("emails sent"), ordering="emails_sent")
    visits = column("visits", description=_("visits from emailed links"), ordering="visits")
