"""What every page shares: the favicon, the page language."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_favicon_is_served_at_the_root_and_linked_from_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO file
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/favicon.ico" sizes="48x48">' in html


@override_settings(LANGUAGE_CODE="fr")
def test_html_lang_follows_language_code(client):
    for path in ["/", "/search/", "/no-such-page/"]:
        assert '<html lang="fr">' in client.get(path).content.decode()
