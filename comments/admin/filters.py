"""The queue's sidebar filters."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from comments.models import Comment, Reason

Status = Comment.Status


class StatusFilter(admin.SimpleListFilter):
    """Open on the held queue; each status shows its count."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        counts = model_admin.status_counts(request)
        choices = [(value, f"{label} ({counts[value]:,})") for value, label in Status.choices]
        return [*choices, (self.ALL, _("All"))]

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
    title = _("reason")
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

    title = _("spam score")
    parameter_name = "score"
    template = "admin/comments/comment/spam_score_filter.html"
    BANDS = {
        "top": (_("Highest first"), Q()),
        "0.99": (_("0.99 and above"), Q(spam_score__gte=0.99)),
        "0.9": (_("0.90 to 0.99"), Q(spam_score__gte=0.9, spam_score__lt=0.99)),
        "0.5": (_("0.50 to 0.90"), Q(spam_score__gte=0.5, spam_score__lt=0.9)),
        "0": (_("Below 0.50"), Q(spam_score__lt=0.5)),
        "none": (_("Not scored"), Q(spam_score__isnull=True)),
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


class LinkedIdFilter(admin.SimpleListFilter):
    """Filter by the id a link elsewhere in the admin put in the URL; the sidebar offers only that.

    Subclasses name the foreign key (`field`) and the selected choice (`choice()`).
    """

    field = None

    def selected_id(self):
        return self.value() if self.value() and self.value().isdigit() else None

    def choice(self, pk):
        """Return the (value, label) the sidebar offers for this id, or None."""
        raise NotImplementedError

    def lookups(self, request, model_admin):
        choice = self.choice(self.selected_id()) if self.selected_id() else None
        return [choice] if choice else []

    def has_output(self):
        return bool(self.value())

    def queryset(self, request, queryset):
        if self.selected_id():
            return queryset.filter(**{self.field: self.selected_id()})
        return queryset


class ClusterFilter(LinkedIdFilter):
    """Filter by spam wave: the waves' list links here."""

    title = _("spam wave")
    parameter_name = "cluster"
    field = "cluster_id"

    def choice(self, pk):
        return (pk, _("Spam wave %(pk)s") % {"pk": pk})


class ArticleFilter(LinkedIdFilter):
    """Filter by article: the queue's article column links here."""

    title = _("article")
    parameter_name = "article"
    field = "article_id"

    def choice(self, pk):
        from articles.models import Article

        article = Article.objects.filter(pk=pk).first()
        return (str(article.pk), article.headline) if article else None
