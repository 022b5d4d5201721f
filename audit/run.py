"""Audit the public pages with axe-core, the W3C Nu HTML checker and Lighthouse; print tables.

Run from the repository root with `make audit` (it installs audit/package.json's exact versions
with `npm ci --ignore-scripts`: axe-core, vnu-jar, whose jar runs on the system Java, and
Lighthouse). Nothing is downloaded while it runs, and the browser is the system Chromium
(NEWSROOM_CHROMIUM).

One run, a few minutes (Lighthouse loads each page twice more):
1. builds a throwaway SQLite database: migrations, load_demo with 200 approved comments on the
   flagship article, and one taken-down article for the 410 page; collectstatic into a
   temporary STATIC_ROOT;
2. serves audit.settings (production settings, debug off) with gunicorn on a free port of
   127.0.0.1;
3. opens every public page in Chromium at 1280×900, runs axe-core (all its rules, WCAG and best
   practice) and counts the violations by impact; the article and the report page are also
   audited as they are shown again after an empty form is sent (error summary and messages);
4. checks each page's HTML, as the server sent it, with the Nu checker and counts errors and
   warnings;
5. runs Lighthouse (performance, accessibility, best practices, SEO) on every page that answers
   2xx, with its desktop preset and its default mobile emulation, in the same Chromium;
6. prints Markdown tables (the README's) and writes them as JSON to var/audit/latest.json.
Exits non-zero if any page has an axe violation or a Nu checker error; Lighthouse's scores are
reported, not enforced (its performance score varies with the machine's load).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.run import HOST, free_port

BASE_DIR = Path(__file__).resolve().parent.parent
TOOLS = BASE_DIR / "audit" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = TOOLS / "lighthouse" / "cli" / "index.js"
LIGHTHOUSE_CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]
RESULTS = BASE_DIR / "var" / "audit" / "latest.json"
ARTICLE = "ministers-open-bilateral-dialogue"


def environment(work):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "audit.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_BEHIND_TLS_PROXY": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": f"sqlite:///{work / 'audit.sqlite3'}",
        "REDIS_URL": "",
        # The demo article is from 2023: keep its comment form on the page being audited.
        "NEWSROOM_COMMENTS_CLOSE_AFTER_DAYS": "0",
        "AUDIT_STATIC_ROOT": str(work / "static"),
    }


def manage(env, *args, debug=False):
    env = {**env, "DJANGO_DEBUG": "1"} if debug else env
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


PAGES_SCRIPT = """
import json
from django.urls import reverse
from django.utils import timezone
from articles.models import Article
from comments.models import Comment
article = Article.objects.get(slug=%(article)r)
gone = Article.objects.published().exclude(pk=article.pk).last()
gone.status, gone.withdrawn_at = Article.Status.WITHDRAWN, timezone.now()
gone.withdrawal_reason = "The story was taken down after a legal complaint."
gone.save()
comment = Comment.objects.approved().filter(article=article).first()
author = article.bylines.first().author
print(json.dumps({
    "home": "/",
    "article (200 comments)": article.get_absolute_url(),
    "section": article.section.get_absolute_url(),
    "author": author.get_absolute_url(),
    "search": reverse("articles:search") + "?q=talks",
    "print": article.get_absolute_url() + "print/",
    "share form": reverse("sharing:email", args=[article.slug]),
    "report page": reverse("comments:report", args=[comment.pk]),
    "404": "/no-such-page/",
    "410": gone.get_absolute_url(),
}))
"""


def build(env):
    manage(env, "migrate", "--no-input")
    manage(env, "load_demo", "--no-accounts", "--comments", "200", debug=True)
    manage(env, "collectstatic", "--no-input", "--verbosity=0")
    output = manage(env, "shell", "--no-imports", "-c", PAGES_SCRIPT % {"article": ARTICLE})
    return json.loads(output.strip().splitlines()[-1])


@contextmanager
def serve(env, log_path):
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "newsroom.wsgi",
        f"--bind={HOST}:{port}",
        "--workers=2",
    ]
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"gunicorn exited at start:\n{Path(log_path).read_text()}")
                subprocess.run(["sleep", "0.2"])  # noqa: S607
        yield f"http://{HOST}:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)


def run_axe(browser, url, *, submit_empty=False):
    """Return the axe violations of the page: {impact: count} and the rule ids."""
    # bypass_csp: our CSP (rightly) refuses the injected axe script.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    html = None
    if submit_empty:
        with page.expect_navigation() as navigation:
            page.locator("main form [type=submit]").first.click()
        html = navigation.value.text()  # as the server sent it, before axe is injected
        page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    context.close()
    impacts = {}
    for violation in violations:
        impacts[violation["impact"]] = impacts.get(violation["impact"], 0) + 1
    return impacts, sorted(v["id"] for v in violations), html


def run_vnu(files):
    """Return {file name: (errors, warnings, first messages)} from one Nu checker run."""
    done = subprocess.run(  # noqa: S603
        ["java", "-jar", str(VNU), "--format", "json", "--exit-zero-always", *map(str, files)],  # noqa: S607
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stderr or done.stdout)
    counts = {Path(f).name: [0, 0, []] for f in files}
    for message in report["messages"]:
        name = Path(message.get("url", "")).name
        entry = counts.setdefault(name, [0, 0, []])
        if message["type"] == "error":
            entry[0] += 1
            entry[2].append(f"line {message.get('lastLine')}: {message['message']}")
        elif message.get("subType") == "warning":
            entry[1] += 1
            entry[2].append(f"warning line {message.get('lastLine')}: {message['message']}")
    return counts


def run_lighthouse(url, chromium, report, *, desktop):
    """Return Lighthouse's scores (0-100, None if it could not score one) by category."""
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROMIUM_FLAGS)}",
        *(["--preset=desktop"] if desktop else []),
    ]
    env = {**os.environ, "CHROME_PATH": chromium}
    for _attempt in range(2):  # its trace recording fails now and then (NO_NAVSTART): retry once
        done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
        if not done.returncode and report.exists():
            break
    if done.returncode or not report.exists():
        print(f"Lighthouse failed on {url}:\n{done.stderr[-2000:]}", flush=True)
        return None
    categories = json.loads(report.read_text())["categories"]
    report.unlink()
    scores = (categories.get(name, {}).get("score") for name in LIGHTHOUSE_CATEGORIES)
    return [None if score is None else round(score * 100) for score in scores]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def main():
    if not all(tool.exists() for tool in (AXE, VNU, LIGHTHOUSE)):
        sys.exit("Install the audit tools first: make audit (npm ci --ignore-scripts in audit/)")
    sys.path.insert(0, str(BASE_DIR))
    from tests.conftest import find_chromium

    chromium = find_chromium()
    if chromium is None or shutil.which("java") is None:
        sys.exit("make audit needs the system Chromium and Java (apt-get install chromium java)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="newsroom-audit-") as tmp:
        work = Path(tmp)
        env = environment(work)
        print("Building the audit database…", flush=True)
        pages = build(env)
        rows = []
        with serve(env, work / "gunicorn.log") as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=[
                    *CHROMIUM_FLAGS,
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            targets = [(name, path, False) for name, path in pages.items()]
            article = pages["article (200 comments)"]
            targets.append(("article, after a comment error", article, True))
            targets.append(("report page, after an error", pages["report page"], True))
            for n, (name, path, submit_empty) in enumerate(targets):
                impacts, rules, html = run_axe(browser, base + path, submit_empty=submit_empty)
                status, body = fetch(base + path)
                source = work / f"page-{n}.html"
                # After an error the page only exists as the browser's answer to the POST.
                source.write_bytes(html.encode() if html is not None else body)
                rows.append(
                    {
                        "page": name,
                        "path": path,
                        "status": 400 if submit_empty else status,
                        "axe": impacts,
                        "axe_rules": rules,
                        "file": source.name,
                    }
                )
            browser.close()
            # Lighthouse scores only a page that answers 2xx, and only what a GET shows.
            for row in rows:
                if 200 <= row["status"] < 300 and row["page"] in pages:
                    print(f"Lighthouse: {row['page']}…", flush=True)
                    report = work / "lighthouse.json"
                    row["lighthouse"] = {
                        form: run_lighthouse(
                            base + row["path"], chromium, report, desktop=form == "desktop"
                        )
                        for form in ("desktop", "mobile")
                    }
        checked = run_vnu([work / row["file"] for row in rows])
        for row in rows:
            errors, warnings, messages = checked[row.pop("file")]
            row.update(nu_errors=errors, nu_warnings=warnings, nu_messages=messages[:10])
    print_table(rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2))
    failed = any(row["axe"] or row["nu_errors"] for row in rows)
    sys.exit(1 if failed else 0)


def print_table(rows):
    print("\n| page | status | axe violations | Nu errors | Nu warnings |")
    print("|---|---|---|---|---|")
    for row in rows:
        axe = ", ".join(f"{count} {impact}" for impact, count in row["axe"].items()) or "0"
        print(
            f"| {row['page']} | {row['status']} | {axe} | {row['nu_errors']} | "
            f"{row['nu_warnings']} |"
        )
    print(
        "\nLighthouse: performance / accessibility / best practices / SEO\n\n"
        "| page | desktop | mobile |\n|---|---|---|"
    )
    for row in rows:
        if "lighthouse" in row:
            desktop, mobile = (_scores(row["lighthouse"][form]) for form in ("desktop", "mobile"))
            print(f"| {row['page']} | {desktop} | {mobile} |")
    for row in rows:
        if row["axe_rules"] or row["nu_messages"]:
            print(f"\n{row['page']} ({row['path']}): axe {row['axe_rules']}")
            for message in row["nu_messages"]:
                print(f"  {message}")


def _scores(scores):
    if scores is None:
        return "failed"
    return " / ".join("–" if score is None else str(score) for score in scores)


if __name__ == "__main__":
    main()
