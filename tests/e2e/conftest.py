import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from articles.models import Article


@pytest.fixture
def demo_article():
    """The flagship demo article, loaded the way `make run` loads it."""
    with override_settings(DEBUG=True):
        call_command("load_demo", "--no-accounts", stdout=io.StringIO())
    return Article.objects.get(slug="ministers-open-bilateral-dialogue")
