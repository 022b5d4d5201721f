"""The spam filter's versions and the spam waves."""

from django.contrib import admin, messages
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from comments import clusters, moderation
from comments.models import Comment, CommentCluster, SpamModel
from newsroom.admin import ReadOnlyAdminMixin, column


@admin.register(SpamModel)
class SpamModelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The spam filter's versions: what each learned from, how well, and how it did since.

    Versions come from training (Celery or `manage.py spam_filter train`), never by hand.
    """

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
    can_delete = True

    def get_queryset(self, request):
        newest = SpamModel.objects.usable().values("version")[:1]
        in_use = ExpressionWrapper(Q(version=Subquery(newest)), output_field=BooleanField())
        return super().get_queryset(request).with_live_figures().annotate(is_in_use=in_use)

    recall = column("cv_recall", description=_("recall (cross-validated)"), spec=".1%")
    fp_rate = column("cv_fp_rate", description=_("false positives (cross-validated)"), spec=".2%")
    auc = column("cv_auc", description=_("ROC AUC"), spec=".4f")
    threshold_display = column("threshold", description=_("hold threshold"), spec=".3f")

    @admin.display(description=_("held since (approved by a moderator)"))
    def held_since(self, model):
        return f"{model.held:,} ({model.held_then_approved:,})"

    @admin.display(description=_("false positives since"))
    def live_fp_rate(self, model):
        # Ham it scored: comments a moderator or the pipeline published in the end.
        if not model.scored_ham:
            return "—"
        return gettext("%(rate)s of %(ham)s ham") % {
            "rate": f"{model.held_then_approved / model.scored_ham:.2%}",
            "ham": f"{model.scored_ham:,}",
        }

    @admin.display(description=_("in use"), boolean=True)
    def in_use(self, model):
        return bool(model.is_in_use)


@admin.register(CommentCluster)
class CommentClusterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Spam waves, biggest news first: reject or spam a whole wave in one action.

    Waves form from comments, never by hand.
    """

    list_display = ["__str__", "sample", "size", "senders", "held", "first_seen", "last_seen"]
    list_display_links = ["__str__"]
    actions = ["reject_waves", "spam_waves"]
    fields = ["sample", "size", "senders", "held", "link_domains", "first_seen", "last_seen"]
    readonly_fields = fields
    can_delete = True
    list_per_page = 50

    def get_queryset(self, request):
        first = Comment.objects.filter(cluster=OuterRef("pk")).order_by("pk").values("body")[:1]
        return super().get_queryset(request).with_figures().annotate(sample_body=Subquery(first))

    def has_moderate_permission(self, request):
        return request.user.has_perm("comments.moderate_comment")

    @admin.display(description=_("text of the first comment"))
    def sample(self, cluster):
        text = cluster.sample_body or ""
        return text if len(text) <= 120 else text[:119] + "…"

    @admin.display(description=_("comments"), ordering="size")
    def size(self, cluster):
        url = f"{reverse('admin:comments_comment_changelist')}?cluster={cluster.pk}&status=all"
        return format_html('<a href="{}">{}</a>', url, cluster.size)

    @admin.display(description=_("senders (emails / IPs)"))
    def senders(self, cluster):
        return f"{cluster.emails} / {cluster.ips}"

    held = column("held", description=_("held"), ordering="held")
    first_seen = column("created_at", description=_("first seen"), ordering="created_at")
    last_seen = column("last_seen", description=_("last seen"), ordering="last_seen")

    @admin.display(description=_("link domains (blocked when the wave is spammed)"))
    def link_domains(self, cluster):
        return ", ".join(clusters.cluster_link_domains(cluster)) or "—"

    @admin.action(
        description=_("Reject every comment of the selected waves"), permissions=["moderate"]
    )
    def reject_waves(self, request, queryset):
        count = sum(moderation.reject_cluster(c, by=request.user) for c in queryset)
        self.message_user(
            request,
            ngettext("%(count)d comment rejected.", "%(count)d comments rejected.", count)
            % {"count": count},
        )

    @admin.action(
        description=_("Mark every comment of the selected waves as spam and block their links"),
        permissions=["moderate"],
    )
    def spam_waves(self, request, queryset):
        marked = blocked = 0
        for cluster in queryset:
            m, b = moderation.spam_cluster(cluster, by=request.user)
            marked, blocked = marked + m, blocked + b
        self.message_user(
            request,
            ngettext(
                "%(count)d comment marked as spam;", "%(count)d comments marked as spam;", marked
            )
            % {"count": marked}
            + " "
            + ngettext("%(count)d link domain blocked.", "%(count)d link domains blocked.", blocked)
            % {"count": blocked},
            messages.SUCCESS,
        )
