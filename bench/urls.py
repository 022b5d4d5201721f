"""The project's URLs plus /bench/floor/<size>/, a constant page that measures the framework."""

from functools import lru_cache

from django.http import HttpResponse
from django.urls import include, path


@lru_cache(maxsize=8)
def _constant_page(size):
    # The floor: the bytes the article page sends, with no database or template work at all.
    return b"<!doctype html>" + b"x" * max(size - 15, 0)


def floor(request, size):
    """Return a constant HTML page of `size` bytes through the project's middleware."""
    return HttpResponse(_constant_page(size), content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench/floor/<int:size>/", floor, name="bench-floor"),
    path("", include("newsroom.urls")),
]
