"""Filters of the moderators' desk pages in the admin."""

from django import template

from .. import sla

register = template.Library()


@register.filter
def wait(duration):
    """Show a waiting time as "45 min", "2 h 05 min" or "3 d 4 h"."""
    return sla.describe_wait(duration)
