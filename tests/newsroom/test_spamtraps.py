import time

from django import forms
from django.core import signing

from newsroom.spamtraps import HONEYPOT, TIMING, Catch, SpamTrapFormMixin, sign_render_time


class NoteForm(SpamTrapFormMixin, forms.Form):
    note = forms.CharField()


def submit(rendered_at, **extra):
    form = NoteForm({"note": "hello", "rendered_at": rendered_at, **extra})
    assert form.is_valid()
    return form


def test_a_person_filling_the_form_at_human_speed_passes():
    assert submit(sign_render_time(time.time() - 20)).spam_catch() is None


def test_filled_honeypot_is_spam():
    form = submit(sign_render_time(time.time() - 20), website="http://spam.example")
    assert form.spam_catch() == Catch(HONEYPOT, "Honeypot field was filled in")


def test_posting_sooner_than_three_seconds_is_spam():
    rendered = 1_800_000_000
    catch = submit(sign_render_time(rendered)).spam_catch(now=rendered + 1)
    assert catch == Catch(TIMING, "Sent 1.0 s after the form was shown (minimum 3 s)")


def test_a_form_older_than_two_days_is_spam():
    catch = submit(sign_render_time(time.time() - 49 * 3600)).spam_catch()
    assert catch == Catch(TIMING, "Form was 49 hours old when sent")


def test_tampered_or_missing_timestamp_is_spam():
    forged = signing.dumps(int(time.time() - 20), salt="another-salt")
    tampered = Catch(TIMING, "Form timestamp missing or tampered with")
    assert submit(forged).spam_catch() == tampered
    assert submit("").spam_catch() == tampered
    assert submit("1700000000").spam_catch() == tampered


def test_an_unbound_form_carries_a_fresh_signed_timestamp():
    rendered_at = NoteForm().initial["rendered_at"]
    assert abs(signing.loads(rendered_at, salt="newsroom.spamtraps.rendered-at") - time.time()) < 5
