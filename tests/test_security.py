"""Guards that keep the site's defences in one place: bleach behind one module per kind of input,
the XSS corpora run against both, and a Content-Security-Policy that never allows inline script.
"""

import ast
import re
from pathlib import Path

import pytest

from articles.models import Article
from articles.sanitize import sanitize_body
from tests.comments.test_xss import DANGEROUS_TAGS, PAYLOADS, URL_ATTRIBUTES, TagCollector
from tests.factories import make_article, make_comment, make_user

PROJECT = Path(__file__).resolve().parent.parent
SANITIZING_MODULES = {"articles/sanitize.py", "comments/sanitize.py"}


def project_modules():
    for path in PROJECT.rglob("*.py"):
        relative = path.relative_to(PROJECT).as_posix()
        if not relative.startswith((".venv/", "tests/", "var/")):
            yield relative, path


def test_bleach_is_used_by_the_sanitizing_modules_only():
    """If a bleach flaw is published, these two modules are all there is to review."""
    users = set()
    for relative, path in project_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(name == "bleach" or name.startswith("bleach.") for name in names):
                users.add(relative)
    assert users == SANITIZING_MODULES


def test_templates_mark_only_sanitized_fields_safe():
    allowed = {"body_html", "article.body", "object.body", "comment.body_html", "reply.body_html"}
    for template in (PROJECT / "templates").rglob("*.html"):
        for variable in re.findall(r"\{\{\s*([\w.]+)\s*\|\s*safe\s*\}\}", template.read_text()):
            assert variable in allowed or variable.endswith(".body_html"), (template, variable)


def editor_html_problems(fragment):
    """Return what could run script in editor HTML: any tag or attribute outside the allowlist's
    spirit, or a link whose scheme (as a browser decodes the attribute, once) is not http(s)."""
    collector = TagCollector()
    collector.feed(fragment)
    collector.close()
    found = []
    for tag, attrs in collector.tags:
        if tag in DANGEROUS_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                found.append(f"{name}= on <{tag}>")
            # Browsers ignore whitespace and control characters in a URL's scheme.
            scheme = re.match(r"([a-z][a-z0-9+.-]*):", re.sub(r"[\x00-\x20]+", "", value), re.I)
            if (
                name in URL_ATTRIBUTES
                and scheme
                and scheme[1].lower() not in {"http", "https", "mailto"}
            ):
                found.append(f"{name}={value!r} on <{tag}>")
    return found


@pytest.mark.parametrize("chunk", range(4))
def test_every_corpus_payload_is_inert_after_the_editor_sanitizer(chunk):
    for payload in PAYLOADS[chunk::4]:
        for dirty in (payload, f"<p>{payload}</p><a href='{payload}'>x</a><img src=\"{payload}\">"):
            assert editor_html_problems(sanitize_body(dirty)) == [], dirty


def test_the_editor_checker_catches_what_an_unsanitized_body_would_run():
    assert editor_html_problems('<a href=" JaVa\tScRiPt:alert(1)">x</a>')
    assert editor_html_problems('<img src=x onerror="alert(1)">')
    assert editor_html_problems("<svg><script>alert(1)</script></svg>")


def script_sources(response):
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";"))
    )
    return directives["script-src"], directives.get("object-src"), policy


@pytest.mark.django_db
def test_no_page_allows_inline_or_evaluated_script(client):
    article = make_article()
    make_comment(article)
    urls = ["/", article.get_absolute_url(), article.get_absolute_url() + "print/", "/search/?q=x"]
    urls += [f"/section/{article.section.slug}/", "/admin/login/", "/no-such-page/"]
    editor = make_user("eddie", groups=["Editors"], is_staff=True)
    for signed_in in (False, True):
        if signed_in:
            client.force_login(editor)
            urls = [f"/admin/articles/article/{article.pk}/change/", "/admin/articles/article/"]
        for url in urls:
            response = client.get(url)
            scripts, objects, policy = script_sources(response)
            assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, url
            assert "default-src 'self'" in policy and objects == "'none'", url
            assert "https:" not in scripts and "*" not in scripts, url
    assert Article.objects.count() == 1
