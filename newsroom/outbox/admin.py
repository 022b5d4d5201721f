from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from newsroom.admin import ReadOnlyAdminMixin

from .delivery import publish
from .models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every email the site queued: whether it went, and why not; failed ones can be resent."""

    list_display = [
        "created_at",
        "kind",
        "to_address",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to_address", "subject", "key"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    fields = [
        "kind",
        "key",
        "to_address",
        "from_email",
        "reply_to",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "give_up_at",
        "claimed_at",
        "sent_at",
    ]
    readonly_fields = fields
    can_delete = True  # a record; "send again" is the one change (its own permission)

    def has_resend_permission(self, request):
        return request.user.has_perm("outbox.change_message")

    @admin.action(
        description=_("Send the selected failed or cancelled emails again"), permissions=["resend"]
    )
    def send_again(self, request, queryset):
        stopped = list(
            queryset.filter(status__in=[Message.Status.FAILED, Message.Status.CANCELLED])
        )
        for message in stopped:
            message.requeue()
        transaction.on_commit(lambda: publish([message.pk for message in stopped]))
        self.message_user(
            request,
            ngettext(
                "%(count)d email queued again.", "%(count)d emails queued again.", len(stopped)
            )
            % {"count": len(stopped)},
            messages.SUCCESS,
        )
