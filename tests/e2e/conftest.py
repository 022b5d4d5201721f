import importlib
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import override_settings

from articles.models import Article
from tests.factories import make_author, make_section, make_user


@pytest.fixture
def demo_article():
    """The flagship demo article, loaded the way `make run` loads it."""
    with override_settings(DEBUG=True):
        call_command("load_demo", "--no-accounts", stdout=io.StringIO())
    return Article.objects.get(slug="ministers-open-bilateral-dialogue")


@pytest.fixture
def moderator():
    # Browser tests flush the database, so the role is rebuilt here as the migration makes it.
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="comments"))
    return make_user(
        "moderator", groups=[group.name], password="a-long-test-password", is_staff=True
    )


def log_in(page, live_server, next_url):
    """Sign the moderator in through the admin's login form and open next_url."""
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()


PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def roles():
    """The groups of the roles migration, which an earlier transactional test's flush wiped."""
    migration = importlib.import_module("articles.migrations.0004_create_roles")
    for name, codenames in migration.ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)
        )


@pytest.fixture
def editor(roles):
    user = make_user("eddie", groups=["Editors"], password=PASSWORD, is_staff=True)
    make_section(name="Nation", slug="nation")
    make_author(name="Meera Iyer", slug="meera-iyer")
    return user
