from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from newsroom.spamtraps import SpamTrapFormMixin

from .models import Comment, Report


class CommentForm(SpamTrapFormMixin, forms.Form):
    """A reader's comment or reply; the spam traps come from the shared mixin."""

    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please give a name to show with your comment.")},
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("Never shown publicly."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Please give your email address; it is never shown."),
            "invalid": _("Please check your email address: it should look like name@example.org."),
        },
    )
    body = forms.CharField(
        label=_("Comment"),
        min_length=2,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 3000}),
        help_text=_("Plain text, up to 3,000 characters. Leave a blank line between paragraphs."),
        error_messages={
            "required": _("Please write your comment."),
            "min_length": _("Your comment is too short: please write at least 2 characters."),
            "max_length": _("Your comment is %(show_value)d characters long; the limit is 3,000."),
        },
    )
    notify_replies = forms.BooleanField(label=_("Email me when someone replies"), required=False)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, article, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        if user is not None and user.is_authenticated and not self.is_bound:
            self.initial.setdefault("name", user.get_full_name() or user.get_username())
            self.initial.setdefault("email", user.email)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has the token
        self.helper.layout = Layout(
            "name",
            "email",
            Field("body"),
            "notify_replies",
            "parent",
            "rendered_at",
            # The honeypot: hidden from people by CSS and from screen readers by aria-hidden.
            Div("website", css_class="comment-form-trap", aria_hidden="true"),
            Submit("post", _("Post comment")),
        )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 1:
            raise forms.ValidationError(_("Please give a name to show."), code="required")
        return name

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if len(body) < 2:
            raise forms.ValidationError(
                _("Your comment is too short: please write at least 2 characters."),
                code="min_length",
            )
        return body

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        parent = Comment.objects.approved().filter(pk=parent_id, article=self.article).first()
        if parent is None:
            raise forms.ValidationError(
                _("The comment you are replying to is no longer available."), code="invalid"
            )
        if parent.depth >= settings.NEWSROOM_COMMENTS_MAX_DEPTH:
            raise forms.ValidationError(
                _("This conversation cannot go any deeper; please reply further up."),
                code="too_deep",
            )
        return parent


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why should a moderator look at this comment?"),
        choices=Report.Why.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please pick a reason.")},
    )
