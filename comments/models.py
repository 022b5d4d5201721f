from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .sanitize import render_comment


class CommentQuerySet(models.QuerySet):
    def approved(self):
        """Return comments readers can see."""
        return self.filter(status=Comment.Status.APPROVED)

    def held(self):
        """Return comments waiting for a moderator."""
        return self.filter(status=Comment.Status.HELD)

    def top_level(self):
        """Return comments that start a thread."""
        return self.filter(parent__isnull=True)

    def counts_by_article(self):
        """Return (article id, comments, top-level comments) of each article, as rows."""
        return (
            self.order_by()
            .values("article_id")
            .annotate(total=Count("pk"), top_level=Count("pk", filter=Q(parent__isnull=True)))
            .values_list("article_id", "total", "top_level")
        )

    def page_number_of(self, comment):
        """Return the page of the article's comments on which the comment's thread starts."""
        root = comment.thread if comment.thread_id else comment
        earlier = (
            self.approved()
            .top_level()
            .filter(article_id=comment.article_id)
            .filter(
                Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, pk__lt=root.pk)
            )
        )
        return earlier.count() // settings.NEWSROOM_COMMENTS_PER_PAGE + 1

    def by_email(self, email):
        """Return the comments written with an email address."""
        return self.filter(email=normalize_email(email))


# Unscored comments sort below every score, the same way on SQLite and PostgreSQL (which put
# NULLs first in descending order), and an index on this expression serves the sorted queue.
SPAM_SCORE_ORDER = Coalesce("spam_score", Value(-1.0))


def normalize_email(email):
    return (email or "").strip().lower()


class Comment(models.Model):
    """A reader's comment on an article, stored as plain text and shown once approved."""

    class Status(models.TextChoices):
        HELD = "held", _("Held for moderation")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    # The top-level comment of the thread: one query fetches every reply on a page of threads.
    thread = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+", editable=False
    )
    depth = models.PositiveSmallIntegerField(default=1, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    name = models.CharField(max_length=80)
    email = models.EmailField(blank=True, help_text=_("Never shown publicly."))
    body = models.TextField(_("comment"), help_text=_("Plain text, as the reader wrote it."))
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    notify_replies = models.BooleanField(_("email me replies"), default=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # A digest of the random key in the signed cookie of the browser that posted the comment: in
    # trusted mode, only that browser's later comments are trusted on the strength of this one.
    browser_key = models.CharField(max_length=64, blank=True, editable=False)
    report_count = models.PositiveIntegerField(_("reports"), default=0, editable=False)
    # What the spam filter thought of the comment when it came in (comments.spamfilter); None
    # when no model was in use.
    spam_score = models.FloatField(null=True, blank=True, editable=False)
    spam_model_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The spam wave it came in with (comments.clusters), if any.
    cluster = models.ForeignKey(
        "CommentCluster",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the comment last entered the moderation queue: on posting, or again when readers'
    # reports or a moderator send it back. The queue's waiting times count from here.
    held_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once the comment went out in a moderators' digest, so each is announced once.
    digested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once the parent comment's author was emailed about this reply.
    reply_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The moderation queue: one status, newest first (the admin adds -id as tie-breaker).
            models.Index(fields=["status", "-created_at", "-id"], name="comment_status_created"),
            # The queue's "All" view, and purge_comment_ips' old comments.
            models.Index(fields=["-created_at", "-id"], name="comment_created"),
            # The article page: approved threads of one article, oldest first.
            models.Index(fields=["article", "status", "created_at"], name="comment_article_status"),
            # Replies of a page of threads.
            models.Index(fields=["thread", "status", "created_at"], name="comment_thread_status"),
            # Trusted mode, duplicates, rate of one reader, forget_commenter.
            models.Index(fields=["email", "status"], name="comment_email_status"),
            # The queue sorted by spam score (unscored last), within one status or across all.
            models.Index(
                F("status"), SPAM_SCORE_ORDER.desc(), F("id").desc(), name="comment_status_score"
            ),
            models.Index(SPAM_SCORE_ORDER.desc(), F("id").desc(), name="comment_spam_score"),
            # What each spam filter version did since (its admin page).
            models.Index(fields=["spam_model_version", "status"], name="comment_spam_model"),
            # The desk's figures: queue size and the oldest held comment, one index-only scan.
            models.Index(fields=["status", "held_at"], name="comment_status_held_at"),
        ]
        permissions = [("moderate_comment", "Can approve, reject, mark spam and ban authors")]

    def __str__(self):
        return f"{self.name} on {self.article}"

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        self.body_html = render_comment(self.body)
        if self.status == self.Status.HELD and self.held_at is None:
            self.held_at = self.created_at
        if self.parent_id and self.parent:
            self.thread_id = self.parent.thread_id or self.parent_id
            self.depth = self.parent.depth + 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#comment-{self.pk}"

    def is_public(self):
        """Return True if readers can see the comment."""
        return self.status == self.Status.APPROVED

    def can_have_replies(self):
        """Return True if the thread may grow one more level under this comment."""
        return self.depth < settings.NEWSROOM_COMMENTS_MAX_DEPTH

    @property
    def unsubscribe_token(self):
        """The signed token of the one-click link that stops reply emails for this comment."""
        return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(self.pk))

    @classmethod
    def pk_from_unsubscribe_token(cls, token):
        """Return the comment id a token signs, or None when the signature does not match."""
        try:
            return signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
        except signing.BadSignature:
            return None

    def get_unsubscribe_url(self):
        return reverse("comments:unsubscribe", kwargs={"token": self.unsubscribe_token})


UNSUBSCRIBE_SALT = "comments.unsubscribe"


class Reason(models.Model):
    """Why a comment was held or marked spam: the rule that fired and the text it matched."""

    class Rule(models.TextChoices):
        HONEYPOT = "honeypot", _("Spam trap: hidden field filled in")
        TIMING = "timing", _("Spam trap: form timing or signature")
        BLOCKED_EMAIL = "blocked_email", _("Blocked email address")
        BLOCKED_DOMAIN = "blocked_domain", _("Blocked email domain")
        BLOCKED_IP = "blocked_ip", _("Blocked IP address")
        BLOCKED_TERM = "blocked_term", _("Blocked term")
        LINKS = "links", _("Too many links")
        SPAM_FILTER = "spam_filter", _("Spam filter")
        WAVE = "wave", _("Spam wave")
        BLOCKED_LINK_DOMAIN = "blocked_link", _("Blocked link domain")
        WATCHED_TERM = "watched_term", _("Watched term")
        PRE_MODERATION = "pre", _("Pre-moderation")
        NEW_COMMENTER = "trusted", _("First comment from this email")
        REPORTS = "reports", _("Reported by readers")
        OUTSIDE_HOURS = "hours", _("Outside the desk’s staffed hours")
        BANNED = "banned", _("Author banned")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reasons")
    rule = models.CharField(max_length=20, choices=Rule.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["rule", "comment"], name="reason_rule_comment")]

    def __str__(self):
        # Not get_rule_display(): it hashes every choice's lazy label, translating each, and
        # the moderation queue shows a reason on every row.
        try:
            label = self.Rule(self.rule).label
        except ValueError:  # a rule since retired
            label = self.rule
        return f"{label}: {self.detail}" if self.detail else str(label)


class Report(models.Model):
    """A reader's report that a comment breaks the rules; one per reader per comment."""

    class Why(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abusive or hateful")
        OFF_TOPIC = "off_topic", _("Off-topic")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=10, choices=Why.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_key = models.CharField(max_length=40, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # How much the report counts towards hiding the comment (comments.moderation.report_weight).
    weight = models.PositiveSmallIntegerField(default=1)
    # Set when a moderator approved the comment after the report: it no longer counts.
    dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # report_weight: a signed-in reader's earlier reports.
            models.Index(fields=["user", "comment"], name="report_user_comment"),
        ]
        constraints = [
            # One report per address too: without cookies every POST is a new session.
            models.UniqueConstraint(
                fields=["comment", "ip_address"],
                condition=Q(ip_address__isnull=False),
                name="one_report_per_address",
            ),
            models.UniqueConstraint(
                fields=["comment", "user"],
                condition=Q(user__isnull=False),
                name="one_report_per_user",
            ),
            models.UniqueConstraint(
                fields=["comment", "session_key"],
                condition=Q(user__isnull=True) & ~Q(session_key=""),
                name="one_report_per_session",
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} report on comment {self.comment_id}"


class ModerationAction(models.Model):
    """An audit row: a status change of a comment, by a person or an automatic rule."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="actions")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("moderator"),
    )
    rule = models.CharField(
        max_length=40, blank=True, help_text=_("The automatic rule, when no person acted.")
    )
    from_status = models.CharField(max_length=10, choices=Comment.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Comment.Status.choices)
    note = models.CharField(max_length=500, blank=True)
    # On a decision that took the comment out of the queue: when it had entered it. The
    # desk's waiting times are changed_at - held_since.
    held_since = models.DateTimeField(null=True, blank=True, editable=False)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [
            models.Index(
                fields=["changed_at"],
                condition=Q(held_since__isnull=False),
                name="action_decision_created",
            )
        ]

    def __str__(self):
        start = self.get_from_status_display() or "New"
        return f"{start} → {self.get_to_status_display()}"

    @property
    def actor(self):
        if self.changed_by_id:
            return str(self.changed_by)
        return f"Automatic: {self.rule}" if self.rule else "Automatic"


class Claim(models.Model):
    """A moderator reviewing a held comment, until the claim expires."""

    comment = models.OneToOneField(
        Comment, on_delete=models.CASCADE, primary_key=True, related_name="claim"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"{self.by} reviewing comment {self.comment_id} until {self.expires_at:%H:%M}"


class DeskSchedule(models.Model):
    """The weekly hours the moderators' desk covers a section, and what happens outside them."""

    class Outside(models.TextChoices):
        PRE = "pre", _("Hold every new comment until the desk opens")
        CLOSED = "closed", _("Close commenting until the desk opens")

    section = models.OneToOneField(
        "articles.Section", on_delete=models.CASCADE, related_name="desk_schedule"
    )
    outside = models.CharField(
        _("outside staffed hours"),
        max_length=10,
        choices=Outside.choices,
        default=Outside.PRE,
        help_text=_("Only ever tightens: a closed or pre-moderated article stays so."),
    )

    class Meta:
        verbose_name = _("staffed hours")
        verbose_name_plural = _("staffed hours")

    def __str__(self):
        return f"Staffed hours of {self.section}"


class StaffedShift(models.Model):
    """One weekly stretch of staffed hours, in the site's time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    schedule = models.ForeignKey(DeskSchedule, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField(help_text=_("At or before the start: the shift runs past midnight."))

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name = _("shift")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class ListEntry(models.Model):
    """A moderator-edited entry on the blocked (→ spam) or watched (→ held) lists."""

    class Kind(models.TextChoices):
        BLOCKED_TERM = "blocked_term", _("Blocked term")
        BLOCKED_EMAIL = "blocked_email", _("Blocked email address")
        BLOCKED_DOMAIN = "blocked_domain", _("Blocked email domain")
        BLOCKED_IP = "blocked_ip", _("Blocked IP address or network")
        BLOCKED_LINK_DOMAIN = "blocked_link", _("Blocked link domain")
        WATCHED_TERM = "watched_term", _("Watched term")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(
        max_length=200,
        help_text=(
            "Terms match whole words in any case, also with extra spaces or look-alike letters. "
            "Domains (of email addresses or of links) also block their subdomains. "
            "IPs may be a network such as 203.0.113.0/24."
        ),
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("blocked or watched entry")
        verbose_name_plural = _("blocked and watched lists")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="unique_list_entry")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs):
        self.value = self.value.strip().lower()
        super().save(*args, **kwargs)


class ArticlePolicy(models.Model):
    """A per-article override of the site's comment moderation mode."""

    class Mode(models.TextChoices):
        PRE = "pre", _("Pre-moderation: hold every comment")
        TRUSTED = "trusted", _("Trusted: hold first-time commenters")
        POST = "post", _("Post-moderation: publish at once")

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, related_name="comment_policy"
    )
    mode = models.CharField(_("moderation mode"), max_length=10, choices=Mode.choices)

    class Meta:
        verbose_name = _("article moderation mode")
        verbose_name_plural = _("article moderation modes")

    def __str__(self):
        return f"{self.article}: {self.get_mode_display()}"


class SpamModelQuerySet(models.QuerySet):
    def usable(self):
        """Return models trained on enough decisions to score comments, newest first."""
        enough = settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS
        return self.filter(examples__gte=enough).order_by("-version")

    def with_live_figures(self):
        """Annotate what each model did since: comments it held, of those how many a moderator
        approved, and the ham it scored (comments approved in the end)."""
        scored = Comment.objects.filter(spam_model_version=OuterRef("version"))
        held = scored.filter(
            Exists(Reason.objects.filter(comment=OuterRef("pk"), rule=Reason.Rule.SPAM_FILTER))
        )
        approved_by_person = ModerationAction.objects.filter(
            comment=OuterRef("pk"), changed_by__isnull=False, to_status=Comment.Status.APPROVED
        )
        return self.annotate(
            held=count_of(held),
            held_then_approved=count_of(held.filter(Exists(approved_by_person))),
            scored_ham=count_of(scored.filter(status=Comment.Status.APPROVED)),
        )


def count_of(queryset):
    """Return a subquery counting the queryset's rows (0 when none)."""
    count = queryset.order_by().values(n=Func(template="COUNT(*)", output_field=IntegerField()))
    return Coalesce(Subquery(count), 0)


class SpamModel(models.Model):
    """A trained spam filter stored as plain numbers, so every app server scores alike.

    The features are hashed (stateless), so weights, intercept, the sigmoid that turns a margin
    into a score, and the hold threshold are the whole model. Never a pickle.
    """

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(default=timezone.now)
    examples = models.PositiveIntegerField(_("decisions learned from"))
    spam_examples = models.PositiveIntegerField(_("of which spam"))
    last_decision_id = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("The newest moderator decision (audit row id) it learned from."),
    )
    features = models.JSONField(help_text=_("How text becomes numbers: n-gram ranges, hash sizes."))
    weight_index = models.BinaryField(help_text=_("Feature numbers with a weight (int32)."))
    weight_value = models.BinaryField(help_text=_("Their weights (float32)."))
    intercept = models.FloatField()
    score_slope = models.FloatField()
    score_offset = models.FloatField()
    threshold = models.FloatField(help_text=_("Comments scoring at least this are held."))
    folds = models.PositiveSmallIntegerField()
    cv_recall = models.FloatField(_("cross-validated spam recall"))
    cv_fp_rate = models.FloatField(_("cross-validated false-positive rate"))
    cv_auc = models.FloatField(_("cross-validated ROC AUC"))
    train_seconds = models.FloatField()

    objects = SpamModelQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("spam filter model")

    def __str__(self):
        return f"Spam filter v{self.version}"


class CommentClusterQuerySet(models.QuerySet):
    def with_figures(self):
        """Annotate size, distinct senders and held comments, for the clusters' list."""
        return self.annotate(
            size=Count("comments"),
            emails=Count("comments__email", distinct=True),
            ips=Count("comments__ip_address", distinct=True),
            held=Count("comments", filter=Q(comments__status=Comment.Status.HELD)),
        )


class CommentCluster(models.Model):
    """A spam wave: near-identical comments, or links to one domain, from several senders."""

    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    objects = CommentClusterQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen", "-pk"]
        verbose_name = _("spam wave")

    def __str__(self):
        return f"Spam wave {self.pk}"


class ClusterKey(models.Model):
    """A key a recent comment left for later ones to meet: a MinHash band or a link domain."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "created_at"], name="cluster_key_created")]

    def __str__(self):
        return f"Key {self.key} of comment {self.comment_id}"
