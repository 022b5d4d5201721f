from newsroom.site import absolute_url


def test_a_site_path_gets_the_public_address_whatever_host_the_request_used(settings):
    settings.NEWSROOM_SITE_URL = "https://news.example"
    assert absolute_url("/2023/10/24/talks/?utm_medium=email") == (
        "https://news.example/2023/10/24/talks/?utm_medium=email"
    )


def test_full_urls_and_empty_values_are_left_alone(settings):
    settings.NEWSROOM_SITE_URL = "https://news.example"
    assert absolute_url("https://media.example/a.jpg") == "https://media.example/a.jpg"
    assert absolute_url("") == ""
    assert absolute_url(None) is None
