import pytest

from articles.sanitize import sanitize_body
from tests.factories import make_article


@pytest.mark.parametrize(
    "dirty",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        '<iframe src="https://evil.example"></iframe>',
        '<object data="x.swf"></object>',
        "<style>body{display:none}</style>",
        '<form action="https://evil.example"><input name=q></form>',
    ],
)
def test_dangerous_elements_are_removed(dirty):
    cleaned = sanitize_body(f"<p>Before{dirty}after</p>").lower()
    for tag in ("<script", "<iframe", "<object", "<style", "<form", "<input"):
        assert tag not in cleaned


@pytest.mark.parametrize(
    "dirty",
    [
        '<p onclick="alert(1)">Text</p>',
        '<img src="https://example.com/a.png" onerror="alert(1)">',
        '<a href="https://example.com" onmouseover="alert(1)">link</a>',
        '<h2 style="color:red" class="x" id="y">Heading</h2>',
    ],
)
def test_event_handlers_styles_and_classes_are_removed(dirty):
    cleaned = sanitize_body(dirty)
    assert "on" + "click" not in cleaned
    assert "onerror" not in cleaned
    assert "onmouseover" not in cleaned
    assert "style=" not in cleaned
    assert "class=" not in cleaned


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "vbscript:x",
        "data:text/html,x",
    ],
)
def test_dangerous_link_schemes_are_removed(href):
    assert "href" not in sanitize_body(f'<a href="{href}">click</a>')


@pytest.mark.parametrize(
    "src", ["data:image/png;base64,AAAA", "javascript:alert(1)", "//evil.example/x.png"]
)
def test_images_only_keep_http_or_local_sources(src):
    assert "src=" not in sanitize_body(f'<img src="{src}" alt="x">')


def test_allowed_editorial_markup_is_kept():
    html = (
        "<h2>Sub-heading</h2><h3>Smaller</h3><h4>Smallest</h4>"
        "<p>Text with <strong>bold</strong>, <em>italic</em>,<br>"
        '<a href="https://example.com/report" title="Report">a link</a> and '
        '<a href="mailto:desk@example.com">mail</a>.</p>'
        "<ul><li>one</li></ul><ol><li>two</li></ol>"
        "<blockquote><p>Quoted</p></blockquote>"
        '<figure><img src="https://example.com/photo.jpg" alt="A photo" width="640" height="480">'
        "<figcaption>Caption</figcaption></figure>"
    )
    assert sanitize_body(html) == html


def test_new_window_links_get_noopener_noreferrer():
    cleaned = sanitize_body('<a href="https://example.com" target="_blank" rel="opener">x</a>')
    assert 'rel="noopener noreferrer"' in cleaned
    assert 'opener"' not in cleaned.replace('rel="noopener noreferrer"', "")


def test_editor_supplied_rel_is_not_kept_on_ordinary_links():
    assert "rel=" not in sanitize_body('<a href="https://example.com" rel="me">x</a>')


@pytest.mark.django_db
def test_article_body_is_sanitized_on_every_save():
    article = make_article(body='<p onclick="steal()">Hello<script>alert(1)</script></p>')
    article.refresh_from_db()
    # The script element goes with its code: code is never prose worth keeping.
    assert article.body == "<p>Hello</p>"

    article.body = '<p>Edited <iframe src="https://evil.example"></iframe></p>'
    article.save()
    article.refresh_from_db()
    assert article.body == "<p>Edited </p>"


# --- HTML pasted into the rich-text editor from Word or a web page ---------------------------

WORD_PASTE = """
<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><title>Doc1</title>
<style>p.MsoNormal { margin: 0; font-family: Calibri }</style></head><body>
<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings></xml>
<![endif]-->
<h1 class="MsoTitle" style="mso-outline-level:1">Budget passes</h1>
<p class="MsoNormal" style="margin-bottom:8pt;line-height:107%"><span lang="EN-GB"
style="font-size:12pt;mso-bidi-font-family:Arial">The council <b>approved</b> the
<i>budget</i>.<o:p></o:p></span></p>
</body></html>
"""

WEB_PASTE = """
<div class="article" data-track="1" style="color:#333">
<h2 id="s1" onclick="track()">Reaction</h2>
<p onmouseover="steal(document.cookie)">Residents <a href="https://example.org/r" style="color:red"
onclick="x()" data-id="7">welcomed</a> it.</p>
<iframe src="https://ads.example/frame" width="300"></iframe>
<script>document.write('<img src=x onerror=alert(1)>')</script>
<img src="javascript:alert(1)" alt="bad"><img src="https://example.org/p.jpg" alt="Square"
onerror="alert(1)" style="border:0">
</div>
"""


def test_word_paste_keeps_text_and_emphasis_but_no_styles_classes_or_office_markup():
    cleaned = sanitize_body(WORD_PASTE)
    expected = (
        "<h2>Budget passes</h2> <p>The council <strong>approved</strong> the <em>budget</em>.</p>"
    )
    assert cleaned.split() == expected.split()
    for leftover in ("style", "class=", "Mso", "Calibri", "o:p", "xml", "Doc1", "<span"):
        assert leftover not in cleaned


def test_web_paste_loses_scripts_iframes_handlers_and_styles():
    cleaned = sanitize_body(WEB_PASTE)
    lowered = cleaned.lower()
    for leftover in ("<script", "document.write", "<iframe", "onclick", "onmouseover", "onerror"):
        assert leftover not in lowered
    for leftover in ("style=", "class=", "data-", "id=", "javascript:", "<div"):
        assert leftover not in lowered
    assert "<h2>Reaction</h2>" in cleaned
    assert '<a href="https://example.org/r">welcomed</a>' in cleaned
    assert '<img src="https://example.org/p.jpg" alt="Square">' in cleaned
    assert '<img alt="bad">' in cleaned
