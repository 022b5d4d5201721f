"""Admin sign-in throttling (django-axes): wrong passwords lock out one name from one address."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def editor():
    return make_user("eddie", password="right-password", is_staff=True)


def sign_in(client, password, *, address="198.51.100.10", username="eddie"):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_wrong_passwords_lock_the_name_out_from_that_address_with_a_clear_message(client, editor):
    answers = [sign_in(client, f"guess-{n}").status_code for n in range(30)]
    assert answers[:4] == [200] * 4  # the form again, with Django's error
    assert set(answers[5:]) == {429}
    locked = sign_in(client, "right-password")  # even the right one, while locked
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Sign-in paused" in html and "Newsroom administration" in html
    assert "Too many wrong passwords for “eddie” from this address" in html
    assert "paused for 15 minutes" in html
    assert "_auth_user_id" not in client.session


def test_a_stranger_guessing_cannot_lock_the_editor_out_from_elsewhere(client, editor):
    for n in range(10):
        sign_in(client, f"guess-{n}", address="203.0.113.66")
    response = sign_in(client, "right-password", address="198.51.100.10")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_the_lockout_ends_after_the_cool_off(client, editor):
    for n in range(6):
        sign_in(client, f"guess-{n}")
    assert sign_in(client, "right-password").status_code == 429
    # Sixteen minutes on: the failures are older than the cool-off.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "right-password").status_code == 302
