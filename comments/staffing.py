"""Staffed hours: when the moderators' desk works for a section, and what comments do outside.

A section's schedule lists weekly shifts in the site's time zone. Outside every shift its
comments are held for the desk or commenting closes, as the schedule says. A schedule can only
tighten: it never opens comments an article has closed, nor publishes what would be held.
Sections without a schedule are always staffed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import formats, timezone
from django.utils.translation import gettext

from newsroom.cache import (
    CacheUnavailable,
    get_many_tracked,
    on_reconnect,
    wait_for_invalidations,
)

from .models import DeskSchedule

SCHEDULES_KEY = "comments:desk-schedules"
SCHEDULES_SECONDS = 300


def schedules():
    """Return {section id: (outside mode, [(weekday, starts, ends)])}: cached, else one query."""
    try:
        # Every thread and comment form asks: this process's copy, kept exact by the cache.
        found = get_many_tracked([SCHEDULES_KEY]).get(SCHEDULES_KEY)
    except CacheUnavailable:
        found = None
    if found is not None:
        return found
    found = {}
    rows = DeskSchedule.objects.values_list(
        "section_id", "outside", "shifts__weekday", "shifts__starts", "shifts__ends"
    )
    for section_id, outside, weekday, starts, ends in rows:
        _, shifts = found.setdefault(section_id, (outside, []))
        if weekday is not None:  # a schedule without shifts is never staffed
            shifts.append((weekday, starts, ends))
    try:
        cache.set(SCHEDULES_KEY, found, SCHEDULES_SECONDS)
    except CacheUnavailable:
        pass  # read again next time
    return found


@on_reconnect
def forget_schedules():
    """Make the next reader see an edited schedule (also after a cache outage hid an edit)."""
    try:
        cache.delete(SCHEDULES_KEY)
        wait_for_invalidations()  # no process reads its old copy after this
    except CacheUnavailable:
        pass  # nothing cached can be read either; on_reconnect runs this again


@dataclass(frozen=True)
class DeskState:
    """Whether the desk is staffed now, and what that means for new comments."""

    is_staffed: bool = True
    outside: str = ""  # DeskSchedule.Outside, when not staffed
    opens_at: datetime | None = None  # the next shift's start, when not staffed
    changes_at: datetime | None = None  # the next start or end of a shift

    @property
    def holds_comments(self):
        return not self.is_staffed and self.outside == DeskSchedule.Outside.PRE

    @property
    def closes_comments(self):
        return not self.is_staffed and self.outside == DeskSchedule.Outside.CLOSED

    def opening_words(self, now=None):
        """Return when the desk opens as a reader reads it: "07:00 IST", "Monday 07:00 IST"."""
        if self.opens_at is None:
            return ""
        local = timezone.localtime(self.opens_at)
        clock = f"{local:%H:%M} {local.tzname()}"
        if local.date() == timezone.localdate(now):
            return clock
        if local.date() == timezone.localdate(now) + timedelta(days=1):
            return gettext("tomorrow %(time)s") % {"time": clock}
        return f"{formats.date_format(local, 'l')} {clock}"

    def reader_message(self, now=None):
        """Return what readers are told about the desk, or "" while it is staffed."""
        if self.holds_comments:
            if not self.opens_at:
                return gettext("Every comment here is held until a moderator reviews it.")
            return gettext(
                "Comments are reviewed from %(opening)s; yours will be held until then."
            ) % {"opening": self.opening_words(now)}
        if self.closes_comments:
            if not self.opens_at:
                return gettext("Comments are closed while our moderators are away.")
            return gettext(
                "Comments are closed until %(opening)s, when our moderators are back."
            ) % {"opening": self.opening_words(now)}
        return ""


STAFFED = DeskState()


def _shift_spans(shifts, now):
    """Yield (start, end) of each shift from the day before now's week to the week after."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    zone = timezone.get_current_timezone()
    for week in (-1, 0, 1):
        for weekday, starts, ends in shifts:
            day = monday + timedelta(days=7 * week + weekday)
            start = datetime.combine(day, starts, tzinfo=zone)
            # A shift ending at or before its start runs past midnight (22:00-02:00; 00:00
            # ends at midnight).
            end_day = day + timedelta(days=1) if ends <= starts else day
            yield start, datetime.combine(end_day, ends, tzinfo=zone)


def desk_state(article, now=None):
    """Return the desk's state for the article's section at `now`."""
    entry = schedules().get(article.section_id)
    if entry is None:
        return STAFFED
    outside, shifts = entry
    now = now or timezone.now()
    spans = list(_shift_spans(shifts, now))
    is_staffed = any(start <= now < end for start, end in spans)
    if is_staffed:
        ends = [end for start, end in spans if start <= now < end]
        return DeskState(changes_at=min(ends))
    opens_at = min((start for start, _ in spans if start > now), default=None)
    return DeskState(is_staffed=False, outside=outside, opens_at=opens_at, changes_at=opens_at)
