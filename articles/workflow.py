"""Status changes of an article: one function per step, shared by the admin form, actions and tests.

Each step checks who may take it and from which status, saves the article and writes a
StatusChange audit row in one transaction.
"""

from datetime import timedelta

import reversion
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from newsroom.outbox import delivery as outbox
from newsroom.site import absolute_url

from .models import Article, StatusChange

Status = Article.Status
PUBLISH_PERMISSION = "articles.publish_article"
EDITORS_GROUP = "Editors"


class TransitionNotAllowed(Exception):
    """The article's current status does not allow the requested step."""


# Step name → (statuses it starts from, permission it needs beyond changing the article).
STEPS = {
    "submit_for_review": ({Status.DRAFT, Status.UNPUBLISHED}, None),
    "publish": (
        {Status.DRAFT, Status.IN_REVIEW, Status.UNPUBLISHED, Status.PUBLISHED},
        PUBLISH_PERMISSION,
    ),
    "unpublish": ({Status.PUBLISHED}, PUBLISH_PERMISSION),
    "send_back_to_draft": (
        {Status.IN_REVIEW, Status.UNPUBLISHED, Status.PUBLISHED},
        PUBLISH_PERMISSION,
    ),
    "withdraw": ({Status.PUBLISHED, Status.UNPUBLISHED}, PUBLISH_PERMISSION),
}


def _starts_from(step, article):
    sources, _ = STEPS[step]
    # Publishing again is only for bringing a scheduled article forward, never for re-dating one.
    return article.status in sources and not (step == "publish" and article.is_published())


def can(step, article, user):
    """Return True if the user may take the step from the article's current status."""
    _, permission = STEPS[step]
    return _starts_from(step, article) and (permission is None or user.has_perm(permission))


def _check(step, article, user):
    _, permission = STEPS[step]
    if permission and not user.has_perm(permission):
        raise PermissionDenied("Only editors can publish, unpublish or take down articles.")
    if not _starts_from(step, article):
        raise TransitionNotAllowed(
            f"“{article}” is {article.get_status_display().lower()}; it cannot be "
            f"{step.replace('_', ' ')} from there."
        )


def _move(article, to_status, *, by, note="", **fields):
    """Set the new status and fields, save (keeping a revision), and record the audit row."""
    from_status = article.status
    article.status = to_status
    article.last_edited_by = by
    for name, value in fields.items():
        setattr(article, name, value)
    # Inside an admin view this joins the revision the admin records, keeping its comment.
    with reversion.create_revision():
        article.save()
        if reversion.get_user() is None:
            reversion.set_user(by)
        if not reversion.get_comment():
            reversion.set_comment(f"{Status(from_status).label} → {Status(to_status).label}")
    return StatusChange.objects.create(
        article=article, from_status=from_status, to_status=to_status, changed_by=by, note=note
    )


@transaction.atomic
def submit_for_review(article: Article, *, by) -> StatusChange:
    """Send a draft to the editors, and queue an email to them in the same transaction."""
    _check("submit_for_review", article, by)
    change = _move(article, Status.IN_REVIEW, by=by)
    queue_review_request(change)
    return change


def queue_review_request(change: StatusChange) -> int:
    """Queue mail to every active editor that the article awaits review; return how many."""
    recipients = list(
        get_user_model()
        .objects.filter(groups__name=EDITORS_GROUP, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    article, by = change.article, change.changed_by
    # Headlines are single-line fields, but a subject must never carry a line break.
    headline = " ".join(article.headline.split())
    admin_url = absolute_url(reverse("admin:articles_article_change", args=[article.pk]))
    who = (by.get_full_name() or by.get_username()) if by else "A writer"
    outbox.enqueue(
        EmailMessage(
            subject=f"For review: {headline}",
            body=(
                f"{who} submitted “{headline}” for review.\n\n"
                f"Open it in the admin to edit, publish or send it back:\n{admin_url}\n"
            ),
            to=recipients,
        ),
        kind="review",
        key=f"review:{change.pk}",
        source=article,
    )
    return len(recipients)


@transaction.atomic
def publish(article: Article, *, by, at=None) -> StatusChange:
    """Publish at `at`, else at the article's publication time, else now.

    A future time schedules the article; a past one is kept as the editor set it (a story first
    published elsewhere, or one published before and brought back), never replaced by now.
    """
    _check("publish", article, by)
    now = timezone.now()
    at = at or article.publish_at or now
    shown = f"{timezone.localtime(at):%d %b %Y %H:%M %Z}"
    note = ""
    if at > now:
        note = f"Scheduled for {shown}"
    elif at < now - timedelta(minutes=1):
        note = f"Published with its earlier publication time, {shown}"
    return _move(article, Status.PUBLISHED, by=by, publish_at=at, published_by=by, note=note)


@transaction.atomic
def unpublish(article: Article, *, by) -> StatusChange:
    """Hide a published article from readers without deleting it."""
    _check("unpublish", article, by)
    return _move(article, Status.UNPUBLISHED, by=by)


@transaction.atomic
def send_back_to_draft(article: Article, *, by) -> StatusChange:
    """Return an article to its writers as a draft (unpublishing it if it was published)."""
    _check("send_back_to_draft", article, by)
    return _move(article, Status.DRAFT, by=by)


@transaction.atomic
def withdraw(article: Article, *, by, reason: str) -> StatusChange:
    """Take a published article down: its URL answers 410 with the reason."""
    _check("withdraw", article, by)
    reason = reason.strip()
    if not reason:
        raise ValueError("Give a reason for taking the article down; readers will see it.")
    return _move(
        article,
        Status.WITHDRAWN,
        by=by,
        withdrawn_at=timezone.now(),
        withdrawal_reason=reason,
        note=reason[:300],
    )
