import base64
import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.db import models, transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy
from reversion.admin import VersionAdmin
from reversion.models import Version

from newsroom.admin import ReadOnlyAdminMixin, column
from newsroom.middleware import CONTENT_SECURITY_POLICY

from . import tasks, workflow
from .forms import (
    WORKFLOW_LABELS,
    ArticleAdminForm,
    PreviewLinkForm,
    UploadedPictureField,
    workflow_buttons,
)
from .models import (
    Article,
    ArticleAuthor,
    Author,
    Correction,
    EditorImage,
    PreviewLink,
    Section,
    StatusChange,
)

# The fieldset shown only on articles an editor may take down (get_fieldsets).
TAKE_DOWN = _("Take down")

IMPORTMAP = re.compile(rb'<script type="importmap"[^>]*>(.*?)</script>', re.S)


def allow_importmap(response):
    """Let the page's inline import map (the rich-text editor's) through script-src 'self'."""
    match = IMPORTMAP.search(response.content)
    if match:
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "script-src 'self'", f"script-src 'self' 'sha256-{digest}'"
        )
    return response


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "is_desk", "user"]
    list_filter = ["is_desk"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    autocomplete_fields = ["user"]


class ArticlePartInline:
    """An inline that may be changed only when its article may be changed."""

    def _may_change_article(self, request, obj):
        return obj is None or self.admin_site._registry[Article].has_change_permission(request, obj)

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._may_change_article(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_change_article(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_change_article(
            request, obj
        )


class ArticleAuthorInline(ArticlePartInline, admin.TabularInline):
    model = ArticleAuthor
    extra = 1
    autocomplete_fields = ["author"]
    verbose_name = "byline"
    verbose_name_plural = "byline (in order)"


class CorrectionInline(ArticlePartInline, admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["kind", "text", "created_at", "created_by"]
    readonly_fields = ["created_by"]
    verbose_name = "correction or update note"
    verbose_name_plural = "corrections and update notes (shown at the foot of the article)"


class PreviewLinkInline(ArticlePartInline, admin.TabularInline):
    model = PreviewLink
    form = PreviewLinkForm
    extra = 0
    fields = ["link", "created_by", "expires_at", "is_revoked"]
    readonly_fields = ["link", "created_by"]
    verbose_name = _("shared preview link")
    verbose_name_plural = _(
        "shared preview links (anyone with the link can read this draft until it expires)"
    )

    @admin.display(description=_("Link"))
    def link(self, obj):
        if not obj.pk:
            return _("Created when you save.")
        if not obj.is_usable():
            return _("Expired or revoked")
        return format_html('<a href="{0}" target="_blank">{0}</a>', obj.get_absolute_url())


@admin.register(Article)
class ArticleAdmin(VersionAdmin):
    form = ArticleAdminForm
    change_list_template = "admin/articles/article/change_list.html"
    list_display = [
        "headline",
        "section",
        "status_label",
        "byline",
        "publish_at",
        "held_comments",
        "approved_comments",
        "site_link",
    ]
    list_filter = ["status", "section", "authors"]
    list_select_related = ["section"]
    list_per_page = 50
    search_fields = ["headline", "dek", "slug"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section"]
    inlines = [ArticleAuthorInline, CorrectionInline, PreviewLinkInline]

    class Media:
        js = ["admin/js/urlify.js", "admin/articles/slug.js"]  # after the URLify it wraps

    actions = ["publish_now", "unpublish", "send_back_to_draft", "submit_for_review"]
    # What the story is and who wrote it come first: the template puts the byline right after
    # this first fieldset, before the body (change_form.html).
    fieldsets = [
        (None, {"fields": ["headline", "dek", ("section", "slug")]}),
        (_("Text"), {"fields": ["body", "version"]}),
        (
            _("Lead image"),
            {
                "fields": [
                    "lead_image",
                    "lead_image_alt",
                    "lead_image_caption",
                    "lead_image_credit",
                ]
            },
        ),
        (
            _("Publication"),
            {
                "fields": [
                    "status",
                    "publish_at",
                    "first_published_at",
                    "material_update_at",
                    "comments_enabled",
                    "comments_closing",
                    "is_front_lead",
                ],
                "description": _(
                    "Use the buttons at the bottom to submit for review or publish. A future "
                    "publication time schedules the article; a past one is kept, for a story "
                    "first published elsewhere. Set “Updated” only for changes readers should "
                    "know about: it is shown on the article."
                ),
            },
        ),
        (
            TAKE_DOWN,
            {
                "fields": ["withdrawal_reason"],
                "classes": ["collapse"],
                "description": _(
                    "To remove a published article, write the reason readers will see and "
                    "press “Take down”. Its address then says the article was removed."
                ),
            },
        ),
        (
            _("History"),
            {
                "fields": [
                    ("created_by", "created_at"),
                    ("last_edited_by", "updated_at"),
                    "published_by",
                    "withdrawn_at",
                    "status_history",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    audit_fields = [
        "comments_closing",
        "status",
        "created_by",
        "created_at",
        "last_edited_by",
        "updated_at",
        "published_by",
        "withdrawn_at",
        "status_history",
    ]
    # Only editors decide when and whether an article is public.
    editor_only_fields = [
        "publish_at",
        "first_published_at",
        "material_update_at",
        "comments_enabled",
        "is_front_lead",
        "withdrawal_reason",
    ]

    # --- Permissions ---------------------------------------------------------------------

    def has_publish_permission(self, request):
        return request.user.has_perm(workflow.PUBLISH_PERMISSION)

    def has_change_permission(self, request, obj=None):
        """Writers may change only their own drafts; editors everything."""
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or self.has_publish_permission(request):
            return True
        return obj.status == Article.Status.DRAFT and obj.is_written_by(request.user)

    def get_urls(self):
        original = path(
            "original/<path:name>",
            self.admin_site.admin_view(self.original_view),
            name="articles_article_original",
        )
        return [original, *super().get_urls()]

    def original_view(self, request, name):
        """Send staff an uploaded original, which is kept out of the public media folder."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        storage = Article._meta.get_field("lead_image").storage
        try:
            response = FileResponse(storage.open(name))
        except (SuspiciousFileOperation, OSError):
            raise Http404("No such picture.") from None
        patch_cache_control(response, private=True, max_age=3600)
        return response

    def get_fieldsets(self, request, obj=None):
        can_take_down = obj is not None and obj.status in workflow.STEPS["withdraw"][0] | {
            Article.Status.WITHDRAWN
        }
        return [fs for fs in self.fieldsets if fs[0] is not TAKE_DOWN or can_take_down]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "may_recover": self.has_delete_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def recoverlist_view(self, request, extra_context=None):
        # Bringing back what an editor deleted is an editor's call.
        if not self.has_delete_permission(request):
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        article = self.get_object(request, unquote(object_id))
        if article is not None and not self.has_change_permission(request, article):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        version = get_object_or_404(
            Version.objects.get_for_model(Article), pk=version_id, object_id=unquote(object_id)
        )
        self._check_restore(request, version)
        # Reversion writes the old row back raw, old lock number included; move the number past
        # the one before the restore so a form opened earlier cannot save over the restore.
        before = Article.objects.filter(pk=object_id).values_list("version", flat=True).first()
        response = super().revision_view(request, object_id, version_id, extra_context)
        if request.method == "POST" and response.status_code == 302 and before is not None:
            Article.objects.filter(pk=object_id, version__lte=before).update(version=before + 1)
        return response

    def recover_view(self, request, version_id, extra_context=None):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_for_model(Article), pk=version_id)
        self._check_restore(request, version)
        return super().recover_view(request, version_id, extra_context)

    def _check_restore(self, request, version):
        """Refuse to show or restore a revision unless the user may change, as they are now,
        every article it would write back, and may give each the status it would restore.

        Reversion writes the whole revision back before the change form checks anything, and
        one revision can hold several articles (an action run on a selection)."""
        stored = {}
        for each in version.revision.version_set.all():
            row = each._object_version.object
            if isinstance(row, Article):
                stored[row.pk] = row.status
            elif getattr(row, "article_id", None) is not None:
                stored.setdefault(row.article_id, None)
        current = Article.objects.in_bulk(stored)
        may_publish = self.has_publish_permission(request)
        for article_id, status in stored.items():
            article = current.get(article_id)
            if article is None:
                allowed = self.has_delete_permission(request)
            else:
                allowed = self.has_change_permission(request, article)
            # Only editors decide whether an article is public: a writer restores drafts only.
            if not allowed or not (may_publish or status in (None, Article.Status.DRAFT)):
                raise PermissionDenied

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.audit_fields)
        if not self.has_publish_permission(request):
            fields += self.editor_only_fields
        return fields

    # --- Changelist ----------------------------------------------------------------------

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_byline()
            .annotate(
                held_count=Count("comments", filter=Q(comments__status="held"), distinct=True),
                approved_count=Count(
                    "comments", filter=Q(comments__status="approved"), distinct=True
                ),
            )
        )

    @admin.display(description=_("Byline"))
    def byline(self, obj):
        return ", ".join(author.name for author in obj.byline_authors)

    held_comments = column("held_count", description=_("Held"), ordering="held_count")
    approved_comments = column(
        "approved_count", description=_("Comments"), ordering="approved_count"
    )

    @admin.display(description=_("Status"), ordering="status")
    def status_label(self, obj):
        # A published article whose time has not come is, to an editor, scheduled.
        return _("Scheduled") if obj.is_scheduled() else obj.get_status_display()

    @admin.display(description=_("On site"))
    def site_link(self, obj):
        label = _("View on site") if obj.is_published() else _("Preview")
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), label)

    @admin.display(description=_("Comments close"))
    def comments_closing(self, obj):
        """Say when readers' comments close, or why they are closed, in the editor's words."""
        if not obj.comments_enabled:
            return _("Closed: comments are switched off for this article.")
        days = settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS
        close_at = obj.comments_close_at()
        if close_at is None:
            if not days:
                return _("Never by age: comments stay open while the article is published.")
            return ngettext(
                "%(days)d day after publication (set a publication time to see the date).",
                "%(days)d days after publication (set a publication time to see the date).",
                days,
            ) % {"days": days}
        words = {"shown": date_format(timezone.localtime(close_at), "j F Y, H:i T"), "days": days}
        if close_at <= timezone.now():
            text = ngettext(
                "Closed on %(shown)s, %(days)d day after publication.",
                "Closed on %(shown)s, %(days)d days after publication.",
                days,
            )
        elif not obj.is_published():
            text = ngettext(
                "On %(shown)s, %(days)d day after the publication time.",
                "On %(shown)s, %(days)d days after the publication time.",
                days,
            )
        else:
            text = ngettext(
                "Open until %(shown)s, %(days)d day after publication.",
                "Open until %(shown)s, %(days)d days after publication.",
                days,
            )
        return text % words

    @admin.display(description=_("Status history"))
    def status_history(self, obj):
        changes = obj.status_changes.select_related("changed_by") if obj.pk else []
        if not changes:
            return _("No status changes yet.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}</li>",
                (
                    (
                        _("%(from)s → %(to)s by %(by)s on %(when)s%(note)s")
                        % {
                            "from": change.get_from_status_display(),
                            "to": change.get_to_status_display(),
                            "by": change.changed_by or _("a deleted user"),
                            "when": timezone.localtime(change.changed_at).strftime(
                                "%d %b %Y, %H:%M"
                            ),
                            "note": f" ({change.note})" if change.note else "",
                        },
                    )
                    for change in changes
                ),
            ),
        )

    # --- Actions: the same workflow functions as the form's buttons ------------------------

    def _run_step(self, request, queryset, step, done, **options):
        moved, refused = 0, []
        for article in queryset:
            if not self.has_change_permission(request, article):
                refused.append(_("“%(article)s” (not yours to change)") % {"article": article})
                continue
            try:
                getattr(workflow, step)(article, by=request.user, **options)
            except (workflow.TransitionNotAllowed, PermissionDenied):
                status = article.get_status_display().lower()
                refused.append(
                    _("“%(article)s” (%(status)s)") % {"article": article, "status": status}
                )
            else:
                moved += 1
        if moved:
            self.message_user(request, done % {"count": moved}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                _("Left unchanged: %(articles)s.") % {"articles": "; ".join(refused)},
                messages.WARNING,
            )

    @admin.action(description=_("Publish now"), permissions=["publish"])
    def publish_now(self, request, queryset):
        done = ngettext_lazy(
            "Published: %(count)d article.", "Published: %(count)d articles.", "count"
        )
        self._run_step(request, queryset, "publish", done, at=timezone.now())

    @admin.action(description=_("Unpublish"), permissions=["publish"])
    def unpublish(self, request, queryset):
        done = ngettext_lazy(
            "Unpublished: %(count)d article.", "Unpublished: %(count)d articles.", "count"
        )
        self._run_step(request, queryset, "unpublish", done)

    @admin.action(description=_("Send back to draft"), permissions=["publish"])
    def send_back_to_draft(self, request, queryset):
        done = ngettext_lazy(
            "Sent back to draft: %(count)d article.",
            "Sent back to draft: %(count)d articles.",
            "count",
        )
        self._run_step(request, queryset, "send_back_to_draft", done)

    @admin.action(description=_("Submit for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        done = ngettext_lazy(
            "Submitted for review: %(count)d article.",
            "Submitted for review: %(count)d articles.",
            "count",
        )
        self._run_step(request, queryset, "submit_for_review", done)

    # --- Change form ---------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(allow_importmap)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Restoring a revision is a plain save; workflow steps come after, on the live article.
        restoring = context.get("revert") or context.get("recover")
        may_change = not restoring and (add or self.has_change_permission(request, obj))
        context["workflow_buttons"] = workflow_buttons(obj, request.user) if may_change else []
        context["is_live"] = obj is not None and obj.is_published()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.last_edited_by = request.user
        super().save_model(request, obj, form, change)
        if obj.lead_image:
            # Also after a restore: the task only writes renditions that are missing.
            transaction.on_commit(lambda: tasks.build_renditions.delay(obj.pk), robust=True)

    def save_formset(self, request, form, formset, change):
        for row in formset.save(commit=False):
            if isinstance(row, (Correction, PreviewLink)) and row.created_by_id is None:
                row.created_by = request.user
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        step = getattr(form, "workflow_step", None)
        if step is None:
            return
        article = form.instance
        if step == "withdraw":
            workflow.withdraw(article, by=request.user, reason=article.withdrawal_reason)
        else:
            getattr(workflow, step)(article, by=request.user)
        when = timezone.localtime(article.publish_at).strftime("%d %b %Y, %H:%M %Z")
        if article.is_scheduled():
            self.message_user(
                request, _("Scheduled: readers will see it from %(when)s.") % {"when": when}
            )
        elif step == "publish" and article.publish_at < timezone.now() - timedelta(minutes=1):
            self.message_user(
                request,
                _(
                    "Published with the publication time you set, %(when)s: the article, its "
                    "feeds and sitemaps show that date, not today's."
                )
                % {"when": when},
            )
        else:
            self.message_user(
                request,
                _("%(step)s: done. Status is now “%(status)s”.")
                % {"step": WORKFLOW_LABELS[step], "status": article.get_status_display()},
            )


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["article", "from_status", "to_status", "changed_by", "changed_at", "note"]
    list_filter = ["to_status"]
    list_select_related = ["article", "changed_by"]
    search_fields = ["article__headline"]
    date_hierarchy = "changed_at"


@admin.register(EditorImage)
class EditorImageAdmin(admin.ModelAdmin):
    list_display = ["description", "thumbnail", "url", "uploaded_by", "uploaded_at"]
    list_select_related = ["uploaded_by"]
    search_fields = ["description"]
    fields = ["image", "description", "url"]
    readonly_fields = ["url"]
    formfield_overrides = {models.ImageField: {"form_class": UploadedPictureField}}

    @admin.display(description=_("Preview"))
    def thumbnail(self, obj):
        return format_html('<img src="{}" alt="" style="max-height:60px">', obj.image.url)

    @admin.display(description=_("Address to paste into the editor's image dialog"))
    def url(self, obj):
        return obj.image.url if obj.pk else _("Shown after you save.")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)
