"""What editors type or paste, made safe: the only HTML an article body may contain, and plain
text fields without the characters XML (feeds, sitemaps) cannot carry."""

import re
from urllib.parse import urlsplit

import bleach
from bleach.html5lib_shim import Filter

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "h2", "h3", "h4", "strong", "em", "a", "ul", "ol", "li",
        "blockquote", "figure", "figcaption", "img",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Tags pasted from word processors and web pages that have an editorial equivalent.
RENAMED_TAGS = {"b": "strong", "i": "em", "h1": "h2", "h5": "h4", "h6": "h4"}
# Elements whose text is code or metadata, never prose: dropped whole rather than unwrapped, so a
# pasted Word document's style sheet or a page's script does not end up as visible text.
_NON_PROSE = re.compile(
    r"<(script|style|xml|noscript|template|title|head|iframe|object)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)


def _is_http_or_local(url):
    """Accept http(s) URLs and paths on our own site; refuse data:, javascript: and the rest."""
    parts = urlsplit(url.strip())
    if parts.scheme:
        return parts.scheme.lower() in {"http", "https"}
    return url.startswith("/") and not url.startswith("//")


def _allow_attribute(tag, name, value):
    # The editor leaves empty titles behind; they add nothing.
    if name == "title" and not value.strip():
        return False
    if tag == "a":
        return name in {"href", "title"} or (name == "target" and value == "_blank")
    if tag == "img":
        if name == "src":
            return _is_http_or_local(value)
        return name in {"alt", "title", "width", "height"}
    return False


class RenameFilter(Filter):
    """Turn <b>, <i> and out-of-range headings into the editorial tags they stand for."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in {"StartTag", "EndTag"} and token["name"] in RENAMED_TAGS:
                token["name"] = RENAMED_TAGS[token["name"]]
            yield token


class NoopenerFilter(Filter):
    """Give links that open a new window rel="noopener noreferrer" (reverse tabnabbing)."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a":
                attrs = token["data"]
                attrs.pop((None, "rel"), None)
                if attrs.get((None, "target")) == "_blank":
                    attrs[(None, "rel")] = "noopener noreferrer"
            yield token


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS | RENAMED_TAGS.keys(),
    attributes=_allow_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[RenameFilter, NoopenerFilter],
)


def sanitize_body(html):
    """Return the article body with everything outside the editor allowlist removed."""
    return _cleaner.clean(_NON_PROSE.sub("", strip_control_characters(html or "")))


# XML 1.0 allows tab, line feed and carriage return and no other C0 control character, nor
# U+FFFE, U+FFFF or a lone surrogate. Word processors paste vertical tabs and form feeds as breaks.
_BREAKS = re.compile("[\x0b\x0c]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_control_characters(text):
    """Return the text without characters XML cannot carry (pasted breaks become spaces)."""
    if not isinstance(text, str):
        return text
    return _XML_ILLEGAL.sub("", _BREAKS.sub(" ", text))


def strip_text_fields(instance):
    """Strip XML-illegal characters from every text field of a model instance, in place."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(value, str):
            setattr(instance, field.attname, strip_control_characters(value))
