"""Languages: every word a reader or editor sees comes from the translation catalogue.

A newsroom ships another language by adding locale/<code>/LC_MESSAGES/django.po (make messages,
make compilemessages) and setting DJANGO_LANGUAGE_CODE, without editing a template.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

TEMPLATES = Path(settings.BASE_DIR) / "templates"
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
