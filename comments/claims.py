"""Moderators working together: opening a held comment claims it for a few minutes, so that
others see who is reviewing it and their next comment is another one.

A claim only informs; it never locks. Anyone may still decide a claimed comment, and the row
decisions refuse to overwrite a decision someone else made meanwhile. Claims only count on held
comments, so a decision needs no query to drop its claim: it simply expires.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone

from .models import Claim, Comment


def claim(comment, *, by, now=None):
    """Claim the comment for `by` unless someone else holds a live claim; return the claim
    that now stands (theirs or the other moderator's)."""
    now = now or timezone.now()
    expires_at = now + timedelta(minutes=settings.NEWSROOM_COMMENTS_CLAIM_MINUTES)
    mine_or_expired = Q(by=by) | Q(expires_at__lte=now)
    claims = Claim.objects.filter(comment=comment)
    if claims.filter(mine_or_expired).update(by=by, expires_at=expires_at):
        return Claim(comment=comment, by=by, expires_at=expires_at)
    try:
        with transaction.atomic():
            return Claim.objects.create(comment=comment, by=by, expires_at=expires_at)
    except IntegrityError:
        # Someone else's live claim (or one taken between our two statements).
        return claims.select_related("by").first()


def reviewer_name(user_field="by"):
    """Return an expression for a claimant's full name, else their username."""
    full_name = Trim(Concat(f"{user_field}__first_name", Value(" "), f"{user_field}__last_name"))
    return Coalesce(NullIf(full_name, Value("")), f"{user_field}__username")


def claimed_by_others(user, *, now=None):
    """Return a subquery of the name of whoever else holds a live claim on the outer comment."""
    now = now or timezone.now()
    return Subquery(
        Claim.objects.filter(comment=OuterRef("pk"), expires_at__gt=now)
        .exclude(by=user)
        .values(name=reviewer_name())[:1]
    )


def next_for(user, after, *, now=None):
    """Return the held comment that follows `after` in the queue's order (newest first, back to
    the top at the end), passing over those someone else is reviewing; None when none is left."""
    now = now or timezone.now()
    others = Claim.objects.filter(expires_at__gt=now).exclude(by=user).values("comment_id")
    open_to_me = Comment.objects.held().exclude(pk__in=others).exclude(pk=after.pk)
    later_in_queue = Q(created_at__lt=after.created_at) | Q(
        created_at=after.created_at, pk__lt=after.pk
    )
    queue_order = ("-created_at", "-pk")
    return (
        open_to_me.filter(later_in_queue).order_by(*queue_order).first()
        or open_to_me.order_by(*queue_order).first()
    )
