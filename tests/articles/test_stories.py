"""Cards kept in a worker's memory by what they show (articles/templatetags/stories.py)."""

import io
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_init
from django.utils import timezone
from PIL import Image

from articles.models import Article
from newsroom import pagecache
from tests.factories import make_article, make_author, make_section

pytestmark = pytest.mark.django_db

CARD = "articles/_article_card.html"


def cards_rendered(response):
    return sum(template.name == CARD for template in response.templates)


def front_page_stories():
    section = make_section(name="Nation")
    reporter = make_author(name="Meera Iyer")
    now = timezone.now()
    return [
        make_article(section=section, authors=[reporter], publish_at=now - timedelta(hours=n))
        for n in range(1, 5)
    ]


def test_a_site_change_renders_again_only_the_cards_whose_rows_changed(client):
    stories = front_page_stories()
    assert cards_rendered(client.get("/")) == 3  # the lead is not a card

    pagecache.invalidate_site()  # what any edit does: the page is rendered again…
    response = client.get("/")
    assert response["X-Page-Cache"] == "miss"
    assert cards_rendered(response) == 0  # …from the cards this worker kept

    Article.objects.filter(pk=stories[1].pk).update(headline="A new headline")
    pagecache.invalidate_site()
    response = client.get("/")
    assert cards_rendered(response) == 1
    assert "A new headline" in response.content.decode()


@contextmanager
def receiving(signal, receiver):
    signal.connect(receiver, weak=False)
    try:
        yield
    finally:
        signal.disconnect(receiver)


def home_rendered(response):
    return sum(template.name == "articles/home.html" for template in response.templates)


def test_a_site_change_that_leaves_the_front_page_as_it_was_renders_nothing(client):
    stories = front_page_stories()
    first = client.get("/")
    assert home_rendered(first) == 1

    pagecache.invalidate_site()
    built = []
    with receiving(post_init, lambda sender, **kwargs: built.append(sender)):
        again = client.get("/")
    assert again["X-Page-Cache"] == "miss"
    assert home_rendered(again) == 0 and again.content == first.content
    # Kept under the stories' rows: none of them was built into an instance.
    assert Article not in built

    Article.objects.filter(pk=stories[0].pk).update(dek="A dek the lead shows now")
    pagecache.invalidate_site()
    changed = client.get("/")
    assert home_rendered(changed) == 1 and "A dek the lead shows now" in changed.content.decode()


def test_the_kept_front_page_follows_the_navigation_and_the_year(client):
    stories = front_page_stories()
    other = make_section(name="Sport")
    client.get("/")

    other.name = "Sports"
    other.save()
    assert ">Sports</a></li>" in client.get("/").content.decode()

    new_year = timezone.make_aware(timezone.datetime(2031, 1, 1, 0, 0, 1))
    Article.objects.filter(pk__in=[story.pk for story in stories]).update(
        publish_at=new_year - timedelta(days=1)
    )
    pagecache.invalidate_site()
    with time_machine.travel(new_year - timedelta(seconds=2), tick=False):
        assert "&copy; 2030" in client.get("/").content.decode()
    pagecache.invalidate_site()
    with time_machine.travel(new_year, tick=False):
        assert "&copy; 2031" in client.get("/").content.decode()


def test_a_renamed_section_or_author_shows_on_every_kept_card(client):
    stories = front_page_stories()
    client.get("/")

    stories[0].section.name = "The Nation"
    stories[0].section.save()  # retires the site generation, as every edit does
    html = client.get("/").content.decode()
    assert re.findall(r'article-card-section"><a href="[^"]*">([^<]*)<', html) == ["The Nation"] * 4

    author = stories[0].bylines.get().author
    author.name = "Meera Iyer-Rao"
    author.save()
    html = client.get("/").content.decode()
    assert html.count("Meera Iyer-Rao") == 4


def test_a_card_shows_its_picture_once_the_renditions_are_built(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 90, 160)).save(buffer, "JPEG")
    make_article()  # the lead
    pictured = make_article(
        lead_image=SimpleUploadedFile("river.jpg", buffer.getvalue()),
        lead_image_alt="A river at dawn",
        publish_at=timezone.now() - timedelta(hours=2),
    )
    assert "picture-placeholder" in client.get("/").content.decode()

    pictured.build_renditions()
    pagecache.invalidate_site()  # as tasks.build_renditions does
    html = client.get("/").content.decode()
    assert "picture-placeholder" not in html and "river-card" in html


def test_a_card_template_showing_a_field_the_front_page_does_not_load_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured
    from django.template import engines

    from articles.models import CARD_FIELDS
    from articles.templatetags import stories

    make_article(body="<p>Not on the front page.</p>")
    article = Article.objects.select_related("section").only(*CARD_FIELDS).get()
    body_card = engines["django"].from_string("{{ article.body }}")
    monkeypatch.setattr(stories, "get_template", lambda name: body_card)
    # Kept under a key without the body, it would outlive an edit of the body.
    with pytest.raises(ImproperlyConfigured):
        stories.story("a card showing the body", article)


def test_the_front_page_loads_no_article_bodies(client, django_assert_num_queries):
    front_page_stories()
    with django_assert_num_queries(
        4
    ) as queries:  # count and next due, navigation, stories, bylines
        client.get("/")
    assert not any('"body"' in query["sql"] for query in queries.captured_queries)
