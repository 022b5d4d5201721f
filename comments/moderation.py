"""Every change of a comment's status: the automatic pipeline for new comments, and the
moderators' decisions. Views, admin actions, tasks and commands all call these functions, and
each writes its audit row in the same transaction as the change.
"""

import hashlib
import ipaddress
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from articles.models import Article
from newsroom import ratelimit, spamtraps

from . import caching, clusters, notifications, spamfilter, staffing, tasks
from .models import (
    ArticlePolicy,
    Comment,
    ListEntry,
    ModerationAction,
    Reason,
    Report,
    normalize_email,
)
from .sanitize import count_links, link_domains, render_comment

Status = Comment.Status
Rule = Reason.Rule
TRAP_RULES = {spamtraps.HONEYPOT: Rule.HONEYPOT, spamtraps.TIMING: Rule.TIMING}


class Refused(Exception):
    """A submission turned away with a message for the reader; nothing was stored."""

    status_code = 400

    def __init__(self, message, *, retry_after=None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class CommentsClosed(Refused):
    status_code = 403


class RateLimited(Refused):
    status_code = 429


class Duplicate(Refused):
    status_code = 400


class ArticleGone(Refused):
    """The article was deleted, unpublished or taken down while the comment was on its way."""

    status_code = 404


# --- Matching terms, robust to simple evasion ----------------------------------------------

# Letters that NFKC leaves alone but that look like Latin ones (Cyrillic and Greek).
LOOKALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x",
    }
)  # fmt: skip
INVISIBLE = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def normalize_with_map(text):
    """Return text folded for matching (NFKC, case, look-alikes, no invisible characters), and
    for each folded character the index of the original one it came from."""
    folded, origin = [], []
    for index, char in enumerate(text):
        if char in INVISIBLE:
            continue
        for out in unicodedata.normalize("NFKC", char).casefold().translate(LOOKALIKES):
            folded.append(out)
            origin.append(index)
    return "".join(folded), origin


def term_pattern(term):
    """Match the term as whole words, letters optionally split by spaces or punctuation."""
    folded, _ = normalize_with_map(term)
    words = [r"[\W_]{0,3}".join(re.escape(c) for c in word) for word in folded.split()]
    return re.compile(r"(?<!\w)" + r"[\W_]+".join(words) + r"(?!\w)")


def find_term(text, term):
    """Return the original text that matches the term, or ""."""
    folded, origin = normalize_with_map(text)
    match = term_pattern(term).search(folded)
    if not match or not term.strip():
        return ""
    return text[origin[match.start()] : origin[match.end() - 1] + 1]


# --- The automatic pipeline for a new comment ----------------------------------------------


@dataclass
class Submission:
    """What a reader sent, with where it came from."""

    article: object
    name: str
    email: str
    body: str
    parent: Comment | None = None
    notify_replies: bool = False
    user: object = None
    ip_address: str | None = None
    spam_catch: spamtraps.Catch | None = None  # form.spam_catch()
    browser_key: str = ""  # commenter_key() of the browser's signed cookie


@dataclass
class Verdict:
    status: str = Status.APPROVED
    reasons: list = field(default_factory=list)
    rule: str = ""
    spam: spamfilter.Score | None = None
    fingerprint: clusters.Fingerprint | None = None
    wave: clusters.Wave | None = None

    def add(self, rule, detail, status):
        self.reasons.append((rule, detail[:300]))
        if status == Status.SPAM or self.status == Status.APPROVED:
            self.status = status


def moderation_mode(article):
    """Return the article's moderation mode: its own override, else the site default."""
    try:
        return article.comment_policy.mode
    except ArticlePolicy.DoesNotExist:
        return settings.NEWSROOM_COMMENTS_MODE


def rate_limits():
    return ratelimit.parse_rates(settings.NEWSROOM_COMMENTS_RATE_LIMITS)


def check(submission, *, now=None):
    """Run the rules in order; return the Verdict or raise Refused. Stores nothing."""
    now = now or timezone.now()
    article, email = submission.article, normalize_email(submission.email)
    verdict = Verdict()

    if not article.comments_are_open(now):
        raise CommentsClosed("Comments are closed on this article.")
    desk = staffing.desk_state(article, now)
    if desk.closes_comments:
        raise CommentsClosed(desk.reader_message(now))

    if submission.spam_catch:
        rule = TRAP_RULES[submission.spam_catch.trap]
        verdict.add(rule, submission.spam_catch.reason, Status.SPAM)

    rates = rate_limits()
    waits = [
        ratelimit.hit("comments-ip", submission.ip_address, rates)
        if submission.ip_address
        else None,
        ratelimit.hit("comments-email", email, rates),
    ]
    if any(waits):
        wait = max(w for w in waits if w)
        raise RateLimited(
            f"You have posted a lot of comments in a short time. "
            f"Please wait {ratelimit.describe_wait(wait)} and try again; your text is kept below.",
            retry_after=wait,
        )

    body = submission.body.strip()
    _check_blocked(submission, email, verdict)

    links = count_links(render_comment(body))
    if len(links) > settings.NEWSROOM_COMMENTS_MAX_LINKS:
        verdict.add(
            Rule.LINKS,
            f"{len(links)} links (more than {settings.NEWSROOM_COMMENTS_MAX_LINKS}): "
            + ", ".join(links),
            Status.HELD,
        )

    for entry in _entries(submission, ListEntry.Kind.WATCHED_TERM):
        matched = _match_text(submission, entry.value)
        if matched:
            verdict.add(Rule.WATCHED_TERM, f"“{entry.value}” matched “{matched}”", Status.HELD)

    verdict.spam = spamfilter.score_comment(body=body, name=submission.name, email=email)
    if verdict.spam and verdict.spam.is_likely_spam:
        verdict.add(Rule.SPAM_FILTER, verdict.spam.reason(), Status.HELD)

    verdict.fingerprint = clusters.fingerprint(body)
    verdict.wave = clusters.find_wave(
        verdict.fingerprint, email=email, ip_address=submission.ip_address, now=now
    )
    if verdict.wave:
        verdict.add(Rule.WAVE, verdict.wave.reason(), Status.HELD)

    if verdict.status == Status.APPROVED:
        mode = moderation_mode(article)
        if desk.holds_comments and mode != ArticlePolicy.Mode.PRE:
            verdict.add(
                Rule.OUTSIDE_HOURS,
                f"Held until the desk opens ({desk.opening_words(now) or 'no shift set'})",
                Status.HELD,
            )
        elif mode == ArticlePolicy.Mode.PRE:
            verdict.add(Rule.PRE_MODERATION, "Every comment on this article is held", Status.HELD)
        elif mode == ArticlePolicy.Mode.TRUSTED and not _is_trusted(submission, email):
            verdict.add(
                Rule.NEW_COMMENTER,
                f"No earlier approved comment from {email} in this browser",
                Status.HELD,
            )
        verdict.rule = f"{mode} mode"
    return verdict


def _entries(submission, *kinds):
    # One query per submission for all lists; cached on the submission object.
    if not hasattr(submission, "_entries"):
        submission._entries = list(ListEntry.objects.all())
    return [e for e in submission._entries if e.kind in kinds]


def _match_text(submission, term):
    return find_term(submission.body, term) or find_term(submission.name, term)


def _check_blocked(submission, email, verdict):
    Kind = ListEntry.Kind
    domain = email.rpartition("@")[2]
    linked = link_domains(submission.body)
    for entry in _entries(submission, *Kind.values):
        if entry.kind == Kind.BLOCKED_EMAIL and email == entry.value:
            verdict.add(Rule.BLOCKED_EMAIL, email, Status.SPAM)
        elif entry.kind == Kind.BLOCKED_DOMAIN and (
            domain == entry.value or domain.endswith("." + entry.value)
        ):
            verdict.add(Rule.BLOCKED_DOMAIN, f"{domain} (blocked: {entry.value})", Status.SPAM)
        elif entry.kind == Kind.BLOCKED_LINK_DOMAIN:
            for link in linked:
                if link == entry.value or link.endswith("." + entry.value):
                    detail = f"{link} (blocked: {entry.value})"
                    verdict.add(Rule.BLOCKED_LINK_DOMAIN, detail, Status.SPAM)
        elif entry.kind == Kind.BLOCKED_IP and _ip_in(submission.ip_address, entry.value):
            verdict.add(Rule.BLOCKED_IP, f"{submission.ip_address} in {entry.value}", Status.SPAM)
        elif entry.kind == Kind.BLOCKED_TERM:
            matched = _match_text(submission, entry.value)
            if matched:
                verdict.add(Rule.BLOCKED_TERM, f"“{entry.value}” matched “{matched}”", Status.SPAM)


def _ip_in(ip, network):
    if not ip:
        return False
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _is_trusted(submission, email):
    # A typed address proves nothing: trust needs an approved comment with the same address from
    # the same browser (its signed cookie), or from the same signed-in account.
    proof = Q(browser_key=submission.browser_key) if submission.browser_key else Q(pk__in=[])
    if getattr(submission.user, "is_authenticated", False):
        proof |= Q(user=submission.user)
    return Comment.objects.by_email(email).approved().filter(proof).exists()


COMMENTER_COOKIE = "newsroom_commenter"
COMMENTER_SALT = "comments.commenter"


def commenter_key(request):
    """Return (digest, new cookie value or None) for the browser's commenter cookie.

    The cookie holds a random key signed with the secret key; comments store only its digest.
    """
    key = request.get_signed_cookie(COMMENTER_COOKIE, default=None, salt=COMMENTER_SALT)
    new = None
    if not key:
        key = new = secrets.token_urlsafe(18)
    return hashlib.sha256(key.encode()).hexdigest(), new


def _lock_article_and_refuse_duplicates(submission, now):
    # Under a lock on the article row, so that of identical posts arriving at once the first
    # is stored and the others see it (FOR NO KEY UPDATE: editors' saves are not blocked), and
    # an article deleted or taken down meanwhile refuses the comment instead of failing.
    locked = Article.objects.select_for_update(no_key=True).filter(pk=submission.article.pk).first()
    if locked is None or not locked.is_published():
        raise ArticleGone("This article is no longer available.")
    recent = Comment.objects.by_email(normalize_email(submission.email)).filter(
        article=submission.article,
        body=submission.body.strip(),
        created_at__gte=now - timedelta(hours=24),
    )
    if recent.exists():
        raise Duplicate("You have already posted this comment on this article.")


def submit(submission, *, now=None):
    """Check a submission and store it with its status, reasons and audit row; return it."""
    now = now or timezone.now()
    verdict = check(submission, now=now)
    with transaction.atomic():
        _lock_article_and_refuse_duplicates(submission, now)
        comment = Comment.objects.create(
            article=submission.article,
            parent=submission.parent,
            user=submission.user if getattr(submission.user, "is_authenticated", False) else None,
            name=submission.name.strip(),
            email=submission.email,
            body=submission.body.strip(),
            notify_replies=submission.notify_replies,
            ip_address=submission.ip_address,
            browser_key=submission.browser_key,
            status=verdict.status,
            spam_score=verdict.spam.value if verdict.spam else None,
            spam_model_version=verdict.spam.version if verdict.spam else None,
        )
        clusters.remember(comment, verdict.fingerprint, verdict.wave)
        Reason.objects.bulk_create(
            Reason(comment=comment, rule=rule, detail=detail) for rule, detail in verdict.reasons
        )
        rules = ", ".join(rule for rule, _ in verdict.reasons) or verdict.rule
        ModerationAction.objects.create(
            comment=comment, to_status=verdict.status, rule=rules[:40], note="New comment"
        )
        if comment.is_public():
            caching.retire_article_pages(comment.article_id)
        _after_status_change(comment, verdict.status)
    return comment


# --- Moderators' decisions -----------------------------------------------------------------


def _move(comment, to_status, *, by=None, rule="", note=""):
    """Set the new status, retire cached pages if readers saw a change, record the audit row."""
    from_status = comment.status
    comment.status = to_status
    changes = {"status": to_status}
    if to_status == Status.HELD and from_status != Status.HELD:
        comment.held_at = changes["held_at"] = timezone.now()  # back in the queue
    Comment.objects.filter(pk=comment.pk).update(**changes)
    if Status.APPROVED in (from_status, to_status):
        caching.retire_article_pages(comment.article_id)
    ModerationAction.objects.create(
        comment=comment,
        changed_by=by,
        rule=rule,
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
        held_since=comment.held_at if from_status == Status.HELD != to_status else None,
    )
    if from_status != to_status:
        _after_status_change(comment, to_status)
    if to_status == Status.APPROVED and by is not None:
        # A moderator kept the comment: the reports so far were not upheld and stop counting.
        comment.reports.filter(dismissed_at__isnull=True).update(dismissed_at=timezone.now())
    if by is not None and to_status in spamfilter.DECISIONS:
        transaction.on_commit(tasks.learn_from_decisions.delay, robust=True)
    return comment


def _after_status_change(comment, to_status):
    if to_status == Status.HELD:
        # Only a nudge (beat runs the digest anyway): after commit, and robust, so an
        # unreachable broker is logged, never a failed request.
        transaction.on_commit(tasks.send_moderation_digest.delay, robust=True)
    elif to_status == Status.APPROVED and comment.parent_id:
        notifications.queue_reply_notification(comment)


@transaction.atomic
def approve(comment, *, by, note=""):
    """Publish the comment."""
    return _move(comment, Status.APPROVED, by=by, note=note)


@transaction.atomic
def reject(comment, *, by, note=""):
    """Hide the comment for good: it breaks the rules but is not spam."""
    return _move(comment, Status.REJECTED, by=by, note=note)


@transaction.atomic
def mark_spam(comment, *, by, note=""):
    """Hide the comment as spam."""
    return _move(comment, Status.SPAM, by=by, note=note)


@transaction.atomic
def hold(comment, *, by=None, rule="", note=""):
    """Take the comment off the page and back to the moderation queue."""
    return _move(comment, Status.HELD, by=by, rule=rule, note=note)


@transaction.atomic
def set_status(comment, status, *, by, note=""):
    """Move the comment to any status, as a moderator editing it in the admin."""
    return _move(comment, status, by=by, note=note)


@transaction.atomic
def ban_author(comment, *, by, note=""):
    """Block the comment's email and IP, and reject every comment of theirs.

    Theirs: this one, the held ones from the same email or IP, and the published ones from the
    same email (an IP can be shared by a whole office, so it never takes down a published
    comment). Return the number of comments rejected.
    """
    for kind, value in [
        (ListEntry.Kind.BLOCKED_EMAIL, comment.email),
        (ListEntry.Kind.BLOCKED_IP, comment.ip_address),
    ]:
        if value:
            ListEntry.objects.get_or_create(
                kind=kind,
                value=value.lower(),
                defaults={"created_by": by, "note": f"Banned from comment {comment.pk}"},
            )
    theirs = Q(pk=comment.pk)
    if comment.email:
        theirs |= Q(email=comment.email, status__in=[Status.HELD, Status.APPROVED])
    if comment.ip_address:
        theirs |= Q(ip_address=comment.ip_address, status=Status.HELD)
    rejected = 0
    for each in Comment.objects.filter(theirs).select_for_update():
        if each.status in (Status.HELD, Status.APPROVED):
            Reason.objects.create(comment=each, rule=Rule.BANNED, detail=f"by {by}")
            _move(each, Status.REJECTED, by=by, note=note or "Author banned")
            rejected += 1
    return rejected


def reject_cluster(cluster, *, by, note=""):
    """Reject every comment of the cluster that is not rejected already; return how many."""
    with transaction.atomic():
        count = 0
        for comment in cluster.comments.exclude(status=Status.REJECTED).select_for_update():
            reject(comment, by=by, note=note or f"Rejected with cluster {cluster.pk}")
            count += 1
        return count


def spam_cluster(cluster, *, by, note=""):
    """Mark every comment of the cluster spam and block its link domains; return
    (comments marked, domains blocked)."""
    with transaction.atomic():
        blocked = 0
        for domain in clusters.cluster_link_domains(cluster):
            _, created = ListEntry.objects.get_or_create(
                kind=ListEntry.Kind.BLOCKED_LINK_DOMAIN,
                value=domain,
                defaults={"created_by": by, "note": f"Spam wave, cluster {cluster.pk}"},
            )
            blocked += created
        count = 0
        for comment in cluster.comments.exclude(status=Status.SPAM).select_for_update():
            mark_spam(comment, by=by, note=note or f"Spam wave, cluster {cluster.pk}")
            count += 1
        return count, blocked


def report_rate_limits():
    return ratelimit.parse_rates(settings.NEWSROOM_COMMENTS_REPORT_RATE_LIMITS)


def report_weight(user):
    """Return how much a report counts: more from a signed-in reader whose reports were upheld."""
    if not getattr(user, "is_authenticated", False):
        return 1
    upheld = Report.objects.filter(
        user=user, dismissed_at__isnull=True, comment__status__in=[Status.REJECTED, Status.SPAM]
    )
    return settings.NEWSROOM_COMMENTS_UPHELD_REPORTER_WEIGHT if upheld.exists() else 1


def report(comment, *, reason, user=None, session_key="", ip_address=None):
    """Record a reader's report; hide the comment once enough different readers reported it.

    Return False if this reader (account, session or address) had already reported the comment;
    raise RateLimited when one address sends too many reports.
    """
    signed_in = getattr(user, "is_authenticated", False)
    if ip_address:
        wait = ratelimit.hit("comments-report-ip", ip_address, report_rate_limits())
        if wait:
            raise RateLimited(
                f"You have sent a lot of reports in a short time. Please wait "
                f"{ratelimit.describe_wait(wait)}; moderators are already looking at what you "
                "reported.",
                retry_after=wait,
            )
    with transaction.atomic():
        try:
            with transaction.atomic():
                Report.objects.create(
                    comment=comment,
                    reason=reason,
                    user=user if signed_in else None,
                    session_key="" if signed_in else session_key,
                    ip_address=ip_address,
                    weight=report_weight(user),
                )
        except IntegrityError:
            return False
        Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
        comment.refresh_from_db(fields=["report_count", "status"])
        if comment.status == Status.APPROVED:
            _hide_if_reported(comment)
        return True


def _hide_if_reported(comment):
    # Counted: reports since a moderator last approved the comment, by weight, and from at least
    # two readers, so that no single client can take a comment down whatever the weights.
    reports = list(comment.reports.filter(dismissed_at__isnull=True))
    weight = sum(each.weight for each in reports)
    readers = {each.ip_address or (each.user_id, each.session_key) for each in reports}
    if weight < settings.NEWSROOM_COMMENTS_REPORT_THRESHOLD or len(readers) < 2:
        return
    reasons = ", ".join(each.get_reason_display() for each in reports)
    detail = f"{len(reports)} reports (weight {weight}): {reasons}"
    Reason.objects.create(comment=comment, rule=Rule.REPORTS, detail=detail)
    _move(comment, Status.HELD, rule="reports", note=detail)
