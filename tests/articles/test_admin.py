"""The article admin as each role uses it: forms, buttons, actions, history and edit conflicts."""

import io
from datetime import timedelta
from unittest import mock

import pytest
import reversion
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from reversion.models import Version

from articles.models import Article, ArticleAuthor, Correction, PreviewLink, StatusChange
from articles.tasks import build_renditions
from tests.factories import (
    make_article,
    make_articles,
    make_author,
    make_comment,
    make_section,
    make_user,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/articles/article/"
ADD = "/admin/articles/article/add/"


def change_url(article):
    return f"/admin/articles/article/{article.pk}/change/"


def make_staff(username, group, *, email=None):
    return make_user(
        username, groups=[group], email=email or f"{username}@example.com", is_staff=True
    )


@pytest.fixture
def writer():
    user = make_staff("wanda", "Writers")
    make_author(name="Wanda Writer", user=user)
    return user


@pytest.fixture
def editor():
    return make_staff("eddie", "Editors")


@pytest.fixture
def moderator():
    return make_staff("mo", "Moderators")


def form_data(article=None, **overrides):
    """The POST an article change form sends, with empty inline formsets."""
    data = {
        "headline": "Council approves the budget",
        "slug": "council-approves-the-budget",
        "dek": "The vote was close.",
        "section": make_section().pk if article is None else article.section_id,
        "body": "<p>The council voted.</p>",
        "lead_image_alt": "",
        "lead_image_caption": "",
        "lead_image_credit": "",
        "publish_at_0": "",
        "publish_at_1": "",
        "material_update_at_0": "",
        "material_update_at_1": "",
        "comments_enabled": "on",
        "withdrawal_reason": "",
    }
    if article is not None:
        data.update(
            {
                "headline": article.headline,
                "slug": article.slug,
                "dek": article.dek,
                "body": article.body,
                "version": article.version,
                "withdrawal_reason": article.withdrawal_reason,
            }
        )
        if article.publish_at:
            local = timezone.localtime(article.publish_at)
            data["publish_at_0"] = local.strftime("%Y-%m-%d")
            data["publish_at_1"] = local.strftime("%H:%M:%S")
    for prefix in ("bylines", "corrections", "preview_links"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(overrides)
    return data


def jpeg(width=1600, height=900, *, name="photo.jpg", fmt="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def media(settings, tmp_path):
    """The public media folder; uploaded originals go to a private one beside it."""
    settings.MEDIA_ROOT = tmp_path / "public"
    settings.NEWSROOM_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path / "public"


# --- Roles ---------------------------------------------------------------------------------


def test_migrations_create_the_three_roles_with_their_permissions():
    def perms(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert {"add_article", "change_article", "view_article"} <= perms("Writers")
    assert "publish_article" not in perms("Writers")
    assert "delete_article" not in perms("Writers")
    assert {"publish_article", "change_article", "delete_article", "add_correction"} <= perms(
        "Editors"
    )
    assert "change_statuschange" not in perms("Editors")
    assert not {p for p in perms("Moderators") if p.endswith("article")}


@pytest.mark.parametrize("url", [CHANGELIST, ADD, "change"])
def test_moderator_cannot_open_articles(client, moderator, url):
    article = make_article()
    client.force_login(moderator)
    response = client.get(change_url(article) if url == "change" else url)
    assert response.status_code == 403


def test_moderator_cannot_post_a_change_either(client, moderator):
    article = make_article(headline="Original")
    client.force_login(moderator)
    response = client.post(change_url(article), form_data(article, headline="Vandalised"))
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "Original"


def test_writer_creates_a_draft_and_is_recorded_as_its_creator(client, writer):
    client.force_login(writer)
    response = client.post(ADD, form_data())
    assert response.status_code == 302
    article = Article.objects.get(slug="council-approves-the-budget")
    assert article.status == Article.Status.DRAFT
    assert article.created_by == writer and article.last_edited_by == writer
    assert article.publish_at is None


def test_writer_cannot_publish_with_the_publish_button(client, writer):
    client.force_login(writer)
    response = client.post(ADD, form_data(_workflow="publish"))
    assert response.status_code == 200
    assert "You cannot “save and publish” this article." in response.content.decode()
    assert not Article.objects.exists()


def test_writer_crafted_status_and_time_fields_are_ignored(client, writer):
    article = make_article(status=Article.Status.DRAFT, publish_at=None, created_by=writer)
    client.force_login(writer)
    data = form_data(
        article,
        status="published",
        publish_at_0="2020-01-01",
        publish_at_1="10:00:00",
        published_by=writer.pk,
        headline="Edited by the writer",
    )
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.headline == "Edited by the writer"
    assert article.status == Article.Status.DRAFT
    assert article.publish_at is None and article.published_by is None


def test_writer_does_not_see_the_publish_button_or_publishing_actions(client, writer):
    article = make_article(status=Article.Status.DRAFT, publish_at=None, created_by=writer)
    client.force_login(writer)
    form_html = client.get(change_url(article)).content.decode()
    assert 'value="submit_for_review"' in form_html
    assert 'value="publish"' not in form_html
    list_html = client.get(CHANGELIST).content.decode()
    assert 'value="submit_for_review"' in list_html
    assert 'value="publish_now"' not in list_html and 'value="unpublish"' not in list_html


@pytest.mark.parametrize(
    "action, status",
    [
        ("publish_now", Article.Status.IN_REVIEW),
        ("unpublish", Article.Status.PUBLISHED),
        ("send_back_to_draft", Article.Status.IN_REVIEW),
    ],
)
def test_writer_cannot_run_editor_actions_with_a_crafted_post(client, writer, action, status):
    article = make_article(status=status, created_by=writer)
    client.force_login(writer)
    client.post(CHANGELIST, {"action": action, "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert article.status == status
    assert not StatusChange.objects.exists()


def test_writer_submits_own_draft_and_editors_are_emailed(
    client, writer, editor, django_capture_on_commit_callbacks
):
    make_staff("ed2", "Editors", email="ed2@example.com")
    article = make_article(
        headline="Bus fares rise", status=Article.Status.DRAFT, publish_at=None, created_by=writer
    )
    client.force_login(writer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change_url(article), form_data(article, _workflow="submit_for_review")
        )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW
    change = StatusChange.objects.get(article=article)
    assert (change.from_status, change.to_status, change.changed_by) == ("draft", "review", writer)
    # One message per editor, through the outbox.
    assert sorted(m.to[0] for m in mail.outbox) == ["ed2@example.com", "eddie@example.com"]
    assert {m.subject for m in mail.outbox} == {"For review: Bus fares rise"}
    assert f"/admin/articles/article/{article.pk}/change/" in mail.outbox[0].body


def test_writer_edits_a_draft_they_have_a_byline_on(client, writer):
    article = make_article(
        status=Article.Status.DRAFT, publish_at=None, authors=[writer.author_profile]
    )
    client.force_login(writer)
    assert client.post(change_url(article), form_data(article, headline="Mine")).status_code == 302


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": Article.Status.PUBLISHED},
        {"status": Article.Status.IN_REVIEW},
        {"status": Article.Status.DRAFT, "publish_at": None, "someone_else": True},
    ],
    ids=["own-published", "own-in-review", "someone-elses-draft"],
)
def test_writer_cannot_change_published_in_review_or_others_articles(client, writer, overrides):
    someone_else = overrides.pop("someone_else", False)
    creator = make_staff("other", "Writers") if someone_else else writer
    article = make_article(headline="Untouched", created_by=creator, **overrides)
    client.force_login(writer)

    page = client.get(change_url(article))
    assert page.status_code == 200  # read-only view
    assert 'name="_save"' not in page.content.decode()
    response = client.post(change_url(article), form_data(article, headline="Changed"))
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.headline == "Untouched"


# --- Editors: buttons and actions ----------------------------------------------------------


def test_editor_publishes_with_the_button_and_an_audit_row_is_written(client, editor):
    article = make_article(status=Article.Status.IN_REVIEW, publish_at=None)
    client.force_login(editor)
    before = timezone.now()
    response = client.post(change_url(article), form_data(article, _workflow="publish"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED and article.is_published()
    assert before <= article.publish_at <= timezone.now()
    assert article.first_published_at == article.publish_at
    assert article.published_by == editor
    change = article.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "review",
        "published",
        editor,
    )


def test_editor_publishes_a_backdated_story_and_is_told_its_date_was_kept(client, editor):
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    client.force_login(editor)
    data = form_data(
        article, _workflow="publish", publish_at_0="2023-10-24", publish_at_1="02:24:00"
    )
    response = client.post(change_url(article), data, follow=True)
    assert (
        "Published with the publication time you set, 24 Oct 2023, 02:24 IST"
        in response.content.decode()
    )
    article.refresh_from_db()
    assert timezone.localtime(article.publish_at).strftime("%Y-%m-%d %H:%M") == "2023-10-24 02:24"
    assert article.first_published_at == article.publish_at and article.is_published()


def test_editor_sets_the_first_publication_time_of_a_migrated_story(client, editor):
    article = make_article()
    client.force_login(editor)
    data = form_data(article, first_published_at_0="2019-03-01", first_published_at_1="09:30:00")
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert timezone.localtime(article.first_published_at).strftime("%Y-%m-%d %H:%M") == (
        "2019-03-01 09:30"
    )
    future = timezone.localtime(timezone.now() + timedelta(days=1))
    data = form_data(
        article, first_published_at_0=future.strftime("%Y-%m-%d"), first_published_at_1="09:30:00"
    )
    response = client.post(change_url(article), data)
    assert "cannot be in the future" in response.content.decode()


def test_writer_sees_but_cannot_set_the_first_publication_time(client, writer):
    client.force_login(writer)
    html = client.get(ADD).content.decode()
    assert 'name="first_published_at_0"' not in html and "First published" in html


@pytest.mark.parametrize(
    "overrides, shown",
    [
        ({"comments_enabled": False}, "Closed: comments are switched off for this article."),
        ({"publish_at": None, "status": "draft"}, "30 days after publication (set a publication"),
        ({"publish_at": timezone.now() - timedelta(days=40)}, "Closed on "),
        ({"publish_at": timezone.now() - timedelta(days=1)}, "Open until "),
    ],
)
def test_article_form_says_when_comments_close_or_why_they_are_closed(
    client, editor, settings, overrides, shown
):
    settings.NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS = 30
    article = make_article(**overrides)
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert shown in html


def test_editor_schedules_by_publishing_with_a_future_time(client, editor):
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(microsecond=0)
    client.force_login(editor)
    data = form_data(
        article,
        _workflow="publish",
        publish_at_0=when.strftime("%Y-%m-%d"),
        publish_at_1=when.strftime("%H:%M:%S"),
    )
    response = client.post(change_url(article), data, follow=True)
    assert "Scheduled: readers will see it from" in response.content.decode()
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.publish_at == when and article.is_scheduled()
    assert article not in Article.objects.published()


@pytest.mark.parametrize(
    "action, start, end",
    [
        ("publish_now", Article.Status.IN_REVIEW, Article.Status.PUBLISHED),
        ("unpublish", Article.Status.PUBLISHED, Article.Status.UNPUBLISHED),
        ("send_back_to_draft", Article.Status.IN_REVIEW, Article.Status.DRAFT),
    ],
)
def test_editor_actions_move_every_selected_article(client, editor, action, start, end):
    articles = make_articles(3, status=start)
    client.force_login(editor)
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": [a.pk for a in articles]}, follow=True
    )
    assert ": 3 articles." in response.content.decode()
    for article in articles:
        article.refresh_from_db()
        assert article.status == end
    assert StatusChange.objects.filter(to_status=end).count() == 3


def test_publish_now_brings_a_scheduled_article_forward(client, editor):
    article = make_article(publish_at=timezone.now() + timedelta(days=3))
    client.force_login(editor)
    client.post(CHANGELIST, {"action": "publish_now", "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert article.is_published()


def test_take_down_needs_a_reason_then_the_article_answers_410(client, editor):
    article = make_article(headline="Mistaken story")
    client.force_login(editor)
    refused = client.post(change_url(article), form_data(article, _workflow="withdraw"))
    assert refused.status_code == 200
    assert "Give a reason for taking the article down" in refused.content.decode()
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED

    reason = "Removed on legal advice while a complaint is investigated."
    data = form_data(article, _workflow="withdraw", withdrawal_reason=reason)
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.WITHDRAWN and article.withdrawn_at
    client.logout()
    response = client.get(article.get_absolute_url())
    assert response.status_code == 410
    assert reason in response.content.decode()


def test_editor_adds_a_correction_and_a_preview_link_inline(client, editor):
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    client.force_login(editor)
    data = form_data(
        article,
        **{
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-kind": "correction",
            "corrections-0-text": "An earlier version misspelt the mayor's name.",
            "corrections-0-created_at_0": "2026-01-05",
            "corrections-0-created_at_1": "10:00:00",
            "preview_links-TOTAL_FORMS": "1",
            **preview_expiry(timezone.now() + timedelta(days=3)),
        },
    )
    assert client.post(change_url(article), data).status_code == 302
    correction = Correction.objects.get(article=article)
    assert correction.created_by == editor
    link = PreviewLink.objects.get(article=article)
    assert link.created_by == editor
    assert link.get_absolute_url() in client.get(change_url(article)).content.decode()


def preview_expiry(when):
    local = timezone.localtime(when)
    return {
        "preview_links-0-expires_at_0": local.strftime("%Y-%m-%d"),
        "preview_links-0-expires_at_1": local.strftime("%H:%M:%S"),
    }


def test_preview_link_expiry_is_capped_at_14_days_in_the_form(client, editor):
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    client.force_login(editor)
    data = form_data(
        article,
        **{
            "preview_links-TOTAL_FORMS": "1",
            **preview_expiry(timezone.now() + timedelta(days=365 * 20)),
        },
    )
    response = client.post(change_url(article), data)
    assert response.status_code == 200
    assert "A preview link can work for at most 14 days" in response.content.decode()
    assert not PreviewLink.objects.exists()


def test_a_twenty_year_preview_link_stops_working_after_14_days(client):
    article = make_article(status=Article.Status.DRAFT, publish_at=None, body="<p>Draft.</p>")
    made = timezone.now() - timedelta(days=15)
    link = PreviewLink.objects.create(
        article=article, created_at=made, expires_at=made + timedelta(days=365 * 20)
    )
    assert not link.is_usable()
    assert not PreviewLink.objects.usable().exists()
    assert client.get(link.get_absolute_url()).status_code == 410


# --- The form: rich text, images, conflicts --------------------------------------------------


def test_change_form_has_the_offline_rich_text_editor_allowed_by_csp(client, editor):
    article = make_article()
    client.force_login(editor)
    response = client.get(change_url(article))
    html = response.content.decode()
    assert "data-django-prose-editor-configurable" in html
    assert "/static/django_prose_editor/editor.js" in html
    assert "https://" not in response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in response.headers["Content-Security-Policy"]


def test_body_pasted_into_the_editor_is_sanitized_on_save(client, editor):
    article = make_article()
    client.force_login(editor)
    pasted = (
        '<h2 style="color:red" onclick="x()">Heading</h2><p class="MsoNormal">Text '
        '<a href="https://example.org" onmouseover="steal()">link</a></p>'
        '<iframe src="https://evil.example"></iframe><script>alert(1)</script>'
    )
    client.post(change_url(article), form_data(article, body=pasted))
    article.refresh_from_db()
    assert article.body == ('<h2>Heading</h2><p>Text <a href="https://example.org">link</a></p>')


def test_control_characters_typed_into_the_form_are_stripped_or_reported_blank(client, editor):
    article = make_article()
    client.force_login(editor)
    data = form_data(article, headline="Budget\x0cpassed\x1b", dek="\x08\x0e")
    response = client.post(change_url(article), data)
    assert response.status_code == 200  # the summary held nothing else: reported blank
    assert "This field cannot be blank." in response.content.decode()
    data["dek"] = "The vote was close."
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.headline == "Budget passed"


def test_second_of_two_concurrent_saves_is_refused_and_keeps_its_text(client, editor):
    article = make_article(headline="Original", body="<p>Original text.</p>")
    other_editor = make_staff("erin", "Editors")
    opened_by_both = form_data(article)

    client.force_login(other_editor)
    first = client.post(change_url(article), {**opened_by_both, "body": "<p>Erin's text.</p>"})
    assert first.status_code == 302

    client.force_login(editor)
    second = client.post(change_url(article), {**opened_by_both, "body": "<p>Eddie's text.</p>"})
    html = second.content.decode()
    assert second.status_code == 200
    assert "erin saved this article at" in html and "your changes were not saved" in html
    assert "Eddie&#x27;s text." in html or "Eddie's text." in html
    article.refresh_from_db()
    assert article.body == "<p>Erin's text.</p>"


def test_lead_image_upload_makes_renditions(
    client, editor, media, django_capture_on_commit_callbacks
):
    article = make_article()
    client.force_login(editor)
    data = form_data(article, lead_image=jpeg(2400, 1600), lead_image_alt="A bus at a stop")
    with django_capture_on_commit_callbacks(execute=True):  # the Celery task, eager in tests
        assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert (article.lead_image_width, article.lead_image_height) == (2400, 1600)
    rendition = article.get_rendition("article")
    assert (rendition.width, rendition.height) == (1200, 800)
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'<img src="{rendition.url}" width="1200" height="800" alt="A bus at a stop">' in html


@pytest.mark.parametrize(
    "upload, overrides, message",
    [
        (
            SimpleUploadedFile("notes.jpg", b"not a picture", content_type="image/jpeg"),
            {"lead_image_alt": "x"},
            "Upload a valid image.",
        ),
        (None, {"lead_image_alt": "x"}, "is 800 pixels wide; lead pictures need at least 1200"),
        (None, {}, "Describe the picture for readers who cannot see it."),
        (None, {"lead_image_alt": "x", "too_large": True}, "the limit is 0 MB"),
        (None, {"lead_image_alt": "x", "gif": True}, "Upload a JPEG, PNG or WebP picture."),
    ],
    ids=["not-an-image", "too-small", "no-alt-text", "too-large", "gif"],
)
def test_bad_lead_images_get_a_clear_form_error(
    client, editor, media, settings, upload, overrides, message
):
    if overrides.pop("too_large", False):
        settings.NEWSROOM_LEAD_IMAGE_MAX_MB = 0
        upload = jpeg()
    elif overrides.pop("gif", False):
        upload = jpeg(1600, 900, name="anim.gif", fmt="GIF")
    elif upload is None and "lead_image_alt" in overrides:
        upload = jpeg(800, 600)
    elif upload is None:
        upload = jpeg()
    article = make_article(headline="Picture story")
    client.force_login(editor)
    response = client.post(change_url(article), form_data(article, lead_image=upload, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    article.refresh_from_db()
    assert not article.lead_image


def png_bomb(width, height):
    """A PNG of a few kilobytes that would decode to width × height pixels."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")


@pytest.mark.parametrize("size", [(10_000, 10_000), (9_000, 5_000)], ids=["100MP", "45MP"])
def test_a_pixel_bomb_is_refused_with_a_clear_form_error(client, editor, media, size):
    upload = png_bomb(*size)
    assert upload.size < 200_000
    article = make_article()
    client.force_login(editor)
    response = client.post(
        change_url(article), form_data(article, lead_image=upload, lead_image_alt="Nothing")
    )
    assert response.status_code == 200
    assert "This picture has more than 40 million pixels" in response.content.decode()
    article.refresh_from_db()
    assert not article.lead_image
    assert not list(media.rglob("*.png"))


def test_pillow_refuses_to_open_a_picture_over_the_limit_anywhere():
    assert Image.MAX_IMAGE_PIXELS == 40_000_000
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    with pytest.raises(Image.DecompressionBombError):
        Image.open(buffer)


def jpeg_with_gps_and_rotation():
    """A camera JPEG: 1600×1200 as stored, to be shown turned upright (EXIF Orientation 6)."""
    picture = Image.new("RGB", (1600, 1200), (10, 120, 40))
    picture.paste((250, 250, 250), (0, 0, 200, 200))  # a white corner shows which way is up
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x0110] = "Pocket Camera 9"  # Model
    gps = {1: "N", 2: (12.0, 58.0, 17.0), 3: "E", 4: (77.0, 35.0, 40.0)}
    exif[0x8825] = gps  # GPSInfo
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif().get_ifd(0x8825)
    return SimpleUploadedFile("IMG_0001.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_uploaded_original_is_stored_without_metadata_and_upright(
    client, editor, media, django_capture_on_commit_callbacks
):
    article = make_article()
    client.force_login(editor)
    data = form_data(article, lead_image=jpeg_with_gps_and_rotation(), lead_image_alt="A field")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    with Image.open(article.lead_image.path) as stored:
        exif = stored.getexif()
        assert not exif.get_ifd(0x8825) and 0x0110 not in exif and 0x0112 not in exif
        assert stored.size == (1200, 1600)  # turned upright
        assert stored.getpixel((1150, 50))[0] > 200  # the white corner is now top right
    assert (article.lead_image_width, article.lead_image_height) == (1200, 1600)


def test_originals_are_kept_out_of_the_public_media_folder_and_sent_to_staff_only(
    client, editor, media, django_capture_on_commit_callbacks
):
    article = make_article()
    client.force_login(editor)
    data = form_data(article, lead_image=jpeg(1600, 900), lead_image_alt="A bus")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    public = {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}
    assert public and all(name.startswith("renditions/") for name in public)
    assert not (media / article.lead_image.name).exists()

    url = article.lead_image.url
    assert url.startswith("/admin/articles/article/original/")
    original = client.get(url)
    assert original.status_code == 200
    with open(article.lead_image.path, "rb") as stored:
        assert b"".join(original.streaming_content) == stored.read()
    assert "private" in original["Cache-Control"]
    assert client.get("/admin/articles/article/original/../../settings.py").status_code == 404

    client.logout()
    assert client.get(url).status_code == 302  # to the admin sign-in
    assert client.get(f"/media/{article.lead_image.name}").status_code == 404


def test_body_images_are_stored_without_metadata(client, editor, media):
    from articles.models import EditorImage

    editor.user_permissions.add(*Permission.objects.filter(codename__endswith="editorimage"))
    client.force_login(editor)
    response = client.post(
        "/admin/articles/editorimage/add/",
        {"image": jpeg_with_gps_and_rotation(), "description": "A field"},
    )
    assert response.status_code == 302
    with Image.open(EditorImage.objects.get().image.path) as stored:
        assert not stored.getexif().get_ifd(0x8825)


def test_a_readers_request_never_builds_a_rendition(client, media):
    article = make_article(lead_image_alt="A bus at a stop")
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1600)).save(buffer, "JPEG")
    article.lead_image.save("bus.jpg", SimpleUploadedFile("bus.jpg", buffer.getvalue()))
    with mock.patch("articles.models._resize", side_effect=AssertionError("resized")) as resize:
        for url in [article.get_absolute_url(), "/", article.section.get_absolute_url()]:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            # A grey box of the right size until the task has made the rendition.
            assert "/static/img/picture-placeholder.svg" in html, url
        assert 'property="og:image"' not in html
    assert resize.call_count == 0
    assert not (media / "renditions").exists()
    # Once the task ran, readers get the real picture.
    assert build_renditions.delay(article.pk).get() == 5
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'alt="A bus at a stop"' in html and "picture-placeholder" not in html


# --- History -------------------------------------------------------------------------------


def test_editor_restores_an_older_revision(client, editor):
    client.force_login(editor)
    client.post(ADD, form_data(body="<p>First draft.</p>"))
    article = Article.objects.get()
    client.post(change_url(article), form_data(article, body="<p>Second draft.</p>"))
    article.refresh_from_db()
    assert article.body == "<p>Second draft.</p>"
    version_before_restore = article.version

    versions = Version.objects.get_for_object(article)
    assert versions.count() == 2
    oldest = versions.last()
    history = client.get(f"/admin/articles/article/{article.pk}/history/").content.decode()
    assert "eddie" in history
    revision_url = f"/admin/articles/article/{article.pk}/history/{oldest.pk}/"
    page = client.get(revision_url)
    assert page.status_code == 200 and "First draft." in page.content.decode()
    assert client.post(revision_url, data_shown_in(page)).status_code == 302
    article.refresh_from_db()
    assert article.body == "<p>First draft.</p>"
    assert Version.objects.get_for_object(article).count() == 3
    # The lock number moves on: a form opened before the restore cannot save over it.
    assert article.version > version_before_restore


def test_deleted_article_can_be_recovered_with_its_byline(client, editor):
    author = make_author(name="Asha Rao")
    client.force_login(editor)
    client.post(
        ADD,
        form_data(
            **{
                "bylines-TOTAL_FORMS": "1",
                "bylines-0-author": author.pk,
                "bylines-0-order": "0",
            }
        ),
    )
    article = Article.objects.get()
    client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"})
    assert not Article.objects.exists()

    deleted = Version.objects.get_deleted(Article).get()
    recover_url = f"/admin/articles/article/recover/{deleted.pk}/"
    page = client.get(recover_url)
    assert page.status_code == 200
    assert client.post(recover_url, data_shown_in(page)).status_code == 302
    recovered = Article.objects.get(pk=article.pk)
    assert recovered.headline == "Council approves the budget"
    assert [author] == recovered.byline_authors


def save_revision(article, **changes):
    """Save the article with changes as a new revision, as the admin would; return its version."""
    for name, value in changes.items():
        setattr(article, name, value)
    with reversion.create_revision():
        article.save()
    return Version.objects.get_for_object(article).first()


def written_by(writer, **overrides):
    article = make_article(authors=[writer.author_profile], **overrides)
    Article.objects.filter(pk=article.pk).update(created_by=writer)
    article.refresh_from_db()
    return article


def test_writer_cannot_revert_a_live_article_to_their_old_draft(client, writer):
    article = written_by(writer, status=Article.Status.DRAFT, publish_at=None, body="<p>Old.</p>")
    draft = save_revision(article)
    save_revision(
        article,
        status=Article.Status.PUBLISHED,
        publish_at=timezone.now() - timedelta(hours=1),
        body="<p>As published.</p>",
    )
    client.force_login(writer)
    url = f"/admin/articles/article/{article.pk}/history/{draft.pk}/"
    response = client.post(url, form_data(article, body="<p>The writer's new text.</p>"))
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.body == "<p>As published.</p>"


@pytest.mark.parametrize("status", [Article.Status.PUBLISHED, Article.Status.IN_REVIEW])
def test_every_reversion_view_refuses_a_writer_on_a_published_or_in_review_article(
    client, writer, status
):
    article = written_by(writer, status=Article.Status.DRAFT, publish_at=None)
    draft = save_revision(article)
    save_revision(article, status=status, publish_at=timezone.now() - timedelta(hours=1))
    client.force_login(writer)
    base = f"/admin/articles/article/{article.pk}"
    for method, url in [
        ("get", f"{base}/history/"),
        ("get", f"{base}/history/{draft.pk}/"),
        ("post", f"{base}/history/{draft.pk}/"),
        ("get", "/admin/articles/article/recover/"),
        ("get", f"/admin/articles/article/recover/{draft.pk}/"),
        ("post", f"/admin/articles/article/recover/{draft.pk}/"),
    ]:
        data = form_data(article, body="<p>Rewritten.</p>") if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)
    article.refresh_from_db()
    assert article.status == status
    assert article.body != "<p>Rewritten.</p>"


def test_writer_cannot_restore_a_revision_that_would_publish_their_draft(client, writer, editor):
    article = written_by(writer)
    published = save_revision(article)
    save_revision(article, status=Article.Status.DRAFT)
    client.force_login(writer)
    url = f"/admin/articles/article/{article.pk}/history/{published.pk}/"
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(article)).status_code == 403
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_writer_cannot_restore_a_revision_that_also_holds_someone_elses_live_article(
    client, writer
):
    """One revision can hold several articles (an editor's action on a selection)."""
    own = written_by(writer, status=Article.Status.DRAFT, publish_at=None)
    live = make_article(body="<p>Live text.</p>")
    with reversion.create_revision():
        own.save()
        live.save()
    shared = Version.objects.get_for_object(own).first()
    save_revision(live, body="<p>Corrected live text.</p>")
    client.force_login(writer)
    url = f"/admin/articles/article/{own.pk}/history/{shared.pk}/"
    assert client.post(url, form_data(own)).status_code == 403
    live.refresh_from_db()
    assert live.body == "<p>Corrected live text.</p>"


def test_writer_restores_an_older_version_of_their_own_draft(client, writer):
    article = written_by(writer, status=Article.Status.DRAFT, publish_at=None)
    first = save_revision(article, body="<p>First go.</p>")
    save_revision(article, body="<p>Second go.</p>")
    client.force_login(writer)
    url = f"/admin/articles/article/{article.pk}/history/{first.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert client.post(url, data_shown_in(page)).status_code == 302
    article.refresh_from_db()
    assert article.body == "<p>First go.</p>"
    assert article.status == Article.Status.DRAFT


def data_shown_in(page):
    """The POST a browser sends back for an admin change form exactly as it was shown."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update(
            {management[name].html_name: management[name].value() for name in management.fields}
        )
        forms += formset.forms
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False or field.name == "lead_image":
                continue
            if hasattr(value, "strftime") or field.name in {
                "publish_at",
                "material_update_at",
                "expires_at",
                "created_at",
            }:
                local = timezone.localtime(value) if value else None
                if local:
                    data[field.html_name + "_0"] = local.strftime("%Y-%m-%d")
                    data[field.html_name + "_1"] = local.strftime("%H:%M:%S")
                continue
            data[field.html_name] = "on" if value is True else value
    return data


# --- Changelist ----------------------------------------------------------------------------


def test_changelist_shows_byline_status_and_site_links(client, editor):
    author = make_author(name="Meera Iyer")
    live = make_article(headline="Live story", authors=[author])
    draft = make_article(headline="Draft story", status=Article.Status.DRAFT, publish_at=None)
    client.force_login(editor)
    html = client.get(CHANGELIST).content.decode()
    assert "Meera Iyer" in html
    assert f'<a href="{live.get_absolute_url()}">View on site</a>' in html
    assert f'<a href="{draft.get_absolute_url()}">Preview</a>' in html
    assert client.get(CHANGELIST + "?q=Draft").context["cl"].result_count == 1
    assert client.get(CHANGELIST + "?status__exact=draft").context["cl"].result_count == 1
    assert (
        client.get(CHANGELIST + f"?authors__id__exact={author.pk}").context["cl"].result_count == 1
    )


def test_changelist_calls_a_future_published_article_scheduled(client, editor):
    make_article(headline="Embargoed story", publish_at=timezone.now() + timedelta(hours=3))
    make_article(headline="Live story")
    client.force_login(editor)
    rows = {
        row.split("</th>")[0]: row
        for row in client.get(CHANGELIST).content.decode().split('<th class="field-headline">')[1:]
    }
    assert '<td class="field-status_label">Scheduled</td>' in next(
        row for key, row in rows.items() if "Embargoed story" in key
    )
    assert '<td class="field-status_label">Published</td>' in next(
        row for key, row in rows.items() if "Live story" in key
    )


def changelist_queries(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as context:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return response, len(context)


def test_changelist_runs_the_same_queries_for_1000_articles(
    client, editor, django_assert_max_num_queries
):
    section, author = make_section(), make_author()
    first = make_article(section=section, authors=[author])
    client.force_login(editor)
    _, few = changelist_queries(client, django_assert_max_num_queries, 30)

    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"Story {n}",
            slug=f"story-{n}",
            dek="Summary.",
            body="<p>Body.</p>",
            section=section,
            status=Article.Status.PUBLISHED,
            publish_at=now - timedelta(minutes=n),
        )
        for n in range(1000)
    )
    ArticleAuthor.objects.bulk_create(
        ArticleAuthor(article=article, author=author)
        for article in Article.objects.exclude(pk=first.pk)
    )
    for article in Article.objects.all()[:50]:
        make_comment(article, status="held")
        make_comment(article, status="approved")
    response, many = changelist_queries(client, django_assert_max_num_queries, few)
    assert response.context["cl"].result_count == 1001
    assert many == few


def test_changelist_counts_held_and_approved_comments_per_article(client, editor):
    busy = make_article(headline="Busy story")
    for status in ["held", "held", "approved", "approved", "approved", "spam", "rejected"]:
        make_comment(busy, status=status)
    make_article(headline="Quiet story")
    client.force_login(editor)
    rows = {a.headline: a for a in client.get(CHANGELIST).context["cl"].result_list}
    assert (rows["Busy story"].held_count, rows["Busy story"].approved_count) == (2, 3)
    assert (rows["Quiet story"].held_count, rows["Quiet story"].approved_count) == (0, 0)
    html = client.get(CHANGELIST + "?o=6").content.decode()
    assert '<td class="field-held_comments">2</td>' in html
    assert '<td class="field-approved_comments">3</td>' in html


def test_editor_revokes_a_preview_link_from_the_article_form(client, editor):
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    link = PreviewLink.objects.create(article=article, created_by=editor)
    assert client.get(link.get_absolute_url()).status_code == 200
    client.force_login(editor)
    page = client.get(change_url(article))
    data = data_shown_in(page)
    data["preview_links-0-is_revoked"] = "on"
    assert client.post(change_url(article), data).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    client.logout()
    assert client.get(link.get_absolute_url()).status_code == 410


def test_only_editors_can_recover_deleted_articles(client, writer, editor):
    client.force_login(writer)
    assert "Recover deleted articles" not in client.get(CHANGELIST).content.decode()
    assert client.get("/admin/articles/article/recover/").status_code == 403
    client.force_login(editor)
    assert "Recover deleted articles" in client.get(CHANGELIST).content.decode()
    assert client.get("/admin/articles/article/recover/").status_code == 200
