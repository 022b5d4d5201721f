import pytest

from sharing.forms import EmailShareForm
from sharing.models import EmailShare
from tests.factories import make_article

INJECTIONS = [
    "x\r\nBcc: victim@example.com",
    "x\nBcc: victim@example.com",
    "x\rBcc: victim@example.com",
    "x%0d%0aBcc: victim@example.com",
    "x%0ABcc: victim@example.com",
    "x%250d%250aBcc: victim@example.com",
    "x\u2028Bcc: victim@example.com",
    "x\x85Bcc: victim@example.com",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_header_injection_in_the_name_is_a_form_error(share_post, value):
    form = EmailShareForm(share_post(sender_name="Priya" + value))
    assert not form.is_valid()
    assert form.errors["sender_name"][0].startswith("Please remove the line breaks")


@pytest.mark.parametrize("value", INJECTIONS)
def test_header_injection_in_the_sender_email_is_a_form_error(share_post, value):
    form = EmailShareForm(share_post(sender_email="priya@example.net" + value))
    assert not form.is_valid()
    assert form.errors["sender_email"] == [
        "Please remove the line breaks and encoded characters from this field."
    ]


@pytest.mark.parametrize("value", [v for v in INJECTIONS if "\n" not in v])
def test_header_injection_in_the_recipients_is_a_form_error(share_post, value):
    form = EmailShareForm(share_post(recipients="anil@example.com" + value))
    assert not form.is_valid()
    assert "recipients" in form.errors


def test_a_header_on_its_own_line_among_recipients_is_not_an_address(share_post):
    form = EmailShareForm(share_post(recipients="anil@example.com\r\nBcc: victim@example.com"))
    assert not form.is_valid()
    assert form.errors["recipients"] == ["“Bcc: victim@example.com” is not a valid email address."]


@pytest.mark.parametrize(
    "note",
    [
        "Have a look\r\nBcc: victim@example.com",
        "Have a look\nContent-Type: text/html",
        "Have a look%0d%0aBcc: victim@example.com",
        "Have a look\u2029Subject: free money",
    ],
)
def test_header_injection_in_the_note_is_a_form_error(share_post, note):
    form = EmailShareForm(share_post(note=note))
    assert not form.is_valid()
    assert form.errors["note"][0].startswith("Your note contains characters or lines")


def test_ordinary_line_breaks_in_the_note_are_kept(share_post):
    form = EmailShareForm(share_post(note="First line.\r\nSecond line."))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["note"] == "First line.\nSecond line."


@pytest.mark.parametrize(
    "recipients, expected",
    [
        ("a@example.com", ["a@example.com"]),
        ("a@example.com,b@example.com", ["a@example.com", "b@example.com"]),
        (
            "a@example.com\r\nb@example.com\n\nc@example.com",
            ["a@example.com", "b@example.com", "c@example.com"],
        ),
        ("a@example.com; b@example.com, A@example.com", ["a@example.com", "b@example.com"]),
    ],
)
def test_recipients_split_on_commas_and_lines_without_repeats(share_post, recipients, expected):
    form = EmailShareForm(share_post(recipients=recipients))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["recipients"].split("\n") == expected


def test_at_most_five_recipients(share_post):
    six = ", ".join(f"person{n}@example.com" for n in range(6))
    form = EmailShareForm(share_post(recipients=six))
    assert not form.is_valid()
    assert form.errors["recipients"] == [
        "You can send to at most 5 people at a time (you entered 6)."
    ]
    five = ", ".join(f"person{n}@example.com" for n in range(5))
    assert EmailShareForm(share_post(recipients=five)).is_valid()


def test_recipient_addresses_are_validated(share_post):
    form = EmailShareForm(share_post(recipients="anil@example.com, not-an-address"))
    assert form.errors["recipients"] == ["“not-an-address” is not a valid email address."]
    assert EmailShareForm(share_post(recipients=" , ")).errors["recipients"] == [
        "Enter at least one email address."
    ]


def test_sender_email_is_validated(share_post):
    form = EmailShareForm(share_post(sender_email="priya@"))
    assert form.errors["sender_email"] == ["Enter a valid email address."]


def test_note_is_optional_and_at_most_300_characters(share_post):
    assert EmailShareForm(share_post(note="")).is_valid()
    assert EmailShareForm(share_post(note="x" * 300)).is_valid()
    form = EmailShareForm(share_post(note="x" * 301))
    assert form.errors["note"] == ["Please shorten your note to 300 characters (it has 301)."]


def test_a_line_break_counts_as_one_character_in_the_note(share_post):
    assert EmailShareForm(share_post(note="x" * 149 + "\r\n" + "x" * 150)).is_valid()


@pytest.mark.django_db
def test_save_stores_a_queued_share_with_its_recipients(share_post):
    article = make_article()
    form = EmailShareForm(share_post())
    assert form.is_valid()
    share = form.save(article=article)
    share.refresh_from_db()
    assert share.article == article
    assert share.status == EmailShare.Status.QUEUED
    assert share.recipient_list == ["anil@example.com", "meera@example.org"]
    assert share.recipient_count == 2


@pytest.mark.django_db
def test_a_trapped_share_is_stored_as_spam_without_addresses(share_post):
    form = EmailShareForm(share_post(website="http://cheap-pills.example"))
    assert form.is_valid()
    share = form.save(article=make_article())
    share.refresh_from_db()
    assert share.status == EmailShare.Status.SPAM
    assert share.spam_reason == "Honeypot field was filled in"
    assert share.recipients == ""
    assert share.recipient_count == 2
