"""How long readers wait for a moderator: the desk's figures and the overdue alert.

Waiting time runs from when a comment entered the queue (Comment.held_at, set again when reports
send it back) to the decision that took it out (ModerationAction.held_since records the entry
it ended). Every figure comes from a fixed number of queries, whatever the number of comments.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext

from .models import Comment, ModerationAction

BACKLOG_ARTICLES = 20


def percentile(sorted_values, fraction):
    """Return the nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Waits:
    """Decisions and the time readers waited for them."""

    seconds: list = field(default_factory=list)

    def add(self, wait):
        self.seconds.append(wait)

    @property
    def decisions(self):
        return len(self.seconds)

    @property
    def median(self):
        return timedelta(seconds=statistics.median(self.seconds)) if self.seconds else None

    @property
    def p90(self):
        value = percentile(sorted(self.seconds), 0.9)
        return None if value is None else timedelta(seconds=value)


@dataclass
class DeskFigures:
    now: object
    days: int
    queue_size: int
    oldest_held_at: object
    overall: Waits
    per_day: list  # [(date, Waits)], newest first
    per_moderator: list  # [(name, Waits)], most decisions first
    backlog: list  # [{"article_id", "headline", "held", "oldest_wait"}]

    @property
    def oldest_wait(self):
        return self.now - self.oldest_held_at if self.oldest_held_at else None


def queue_now():
    """Return (held count, when the longest-waiting held comment entered the queue): one query."""
    row = Comment.objects.held().aggregate(held=Count("pk"), oldest=Min("held_at"))
    return row["held"], row["oldest"]


def desk_figures(*, now=None, days=7):
    """Return the queue and its waiting times over the last `days` days, in three queries."""
    now = now or timezone.now()
    queue_size, oldest = queue_now()
    decisions = ModerationAction.objects.filter(
        held_since__isnull=False, changed_at__gte=now - timedelta(days=days), changed_at__lte=now
    ).values_list("changed_at", "held_since", "changed_by__username", "rule")
    overall, per_day, per_moderator = Waits(), defaultdict(Waits), defaultdict(Waits)
    for decided_at, held_since, username, rule in decisions:
        wait = max(0.0, (decided_at - held_since).total_seconds())
        overall.add(wait)
        per_day[timezone.localdate(decided_at)].add(wait)
        moderator = username or (f"Automatic: {rule}" if rule else "Automatic")
        per_moderator[moderator].add(wait)
    backlog = (
        Comment.objects.held()
        .values("article_id", "article__headline")
        .annotate(held=Count("pk"), oldest_held_at=Min("held_at"))
        .order_by("-held", "oldest_held_at")[:BACKLOG_ARTICLES]
    )
    return DeskFigures(
        now=now,
        days=days,
        queue_size=queue_size,
        oldest_held_at=oldest,
        overall=overall,
        per_day=sorted(per_day.items(), reverse=True),
        per_moderator=sorted(per_moderator.items(), key=lambda item: -item[1].decisions),
        backlog=[
            {
                "article_id": row["article_id"],
                "headline": row["article__headline"],
                "held": row["held"],
                "oldest_wait": now - row["oldest_held_at"] if row["oldest_held_at"] else None,
            }
            for row in backlog
        ],
    )


def describe_wait(wait):
    """Return a wait as readers of a report say it: "45 min", "2 h 05 min", "3 d 4 h"."""
    if wait is None:
        return "—"
    minutes = int(wait.total_seconds() // 60)
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return gettext("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


@dataclass
class Overdue:
    queue_size: int
    oldest_held_at: object
    oldest_wait: timedelta
    limit_minutes: int

    @property
    def marker(self):
        """Name this alert: the oldest comment's queue entry and how many alert periods it has
        waited. Each new value alerts once."""
        periods = int(self.oldest_wait.total_seconds() // 60) // self.limit_minutes
        return f"{self.oldest_held_at.isoformat()}/{periods}"

    def __str__(self):
        return gettext(
            "The oldest held comment has waited %(wait)s (alert after %(limit)d min); "
            "%(count)d held in all."
        ) % {
            "wait": describe_wait(self.oldest_wait),
            "limit": self.limit_minutes,
            "count": self.queue_size,
        }


def overdue(*, now=None):
    """Return an Overdue when the longest-waiting comment passed the alert limit, else None."""
    limit = settings.NEWSROOM_COMMENTS_SLA_ALERT_MINUTES
    if not limit:
        return None
    queue_size, oldest = queue_now()
    if oldest is None:
        return None
    wait = (now or timezone.now()) - oldest
    if wait < timedelta(minutes=limit):
        return None
    return Overdue(
        queue_size=queue_size, oldest_held_at=oldest, oldest_wait=wait, limit_minutes=limit
    )
