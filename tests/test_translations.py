"""Languages: every word a reader or editor sees comes from the translation catalogue.

A newsroom ships another language by adding locale/<code>/LC_MESSAGES/django.po (make messages,
make compilemessages) and setting DJANGO_LANGUAGE_CODE, without editing a template.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.urls import reverse

from newsroom.spamtraps import sign_render_time
from tests.conftest import skip_or_fail
from tests.factories import make_article, make_author, make_comment

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATES = BASE_DIR / "templates"
CATALOGUE = BASE_DIR / "locale" / "hi" / "LC_MESSAGES" / "django.po"
OPAQUE = "\x00"  # stands for a variable in the scanned text

# Literal text that is the same in every language: names of formats, punctuation.
ALLOWED = {
    "articles/_feed_links.html": {"(RSS)", "(Atom)", "| (RSS)", "| (Atom)"},
    # The body's class names, in a block of their own.
    "admin/comments/comment/mark_likely_spam.html": {"app- model- delete-confirmation"},
}
# Machine-read files: no reader sees their words.
NOT_SCANNED = {"robots.txt", "articles/sitemap.xml", "articles/sitemap_news.xml"}
# Attributes a reader hears or sees; the others (class, href, rel…) are code.
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "value", "content"}
LETTERS = re.compile(r"[^\W\d_]{2,}")


def _text_outside_translations(source):
    """Return the template's literal text: tags and translations removed, variables blanked."""
    parts, inside = [], None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.split_contents()[0]
            if name in {"blocktranslate", "blocktrans"}:
                inside = "endblocktranslate" if name == "blocktranslate" else "endblocktrans"
            elif name == "comment":
                inside = "endcomment"
            elif name == inside:
                inside = None
        elif token.token_type == TokenType.TEXT and inside is None:
            parts.append(token.contents)
        elif token.token_type == TokenType.VAR:
            parts.append(OPAQUE)
    # A tag named by a variable (<{{ level }}>) stays a tag.
    return "".join(parts).replace("<" + OPAQUE, "<x").replace("</" + OPAQUE, "</x")


class _LiteralFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "script"}:
            self.skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if name not in READ_ATTRIBUTES or not value:
                continue
            if name == "value" and attributes.get("type") not in {"submit", "button", "reset"}:
                continue
            if name == "content" and attributes.get("name") not in {"description"}:
                continue
            self.note(value)

    def handle_endtag(self, tag):
        if tag in {"style", "script"}:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.note(data)

    def note(self, text):
        text = " ".join(text.replace(OPAQUE, " ").split())
        if LETTERS.search(text):
            self.found.append(text)


def untranslated_text(path):
    """Return the literal words of one template that no translate tag covers."""
    finder = _LiteralFinder()
    finder.feed(_text_outside_translations(path.read_text()))
    finder.close()
    name = path.relative_to(TEMPLATES).as_posix()
    return [text for text in finder.found if text not in ALLOWED.get(name, set())]


def scanned_templates():
    for path in sorted(TEMPLATES.rglob("*")):
        name = path.relative_to(TEMPLATES).as_posix()
        if path.suffix in {".html", ".txt", ".xml"} and name not in NOT_SCANNED:
            yield name, path


def test_no_template_has_words_outside_translate_tags():
    found = {
        name: words for name, path in scanned_templates() if (words := untranslated_text(path))
    }
    assert found == {}


def test_the_scanner_finds_literal_text_and_read_attributes(tmp_path):
    template = tmp_path / "probe.html"
    template.write_text(
        '{% load i18n %}<p>{% translate "Fine" %} Stray words</p>'
        '<a aria-label="Unmarked label" class="link-class" href="/x">{{ name }}</a>'
        '<input type="submit" value="Send it"><input type="hidden" name="a" value="code">'
        "{% blocktranslate %}Also fine {{ name }}{% endblocktranslate %}"
        "{# a comment #}{% comment %}Notes{% endcomment %}<style>p { color: red }</style>"
    )
    finder = _LiteralFinder()
    finder.feed(_text_outside_translations(template.read_text()))
    assert finder.found == ["Stray words", "Unmarked label", "Send it"]


# --- Hindi, the example catalogue: a reader sees the site in the newsroom's language ----------


@pytest.fixture
def hindi(settings):
    settings.LANGUAGE_CODE = "hi"
    settings.NEWSROOM_SPAM_MIN_SECONDS = 0
    settings.NEWSROOM_COMMENTS_MODE = "post"


@pytest.mark.django_db
def test_article_page_chrome_is_in_hindi(client, hindi, settings):
    settings.NEWSROOM_COMMENTS_PER_PAGE = 1
    article = make_article(authors=[make_author(name="Arjun Sethi"), make_author(name="Leela")])
    make_comment(article)
    make_comment(article)
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<html lang="hi">' in html
    assert "लेखक: <a" in html and "</a> और <a" in html  # By … and …
    toolbar = html.split('aria-label="लेख के विकल्प"')[1].split("</nav>")[0]  # Article tools
    assert ">प्रिंट करें</a>" in toolbar and ">ईमेल</a>" in toolbar
    assert ">टिप्पणियाँ (2)</a>" in toolbar  # Comments (2)
    assert ">जवाब दें</a>" in html and ">शिकायत करें</a>" in html  # Reply, Report
    assert "पेज 1 / 2" in html and "बाद की टिप्पणियाँ" in html  # Page 1 of 2, Later comments
    assert "टिप्पणी लिखें" in html  # Add a comment
    assert re.search(r'for="id_name"[^>]*>\s*नाम<', html)  # the form's labels: Name
    assert 'value="टिप्पणी भेजें"' in html  # Post comment
    assert "Comments" not in html and "Print" not in html


@pytest.mark.django_db
def test_comment_form_errors_are_in_hindi(client, hindi):
    article = make_article()
    data = {"name": "Asha", "email": "asha@", "body": "", "rendered_at": sign_render_time()}
    response = client.post(reverse("comments:post", args=[article.pk]), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "आपकी टिप्पणी नहीं भेजी गई" in html  # Your comment was not posted
    assert "कृपया अपनी टिप्पणी लिखें।" in html  # Please write your comment.
    assert "कृपया अपना ईमेल पता जाँच लें" in html  # Please check your email address


@pytest.mark.django_db
def test_closed_comments_say_so_in_hindi(client, hindi):
    article = make_article(comments_enabled=False)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "इस लेख पर टिप्पणियाँ बंद हैं।" in html  # Comments are switched off for this article.


@pytest.mark.django_db
def test_share_form_and_its_errors_are_in_hindi(client, hindi, share_post):
    article = make_article()
    url = reverse("sharing:email", args=[article.slug])
    html = client.get(url).content.decode()
    assert '<html lang="hi">' in html
    assert "यह लेख ईमेल करें" in html and "आपका नाम" in html  # Email this article, Your name
    assert 'value="भेजें"' in html  # Send
    response = client.post(url, share_post(recipients="anil@example.com, not-an-address"))
    html = response.content.decode()
    assert "“not-an-address” एक मान्य ईमेल पता नहीं है।" in html
    assert "कृपया नीचे चिह्नित फ़ील्ड ठीक करें।" in html  # Please correct the marked field


@pytest.mark.django_db
def test_missing_page_is_in_hindi(client, hindi):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="hi">' in html and "हमें वह पेज नहीं मिला" in html


def test_500_and_503_pages_follow_the_language(rf, hindi):
    from newsroom.views import database_unavailable, server_error

    html = database_unavailable(rf.post("/comments/post/1/", {"body": "Kept"})).content.decode()
    assert '<html lang="hi">' in html and "बस एक पल में वापस" in html  # Back in a moment
    assert ">टिप्पणी</label>" in html  # the kept text's label: Comment
    html = server_error(rf.get("/")).content.decode()
    assert '<html lang="hi">' in html and "हमारी ओर से कुछ गड़बड़ हो गई" in html


# --- The catalogue is complete and compiled -------------------------------------------------


def _gettext_tool(name):
    path = shutil.which(name)
    if path is None:
        skip_or_fail("gettext", f"needs GNU gettext's {name}: apt-get install gettext")
    return path


def _catalogue(mo_path):
    with open(mo_path, "rb") as mo:
        return gettext.GNUTranslations(mo)._catalog


def test_committed_mo_file_is_compiled_from_the_po_file(tmp_path):
    msgfmt = _gettext_tool("msgfmt")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", fresh, CATALOGUE], check=True)
    assert _catalogue(CATALOGUE.with_suffix(".mo")) == _catalogue(fresh)


def test_catalogue_has_every_marked_string_and_no_stale_one(tmp_path):
    _gettext_tool("xgettext")
    _gettext_tool("msgmerge")
    # makemessages writes into the project: run it on a copy of the sources and the catalogue.
    # What `make messages` reads: everything but its ignores (and static files, which have no
    # Python or templates).
    copy = tmp_path / "project"
    skipped = (".*", "__pycache__", "*.mo", "node_modules", "tests", "audit", "bench", "var")
    shutil.copytree(BASE_DIR, copy, ignore=shutil.ignore_patterns(*skipped, "static"))
    environment = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "newsroom.settings"}
    command = [sys.executable, "manage.py", "makemessages", "-l", "hi", "--no-obsolete"]
    subprocess.run(command, cwd=copy, env=environment, check=True, capture_output=True)
    updated = (copy / "locale" / "hi" / "LC_MESSAGES" / "django.po").read_text()
    found, committed = _msgids(updated), _msgids(CATALOGUE.read_text())
    # Both empty, or `make messages` (and translating, then `make compilemessages`) is due.
    assert {"new": found - committed, "stale": committed - found} == {"new": set(), "stale": set()}


def _msgids(po_text):
    """Return the (context, msgid) pairs of a catalogue, its header left out."""
    pairs = set()
    for entry in po_text.split("\n\n"):
        fields, current = {}, None
        for line in entry.splitlines():
            if line.startswith(("msgctxt ", "msgid ")):
                current, _, value = line.partition(" ")
                fields[current] = value
            elif line.startswith('"') and current:
                fields[current] += line
            else:
                current = None
        msgid = fields.get("msgid", '""').replace('""', "")
        if msgid:
            pairs.add((fields.get("msgctxt", ""), msgid))
    return pairs
