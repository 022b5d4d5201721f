"""Spam traps shared by the reader forms: a honeypot field and a signed render timestamp.

A trap never shows an error: the form is accepted and the submission marked as spam, so a bot
learns nothing. The timestamp is signed when the form is rendered, so it cannot be forged.
"""

import time
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core import signing
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

SALT = "newsroom.spamtraps.rendered-at"

# Which trap caught a submission: callers choose their rule by these codes, never by the words.
HONEYPOT = "honeypot"
TIMING = "timing"


@dataclass(frozen=True)
class Catch:
    """A trap that caught a submission (HONEYPOT or TIMING) and why, in plain words."""

    trap: str
    reason: str


def sign_render_time(now=None):
    return signing.dumps(int(time.time() if now is None else now), salt=SALT)


class SpamTrapFormMixin(forms.Form):
    """Add the honeypot and timestamp fields; call spam_catch() after is_valid()."""

    # Named like a real field so bots fill it; hidden from people by CSS and from assistive
    # technology by aria-hidden on its wrapper.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    rendered_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("rendered_at", sign_render_time())

    def is_missing_render_time(self):
        """Return True if the form came from a cached page whose script never added the stamp."""
        return not self.cleaned_data.get("website") and not self.cleaned_data.get("rendered_at")

    def spam_catch(self, now=None):
        """Return the Catch if the submission looks automated, else None."""
        now = time.time() if now is None else now
        if self.cleaned_data.get("website"):
            return Catch(HONEYPOT, "Honeypot field was filled in")
        try:
            rendered = signing.loads(self.cleaned_data.get("rendered_at") or "", salt=SALT)
            rendered = float(rendered)
        except (signing.BadSignature, TypeError, ValueError):
            return Catch(TIMING, "Form timestamp missing or tampered with")
        elapsed = now - rendered
        if elapsed < settings.NEWSROOM_SPAM_MIN_SECONDS:
            return Catch(
                TIMING,
                f"Sent {max(elapsed, 0):.1f} s after the form was shown "
                f"(minimum {settings.NEWSROOM_SPAM_MIN_SECONDS} s)",
            )
        if elapsed > settings.NEWSROOM_SPAM_MAX_FORM_AGE:
            return Catch(TIMING, f"Form was {elapsed / 3600:.0f} hours old when sent")
        return None


@never_cache
@require_GET
def stamp(request):
    """Return a freshly signed render time, for a form on a page every reader shares.

    A cached page carries no timestamp (its bytes are every reader's); static/js/site.js asks
    for one when the reader starts writing. Without JavaScript the form comes back once with one.
    """
    return JsonResponse({"rendered_at": sign_render_time()})
