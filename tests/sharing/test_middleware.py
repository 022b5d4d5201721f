import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from sharing.middleware import ShareVisitMiddleware
from sharing.models import ShareVisitCount
from tests.factories import make_article

pytestmark = pytest.mark.django_db

TAGGED = "?utm_source=email&utm_medium=article_share&utm_campaign=x"


def run_middleware(path, status=200):
    request = RequestFactory().get(path)
    request.resolver_match = resolve(request.path)
    return ShareVisitMiddleware(lambda request: HttpResponse(status=status))(request)


def test_visits_from_emailed_links_are_counted_per_article(client):
    article = make_article()
    other = make_article()
    for _ in range(3):
        assert client.get(article.get_absolute_url() + TAGGED).status_code == 200
    client.get(other.get_absolute_url() + TAGGED)
    assert ShareVisitCount.objects.get(article=article).visits == 3
    assert ShareVisitCount.objects.get(article=other).visits == 1


def test_ordinary_views_and_other_campaigns_are_not_counted(client):
    article = make_article()
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url() + "?utm_medium=social")
    client.get("/" + TAGGED)  # the home page is not an article
    assert not ShareVisitCount.objects.exists()


def test_an_ordinary_page_view_costs_no_query(django_assert_num_queries):
    article = make_article()
    with django_assert_num_queries(0):
        run_middleware(article.get_absolute_url())
        run_middleware(article.get_absolute_url() + "?utm_medium=social")


def test_a_counted_visit_costs_one_update(django_assert_num_queries):
    article = make_article()
    ShareVisitCount.objects.create(article=article, visits=5)
    with django_assert_num_queries(1):
        run_middleware(article.get_absolute_url() + TAGGED)
    assert ShareVisitCount.objects.get(article=article).visits == 6


def test_error_responses_are_not_counted():
    article = make_article()
    run_middleware(article.get_absolute_url() + TAGGED, status=404)
    assert not ShareVisitCount.objects.exists()


def test_nothing_about_the_visitor_is_stored():
    assert [field.name for field in ShareVisitCount._meta.get_fields()] == ["article", "visits"]
