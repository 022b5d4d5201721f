"""Turn a reader's plain text into safe HTML: paragraphs, line breaks and nofollow links only."""

import html
import re

import bleach
from bleach.linkifier import Linker

ALLOWED_TAGS = {"p", "br", "a"}
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"]}
ALLOWED_PROTOCOLS = {"http", "https"}
LINK_REL = "nofollow ugc noopener"


def _set_rel(attrs, new=False):
    href = attrs.get((None, "href"), "")
    if not href.lower().startswith(("http://", "https://")):
        return None  # keep the text, drop the link (mailto:, ftp:… are not linked)
    attrs[(None, "rel")] = LINK_REL
    attrs.pop((None, "target"), None)
    return attrs


_linker = Linker(callbacks=[_set_rel], skip_tags={"a"}, parse_email=False)


def render_comment(text):
    """Return the comment as HTML: escaped text, paragraphs from blank lines, linked URLs."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    escaped = "".join(
        "<p>{}</p>".format(html.escape(p, quote=True).replace("\n", "<br>")) for p in paragraphs
    )
    # Escaping came first, so the only markup is ours; bleach then checks it once more.
    linked = _linker.linkify(escaped)
    return bleach.clean(
        linked,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )


def count_links(body_html):
    """Return the URLs linked in rendered comment HTML."""
    return re.findall(r'<a href="([^"]*)"', body_html)


URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|"
    r"ru|cn|in|io|co|xyz|top|site|online|shop|club|ly|me|us|uk|de)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)


def link_domains(text):
    """Return the domains plain text links to or names, lower-case, without "www."."""
    domains = []
    for match in URL.finditer(text):
        host = re.sub(r"^(?:https?://)?", "", match.group(), flags=re.IGNORECASE)
        host = re.split(r"[/?#:]", host, maxsplit=1)[0].lower().removeprefix("www.")
        if "." in host and host not in domains:
            domains.append(host)
    return domains
