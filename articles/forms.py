"""Admin forms for articles: rich-text body, lead image checks, workflow steps, edit conflicts."""

import io
import warnings
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_prose_editor.fields import ProseEditorFormField
from PIL import Image, ImageOps

from . import workflow
from .models import Article, PreviewLink
from .sanitize import sanitize_body

# What the editor's toolbar offers; everything it can produce is inside the bleach allowlist.
BODY_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    # A picture by address, with alt text and an optional caption (<figure>/<figcaption>).
    "Figure": True,
    "Caption": True,
    "Image": True,
    "HTML": True,
    "PasteBlocks": True,  # ours: static/admin/articles/paste-blocks.js
}

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
IMAGE_MIN_WIDTH = 1200
IMAGE_MAX_SIDE = 10_000

WORKFLOW_LABELS = {
    "submit_for_review": _("Save and submit for review"),
    "publish": _("Save and publish"),
    "unpublish": _("Unpublish"),
    "send_back_to_draft": _("Send back to draft"),
    "withdraw": _("Take down"),
}


class UploadedPictureField(forms.ImageField):
    """An image upload with a clear answer to a pixel bomb, stored without its metadata.

    Pillow refuses to open a picture over Image.MAX_IMAGE_PIXELS (set from
    NEWSROOM_IMAGE_MAX_PIXELS when the app starts) before decoding it. The stored original is
    re-encoded with its orientation applied and without EXIF, XMP or text chunks, so camera,
    GPS and software details never reach storage."""

    def to_python(self, data):
        limit = settings.NEWSROOM_IMAGE_MAX_PIXELS
        with warnings.catch_warnings():
            # Pillow only warns between the limit and twice the limit; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                upload = super().to_python(data)
            except forms.ValidationError as error:
                if isinstance(error.__cause__, (Image.DecompressionBombError, Warning)):
                    raise forms.ValidationError(
                        _(
                            "This picture has more than %(millions)s million pixels, the most "
                            "we accept. Export a smaller copy (for example 4000 pixels wide) "
                            "and upload that."
                        ),
                        code="too_many_pixels",
                        params={"millions": f"{limit / 1_000_000:g}"},
                    ) from error
                raise
        return upload if upload is None else without_metadata(upload)


def without_metadata(upload):
    """Return a copy of an uploaded picture re-encoded without metadata, orientation applied."""
    upload.seek(0)
    with Image.open(upload) as picture:
        kind = picture.format
        icc_profile = picture.info.get("icc_profile")
        upright = ImageOps.exif_transpose(picture)
        options = {"icc_profile": icc_profile} if icc_profile else {}
        if kind == "JPEG":
            upright = upright.convert("RGB") if upright.mode not in {"RGB", "L"} else upright
            options.update(quality=92, optimize=True)
        elif kind == "WEBP":
            options.update(quality=90)
        buffer = io.BytesIO()
        upright.save(buffer, kind, **options)
    clean = SimpleUploadedFile(upload.name, buffer.getvalue(), upload.content_type)
    clean.image = Image.open(io.BytesIO(buffer.getvalue()))
    return clean


def workflow_buttons(article, user):
    """Return (step, label) for each workflow button the user may press on the article."""
    article = article or Article()
    return [
        (step, label)
        for step, label in WORKFLOW_LABELS.items()
        if workflow.can(step, article, user)
    ]


class ArticleAdminForm(forms.ModelForm):
    """The article change form; the admin sets `request` on the class it builds."""

    request = None

    body = ProseEditorFormField(
        config={"extensions": BODY_EXTENSIONS},
        sanitize=sanitize_body,
        widget=AdminTextareaWidget,
        help_text=_(
            "Use the toolbar for sub-headings, links, lists, quotes and pictures. Pasted text "
            "keeps only editorial formatting: styles and scripts are removed on save."
        ),
    )

    class Meta:
        model = Article
        fields = [
            "headline",
            "slug",
            "dek",
            "section",
            "body",
            "version",
            "lead_image",
            "lead_image_alt",
            "lead_image_caption",
            "lead_image_credit",
            "publish_at",
            "first_published_at",
            "material_update_at",
            "comments_enabled",
            "is_front_lead",
            "withdrawal_reason",
        ]
        field_classes = {"lead_image": UploadedPictureField}
        widgets = {
            # Headlines and summaries are read whole while editing: full width, and as tall as
            # their text (change_form.html sizes them to their content).
            "headline": forms.Textarea(attrs={"class": "vLargeTextField fit-content", "rows": 1}),
            "dek": forms.Textarea(attrs={"class": "vLargeTextField fit-content", "rows": 2}),
            "version": forms.HiddenInput,
            "withdrawal_reason": forms.Textarea(attrs={"rows": 3, "cols": 60}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" in self.fields:
            # A new article starts at the model's default; an edit without it counts as a conflict.
            self.fields["version"].required = False

    def clean_lead_image(self):
        image = self.cleaned_data.get("lead_image")
        # A freshly uploaded file has .image set by Django's ImageField validation.
        picture = getattr(image, "image", None)
        if not image or picture is None:
            return image
        max_mb = settings.NEWSROOM_LEAD_IMAGE_MAX_MB
        if image.size > max_mb * 1024 * 1024:
            raise forms.ValidationError(
                _(
                    "This picture is %(size)s MB; the limit is %(limit)s MB. Export a smaller "
                    "JPEG and try again."
                ),
                code="too_large",
                params={"size": f"{image.size / 1024 / 1024:.1f}", "limit": max_mb},
            )
        if picture.format not in IMAGE_FORMATS:
            raise forms.ValidationError(
                _("Upload a JPEG, PNG or WebP picture."), code="invalid_format"
            )
        width, height = picture.size
        if width < IMAGE_MIN_WIDTH:
            raise forms.ValidationError(
                _(
                    "This picture is %(width)s pixels wide; lead pictures need at least "
                    "%(least)s so they stay sharp on large screens."
                ),
                code="too_small",
                params={"width": width, "least": IMAGE_MIN_WIDTH},
            )
        if max(width, height) > IMAGE_MAX_SIDE:
            raise forms.ValidationError(
                _(
                    "This picture is %(width)s×%(height)s pixels; the largest side may be at "
                    "most %(most)s."
                ),
                code="too_many_pixels",
                params={"width": width, "height": height, "most": IMAGE_MAX_SIDE},
            )
        return image

    def clean_headline(self):
        # A textarea, so that a long headline shows whole; a headline is still one line.
        return " ".join(self.cleaned_data["headline"].split())

    def clean_first_published_at(self):
        first = self.cleaned_data.get("first_published_at")
        if first and first > timezone.now():
            raise forms.ValidationError(
                _(
                    "The first publication time cannot be in the future; to schedule the "
                    "article, set its publication time instead."
                ),
                code="future",
            )
        return first

    def clean(self):
        cleaned = super().clean()
        self._check_version()
        image = cleaned.get("lead_image", self.instance.lead_image)
        if "lead_image_alt" in self.fields and image and not cleaned.get("lead_image_alt"):
            self.add_error(
                "lead_image_alt",
                forms.ValidationError(
                    _("Describe the picture for readers who cannot see it."), code="alt_required"
                ),
            )
        self.workflow_step = self._requested_step()
        return cleaned

    def _check_version(self):
        """Refuse the save if someone else saved the article since this form was opened."""
        if self.instance._state.adding or "version" not in self.fields:
            return
        # Lock the row until the admin's transaction ends so two saves cannot both pass.
        current = (
            Article.objects.select_for_update(of=("self",))
            .filter(pk=self.instance.pk)
            .values_list("version", "last_edited_by__username", "updated_at")
            .first()
        )
        if current is None or current[0] == self.cleaned_data.get("version"):
            return
        who, when = current[1:]
        raise forms.ValidationError(
            _(
                "%(who)s saved this article at %(time)s while you were editing it, so your "
                "changes were not saved. Your text is still in the form below: copy what you "
                "need, open the article again in a new tab to see their version, and make your "
                "changes there."
            ),
            code="edit_conflict",
            params={"who": who or _("Someone"), "time": f"{timezone.localtime(when):%H:%M}"},
        )

    def _requested_step(self):
        step = self.data.get("_workflow")
        if not step:
            return None
        if step not in WORKFLOW_LABELS:
            raise forms.ValidationError(_("Unknown workflow step."), code="unknown_step")
        if not workflow.can(step, self.instance, self.request.user):
            raise forms.ValidationError(
                _("You cannot “%(step)s” this article."),
                code="step_not_allowed",
                params={"step": WORKFLOW_LABELS[step].lower()},
            )
        if step == "withdraw" and not self.cleaned_data.get("withdrawal_reason", "").strip():
            self.add_error(
                "withdrawal_reason",
                forms.ValidationError(
                    _("Give a reason for taking the article down; readers will see it."),
                    code="reason_required",
                ),
            )
        return step


class PreviewLinkForm(forms.ModelForm):
    """A shared preview link in the article form: its expiry, and a box to revoke it."""

    is_revoked = forms.BooleanField(label=_("Revoked"), required=False)

    class Meta:
        model = PreviewLink
        fields = ["expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_revoked"].initial = self.instance.revoked_at is not None

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        created_at = self.instance.created_at or timezone.now()
        days = settings.NEWSROOM_PREVIEW_LINK_MAX_DAYS
        if expires_at and expires_at > created_at + timedelta(days=days):
            raise forms.ValidationError(
                ngettext_lazy(
                    "A preview link can work for at most %(days)d day after it was made; pick "
                    "an earlier expiry, or make a new link later.",
                    "A preview link can work for at most %(days)d days after it was made; pick "
                    "an earlier expiry, or make a new link later.",
                    "days",
                ),
                code="too_long",
                params={"days": days},
            )
        return expires_at

    def save(self, commit=True):
        if self.cleaned_data.get("is_revoked") and self.instance.revoked_at is None:
            self.instance.revoked_at = timezone.now()
        elif not self.cleaned_data.get("is_revoked"):
            self.instance.revoked_at = None
        return super().save(commit)
