"""The queue's own admin pages: one row's decision, marking likely spam, the desk's figures."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from comments import moderation, sla
from comments.models import Comment

# The one-click decisions of a queue row: the POST value, the moderation verb, what it did.
ROW_DECISIONS = {
    "approve": (moderation.approve, _("%(name)s’s comment on “%(headline)s” approved.")),
    "reject": (moderation.reject, _("%(name)s’s comment on “%(headline)s” rejected.")),
    "spam": (moderation.mark_spam, _("%(name)s’s comment on “%(headline)s” marked as spam.")),
}
BAN = "ban"


class QueuePages:
    """The moderation queue's pages beyond the changelist and the change form."""

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
            return self._decided(
                request, gettext("Choose approve, reject, spam or ban."), status=400
            )
        if seen and seen != comment.status:
            # Someone else decided since this moderator loaded the queue: keep their decision.
            last = (
                comment.actions.select_related("changed_by").order_by("-changed_at", "-pk").first()
            )
            status = comment.get_status_display()
            message = (
                gettext("Not changed: this comment is already %(status)s by %(who)s.")
                % {"status": status, "who": last.actor}
                if last
                else gettext("Not changed: this comment is already %(status)s.")
                % {"status": status}
            )
            return self._decided(request, message, comment=comment, status=409)
        if decision == BAN:
            rejected = moderation.ban_author(comment, by=request.user)
            message = ngettext(
                "Banned %(name)s: email and IP blocked; %(count)d comment rejected.",
                "Banned %(name)s: email and IP blocked; %(count)d comments rejected.",
                rejected,
            ) % {"name": comment.name, "count": rejected}
        else:
            decide, done = ROW_DECISIONS[decision]
            decide(comment, by=request.user)
            message = done % {"name": comment.name, "headline": comment.article.headline}
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
                ngettext(
                    "%(count)d held comment scoring 0.99 or more marked as spam.",
                    "%(count)d held comments scoring 0.99 or more marked as spam.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:comments_comment_changelist") + "?status=spam")
        summary = likely.aggregate(count=Count("pk"), last_seen=Max("pk"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Mark likely spam"),
            "score": self.LIKELY_SPAM_SCORE,
            "count": summary["count"],
            "last_seen": summary["last_seen"],
            "sample": likely.select_related("article").order_by("-spam_score", "-pk")[:10],
        }
        return TemplateResponse(request, "admin/comments/comment/mark_likely_spam.html", context)

    def desk_view(self, request):
        """The desk's figures: queue, waiting times per day and moderator, backlog per article."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = request.GET.get("days", "")
        days = int(days) if days.isdigit() and 1 <= int(days) <= 90 else 7
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Moderation desk: waiting times"),
            "opts": self.opts,
            "figures": sla.desk_figures(days=days),
            "alert_minutes": settings.NEWSROOM_COMMENTS_SLA_ALERT_MINUTES,
            "day_choices": [1, 7, 30],
        }
        return TemplateResponse(request, "admin/comments/comment/desk.html", context)
