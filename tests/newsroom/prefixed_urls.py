"""The project's URLs mounted under /news/, for tests of URL reversal."""

from django.urls import include, path

urlpatterns = [path("news/", include("newsroom.urls"))]
