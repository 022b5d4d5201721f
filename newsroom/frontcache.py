"""The HTTP cache in front of the app servers (Varnish, varnish/newsroom.vcl).

Pages the page cache shares carry `Surrogate-Control: max-age=N` (how long the front cache may
keep them; browsers never see it) and `Surrogate-Key`, the generation scopes they depend on.
When newsroom.pagecache replaces a scope's generation it calls `ban()`, which asks every front
cache in NEWSROOM_VARNISH_URLS to drop the pages tagged with it: an approval, an edit or a
take-down is gone from Varnish as soon as it is committed. Wagtail's frontend_cache purges on
page publish only; here every caller of pagecache.invalidate gets it, comments included.

A front cache that cannot be reached is logged, never raised: the write that caused the ban is
already committed, and the ban is one of several (the next change bans again).
"""

import logging
from http.client import HTTPConnection, HTTPException
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

BAN_HEADER = "X-Ban-Keys"


def mark(response, *, scopes, seconds):
    """Let the front cache keep the response for `seconds`, tagged with its scopes."""
    response["Surrogate-Control"] = f"max-age={max(int(seconds), 0)}"
    response["Surrogate-Key"] = " ".join(scopes)


def ban(scopes):
    """Ask every front cache to drop the pages tagged with any of the scopes."""
    keys = "|".join(scopes)
    for url in settings.NEWSROOM_VARNISH_URLS:
        parts = urlsplit(url)
        connection = HTTPConnection(parts.hostname, parts.port or 80, timeout=1)
        try:
            connection.request("BAN", parts.path or "/", headers={BAN_HEADER: keys})
            status = connection.getresponse().status
            if status != 200:
                logger.warning("Front cache %s answered %s to a ban of %s", url, status, keys)
        except (OSError, HTTPException) as error:
            logger.warning("Front cache %s unreachable for a ban of %s: %s", url, keys, error)
        finally:
            connection.close()
