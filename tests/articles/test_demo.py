import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone

from articles.demo import ARTICLES
from articles.models import Article, ArticleAuthor, Author, Section

FLAGSHIP = "ministers-open-bilateral-dialogue"
SCHEDULED = "household-survey-field-work-begins"
DRAFT = "libraries-should-open-when-readers-are-free"
IN_REVIEW = "small-lenders-see-steady-demand-for-farm-loans"
TWO_AUTHORS = "seagrass-meadows-return-to-merrin-bay"


def run_load_demo(*args):
    """Run the command as a developer would (DEBUG on) and return what it printed."""
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(output, username):
    match = re.search(rf"^\s+{username}\s+(\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def row_counts():
    return {
        "sections": Section.objects.count(),
        "authors": Author.objects.count(),
        "articles": Article.objects.count(),
        "bylines": ArticleAuthor.objects.count(),
        "users": get_user_model().objects.count(),
        "groups": Group.objects.count(),
    }


# Only the roles the migrations create exist: the command added nothing.
NOTHING_LOADED = {
    "sections": 0,
    "authors": 0,
    "articles": 0,
    "bylines": 0,
    "users": 0,
    "groups": 3,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        ([], "stories and accounts with printed passwords; it only runs with DJANGO_DEBUG=1"),
        (["--no-accounts"], "made-up demo stories; it only runs with DJANGO_DEBUG=1"),
    ],
)
@override_settings(DEBUG=False)
def test_refused_when_debug_is_off_saying_what_it_would_load(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("load_demo", *args, stdout=io.StringIO())

    assert row_counts() == NOTHING_LOADED


@pytest.mark.django_db
def test_running_twice_keeps_the_same_rows():
    output = run_load_demo()
    first = row_counts()
    article_ids = set(Article.objects.values_list("pk", flat=True))

    run_load_demo()

    assert row_counts() == first
    assert set(Article.objects.values_list("pk", flat=True)) == article_ids
    assert first == {
        "sections": 5,
        "authors": 5,
        "articles": 9,
        "bylines": 10,
        "users": 3,
        "groups": 3,
    }
    assert "[1/3] articles: loaded 5 sections, 5 authors, 9 articles." in output


@pytest.mark.django_db
def test_rerun_restores_edited_content_and_bylines():
    run_load_demo()
    article = Article.objects.get(slug=TWO_AUTHORS)
    article.headline = "Edited by hand"
    article.save()
    article.bylines.filter(order=0).delete()

    run_load_demo()

    article.refresh_from_db()
    assert article.headline == "Seagrass meadows return to Merrin Bay, coastal survey finds"
    assert [author.name for author in article.byline_authors] == [
        "Leela Varghese",
        "Arjun Sethi",
    ]


@pytest.mark.django_db
@override_settings(TIME_ZONE="Asia/Kolkata")
def test_flagship_article_is_a_published_desk_story_with_two_subheadings():
    run_load_demo()

    article = Article.objects.get(slug=FLAGSHIP)
    assert article.body.count("<h2>") == 2
    assert [author.name for author in article.byline_authors] == ["Staff Reporter"]
    assert article.byline_authors[0].is_desk
    assert article.publish_at == datetime(2023, 10, 23, 20, 54, tzinfo=UTC)
    assert article.dateline == date(2023, 10, 24)
    assert Article.objects.published().filter(pk=article.pk).exists()


@pytest.mark.django_db
def test_two_author_article_keeps_byline_order():
    run_load_demo()

    bylines = Article.objects.get(slug=TWO_AUTHORS).bylines.order_by("order")
    assert [(b.order, b.author.name) for b in bylines] == [
        (0, "Leela Varghese"),
        (1, "Arjun Sethi"),
    ]


@pytest.mark.django_db
def test_scheduled_article_stays_in_the_future_and_hidden():
    run_load_demo()

    article = Article.objects.get(slug=SCHEDULED)
    now = timezone.now()
    assert article.status == Article.Status.PUBLISHED
    assert now + timedelta(days=2) < article.publish_at <= now + timedelta(days=3)
    assert article.is_scheduled()
    assert not Article.objects.published().filter(pk=article.pk).exists()


@pytest.mark.django_db
def test_draft_and_in_review_articles_are_hidden_from_readers():
    run_load_demo()

    draft = Article.objects.get(slug=DRAFT)
    in_review = Article.objects.get(slug=IN_REVIEW)
    assert (draft.status, draft.publish_at) == (Article.Status.DRAFT, None)
    assert in_review.status == Article.Status.IN_REVIEW
    published = Article.objects.published()
    assert not published.filter(pk__in=[draft.pk, in_review.pk]).exists()
    assert published.count() == 6


@pytest.mark.django_db
def test_demo_bodies_pass_the_sanitizer_unchanged():
    run_load_demo()

    stored = dict(Article.objects.values_list("slug", "body"))
    for entry in ARTICLES:
        assert stored[entry["slug"]] == entry["body"], entry["slug"]
        assert 4 <= entry["body"].count("<p>") <= 8, entry["slug"]


@pytest.mark.django_db
def test_each_run_prints_new_passwords_that_log_in():
    first = run_load_demo()
    second = run_load_demo()

    for username in ["editor", "moderator", "writer"]:
        old, new = printed_password(first, username), printed_password(second, username)
        assert old != new
        # As the admin's sign-in form asks: with the request (django-axes throttles by it).
        request = RequestFactory().post("/admin/login/")
        assert authenticate(request, username=username, password=new).username == username
        assert authenticate(request, username=username, password=old) is None


@pytest.mark.django_db
def test_demo_logins_get_the_migration_roles():
    run_load_demo()

    user_model = get_user_model()
    editor = user_model.objects.get(username="editor")
    moderator = user_model.objects.get(username="moderator")
    assert editor.is_staff and moderator.is_staff
    assert not editor.is_superuser and not moderator.is_superuser
    assert editor.has_perm("articles.change_article")
    assert editor.has_perm("articles.delete_section")
    assert not editor.user_permissions.exists()
    assert list(editor.groups.values_list("name", flat=True)) == ["Editors"]
    assert editor.has_perm("articles.publish_article")
    assert not moderator.has_perm("articles.view_article")
    assert not moderator.has_perm("articles.change_article")
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderators"]
    writer = user_model.objects.get(username="writer")
    assert writer.is_staff and not writer.is_superuser
    assert writer.has_perm("articles.add_article")
    assert not writer.has_perm("articles.publish_article")
    assert list(writer.groups.values_list("name", flat=True)) == ["Writers"]
    assert writer.author_profile.slug == "arjun-sethi"


@pytest.mark.django_db
def test_no_accounts_loads_content_without_logins():
    output = run_load_demo("--no-accounts")

    assert not get_user_model().objects.exists()
    assert Article.objects.count() == 9
    assert "Demo logins (admin" not in output
    assert "[2/3] logins: left as they were (--no-accounts)." in output


@pytest.mark.django_db
def test_dry_run_saves_nothing():
    output = run_load_demo("--dry-run")

    assert row_counts() == NOTHING_LOADED
    assert "nothing was saved" in output
    assert "Demo logins" not in output
