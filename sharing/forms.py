import re
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from newsroom.spamtraps import SpamTrapFormMixin

from .models import EmailShare

# Anything a mail header could be split on: CR, LF and the other line boundaries of
# str.splitlines(), NUL, and CR/LF typed in their URL-encoded form (also double-encoded).
LINE_BREAK = re.compile(r"[\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]|%(?:25)?0[ad]", re.I)
# In the note a line break is just a line break, but not one followed by what reads as a header.
HEADER_LINE = re.compile(
    r"(?:^|\n)\s*(?:to|cc|bcc|from|reply-to|sender|subject|content-type|"
    r"content-transfer-encoding|mime-version|return-path)\s*:",
    re.I,
)
RECIPIENT_SEPARATORS = re.compile(r"[,;\n]+")

INJECTION_MESSAGE = _("Please remove the line breaks and encoded characters from this field.")


def validate_single_line(value):
    """Refuse a line break, in any encoding, in a value that ends up in a mail header."""
    if LINE_BREAK.search(value):
        raise ValidationError(INJECTION_MESSAGE, code="header_injection")


class EmailShareForm(SpamTrapFormMixin, forms.ModelForm):
    """A reader sends an article to a few people they know."""

    sender_email = forms.CharField(
        label=_("Your email"),
        max_length=254,
        validators=[validate_single_line],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Recipients can reply to this address. We use it for nothing else."),
    )
    recipients = forms.CharField(
        label=_("Send to"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )
    # New for every form shown: posting the same form again (a retry after a lost answer, a
    # double click) finds the share it already made instead of sending a second time.
    idempotency_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = EmailShare
        fields = ["sender_name", "sender_email", "recipients", "note"]
        labels = {"sender_name": _("Your name"), "note": _("Add a note (optional)")}
        widgets = {
            "sender_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "note": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4()
        self.fields["sender_name"].validators.append(validate_single_line)
        most = settings.NEWSROOM_SHARE_MAX_RECIPIENTS
        self.fields["recipients"].help_text = ngettext(
            "Up to %(most)d email address.",
            "Up to %(most)d email addresses, separated by commas or on separate lines.",
            most,
        ) % {"most": most}
        note = self.fields["note"]
        limit = settings.NEWSROOM_SHARE_NOTE_MAX_LENGTH
        note.widget.attrs["maxlength"] = limit
        note.help_text = ngettext(
            "Plain text, up to %(limit)d character. It appears in the message as written by you.",
            "Plain text, up to %(limit)d characters. It appears in the message as written by you.",
            limit,
        ) % {"limit": limit}
        self.helper = FormHelper()
        self.helper.form_class = "share-form"
        self.helper.layout = Layout(
            "sender_name",
            "sender_email",
            "recipients",
            "note",
            # Traps: hidden from people (CSS) and from screen readers (aria-hidden).
            Div("website", css_class="share-trap", aria_hidden="true"),
            Field("rendered_at"),
            Field("idempotency_key"),
            HTML(
                format_html(
                    '<p class="form-text">{}</p>',
                    gettext(
                        "We send one message to each person and delete their addresses once "
                        "it has gone."
                    ),
                )
            ),
            Submit("send", _("Send")),
        )

    def clean_sender_email(self):
        email = self.cleaned_data["sender_email"].strip()
        validate_email(email)
        return email

    def clean_recipients(self):
        value = self.cleaned_data["recipients"].replace("\r\n", "\n")
        validate_single_line(value.replace("\n", " "))
        addresses, seen = [], set()
        for address in filter(None, (a.strip() for a in RECIPIENT_SEPARATORS.split(value))):
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("“%(address)s” is not a valid email address."),
                    code="invalid_recipient",
                    params={"address": address},
                ) from None
            if address.lower() not in seen:
                seen.add(address.lower())
                addresses.append(address)
        limit = settings.NEWSROOM_SHARE_MAX_RECIPIENTS
        if not addresses:
            raise ValidationError(_("Enter at least one email address."), code="no_recipients")
        if len(addresses) > limit:
            raise ValidationError(
                ngettext_lazy(
                    "You can send to at most %(limit)s person at a time (you entered %(count)s).",
                    "You can send to at most %(limit)s people at a time (you entered %(count)s).",
                    "limit",
                ),
                code="too_many_recipients",
                params={"limit": limit, "count": len(addresses)},
            )
        return "\n".join(addresses)

    def clean_note(self):
        # Browsers send a line break in a textarea as CRLF but count it as one character.
        note = self.cleaned_data["note"].replace("\r\n", "\n")
        limit = settings.NEWSROOM_SHARE_NOTE_MAX_LENGTH
        if len(note) > limit:
            raise ValidationError(
                ngettext_lazy(
                    "Please shorten your note to %(limit)s character (it has %(length)s).",
                    "Please shorten your note to %(limit)s characters (it has %(length)s).",
                    "limit",
                ),
                code="max_length",
                params={"limit": limit, "length": len(note)},
            )
        # Line breaks are fine in the note, which is only ever body text; encoded or exotic
        # breaks and header-like lines are what an injection attempt looks like.
        if LINE_BREAK.search(note.replace("\n", " ")) or HEADER_LINE.search(note):
            raise ValidationError(
                _(
                    "Your note contains characters or lines that look like email headers. "
                    "Please write it as plain sentences."
                ),
                code="header_injection",
            )
        return note

    def is_repeat(self):
        """Return True if this very form was already posted and its share stored."""
        key = self.cleaned_data.get("idempotency_key")
        return bool(key) and EmailShare.objects.filter(idempotency_key=key).exists()

    def save(self, *, article):
        """Store the share for the article, as spam if a trap caught it; never send here."""
        share = super().save(commit=False)
        share.article = article
        share.idempotency_key = self.cleaned_data.get("idempotency_key")
        share.recipient_count = len(share.recipient_list)
        if catch := self.spam_catch():
            share.mark_spam(catch.reason)
        share.save()
        return share
