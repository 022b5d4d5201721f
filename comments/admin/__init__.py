"""The comments admin, one module per part of the moderators' UI; importing registers them."""

from . import lists, policies, queue, spam

__all__ = ["lists", "policies", "queue", "spam"]
