"""
The comments app's demo, loaded by `manage.py load_demo` after the articles': threads on
published articles, a few held ones with their reasons so the moderation queue is not empty, and
one reported comment; for benchmarks, N approved comments (with replies) on one article. Every
name and comment is invented. Loading again replaces the demo comments.
"""

import itertools
from datetime import timedelta

from django.core.management.base import CommandError

from articles.models import Article
from comments import caching
from comments.models import Comment, ListEntry, ModerationAction, Reason, Report
from comments.sanitize import render_comment

DEMO_DOMAIN = "readers.example"
BENCH_DOMAIN = "bench.example"
FLAGSHIP = "ministers-open-bilateral-dialogue"
BATCH = 2000

# (article slug, [(name, text, replies)]) — replies are (name, text, replies) too.
THREADS = {
    FLAGSHIP: [
        (
            "Ravi Menon",
            "Monthly river data is the part that matters. Farmers downstream have been guessing "
            "for years.\n\nIf the readings are published openly, co-ops can plan irrigation.",
            [
                (
                    "Hanna Kovac",
                    "Agreed, but publication was not in the joint statement. Worth asking.",
                    [("Ravi Menon", "Fair point. I hope a reporter follows up on it.", [])],
                ),
                ("Tomas Ek", "The last data deal collapsed over who pays for the gauges.", []),
            ],
        ),
        (
            "Priya Natarajan",
            "Two days at a border crossing is a cost every shopper pays. A joint inspection pilot "
            "is overdue.",
            [("Gideon Asare", "Pilots are easy. Funding the customs officers is not.", [])],
        ),
        (
            "Lucia Ferrante",
            "Good to see a clear explainer. The working group deadlines would make a useful "
            "follow-up piece: https://example.org/drenna-basin-notes",
            [],
        ),
    ],
    "seagrass-meadows-return-to-merrin-bay": [
        (
            "Owen Pryce",
            "I swim in Merrin Bay every summer and the water has been noticeably clearer.",
            [("Ama Boateng", "Same here. The volunteers deserve the credit.", [])],
        ),
    ],
    "council-approves-new-bus-routes-for-outer-suburbs": [
        (
            "Farah Qureshi",
            "Finally a route that does not go through the centre. Will it run on Sundays?",
            [],
        ),
    ],
}

HELD = [
    (
        "Quick Deals",
        "Cheap watches and casino bonus codes at https://deals.example.com and "
        "https://bonus.example.com and https://more.example.com",
        [
            (Reason.Rule.LINKS, "3 links (more than 2)"),
            (Reason.Rule.WATCHED_TERM, "“casino” matched “casino”"),
        ],
    ),
    (
        "Noor Haddad",
        "First time commenting. The minister said the same thing in 2017 and nothing changed.",
        [
            (
                Reason.Rule.NEW_COMMENTER,
                "No earlier approved comment from noor.haddad@readers.example",
            )
        ],
    ),
    (
        "M. Brandt",
        "This is an idiotic agreement written by idiots.",
        [(Reason.Rule.WATCHED_TERM, "“idiot” matched “idiots”")],
    ),
]

REPORTED = (
    "Sven Lund",
    "Everyone who supports these talks is naive. Open your eyes.",
    ["abuse", "off_topic"],
)


def demo_email(name, domain=DEMO_DOMAIN):
    return f"{'.'.join(name.lower().replace('.', '').split())}@{domain}"


def load(*, now, benchmark_comments=0, benchmark_article=FLAGSHIP):
    """Replace the demo comments, and the benchmark ones if asked; say what was loaded."""
    loaded = f"{load_comments(now=now)} demo comments"
    slugs = [*THREADS]
    if benchmark_comments:
        target = Article.objects.filter(slug=benchmark_article).first()
        if target is None:
            raise CommandError(f"No article with the slug {benchmark_article!r}.")
        load_benchmark(target, benchmark_comments, now=now)
        loaded += f", {benchmark_comments} benchmark comments on {benchmark_article}"
        slugs.append(benchmark_article)
    caching.retire_article_pages(
        *Article.objects.filter(slug__in=slugs).values_list("pk", flat=True)
    )
    return loaded


def _create(article, name, text, *, status, parent=None, created_at):
    return Comment.objects.create(
        article=article,
        parent=parent,
        name=name,
        email=demo_email(name),
        body=text,
        status=status,
        created_at=created_at,
        ip_address="192.0.2.10",
    )


def _audit(comment, rule):
    ModerationAction.objects.create(comment=comment, to_status=comment.status, rule=rule)


def load_comments(*, now):
    """Replace the demo comments; return how many were written."""
    Comment.objects.filter(email__endswith="@" + DEMO_DOMAIN).delete()
    articles = {a.slug: a for a in Article.objects.filter(slug__in=THREADS)}
    clock = itertools.count()
    written = 0

    def add(article, entries, parent=None):
        nonlocal written
        for name, text, replies in entries:
            created = now - timedelta(hours=48) + timedelta(minutes=37 * next(clock))
            comment = _create(
                article,
                name,
                text,
                status=Comment.Status.APPROVED,
                parent=parent,
                created_at=created,
            )
            _audit(comment, "trusted mode")
            written += 1
            add(article, replies, comment)

    for slug, entries in THREADS.items():
        if slug in articles:
            add(articles[slug], entries)
    flagship = articles.get(FLAGSHIP)
    if flagship is None:
        return written
    for minutes, (name, text, reasons) in enumerate(HELD):
        comment = _create(
            flagship,
            name,
            text,
            status=Comment.Status.HELD,
            created_at=now - timedelta(minutes=10 + 25 * minutes),
        )
        Reason.objects.bulk_create(
            Reason(comment=comment, rule=rule, detail=detail) for rule, detail in reasons
        )
        _audit(comment, ", ".join(rule for rule, _ in reasons))
        written += 1
    name, text, report_reasons = REPORTED
    comment = _create(
        flagship, name, text, status=Comment.Status.APPROVED, created_at=now - timedelta(hours=3)
    )
    _audit(comment, "trusted mode")
    Report.objects.bulk_create(
        Report(comment=comment, reason=reason, session_key=f"demo-{i}")
        for i, reason in enumerate(report_reasons)
    )
    Comment.objects.filter(pk=comment.pk).update(report_count=len(report_reasons))
    ListEntry.objects.get_or_create(kind=ListEntry.Kind.WATCHED_TERM, value="casino")
    ListEntry.objects.get_or_create(kind=ListEntry.Kind.WATCHED_TERM, value="idiot")
    ListEntry.objects.get_or_create(kind=ListEntry.Kind.BLOCKED_DOMAIN, value="spam.example")
    return written + 1


def load_benchmark(article, count, *, now):
    """Replace the article's benchmark comments with `count` approved ones, a third replies."""
    Comment.objects.filter(article=article, email__endswith="@" + BENCH_DOMAIN).delete()
    top_count = max(1, count - count // 3)
    start = now - timedelta(seconds=count)

    def row(n, parent=None):
        body = f"Benchmark comment {n}: a reader's view on the story, in plain words."
        return Comment(
            article=article,
            parent=parent,
            thread=parent,
            depth=2 if parent else 1,
            name=f"Reader {n}",
            email=f"reader-{n}@{BENCH_DOMAIN}",
            body=body,
            body_html=render_comment(body),
            status=Comment.Status.APPROVED,
            created_at=start + timedelta(seconds=n),
        )

    parents = []
    for first in range(0, top_count, BATCH):
        batch = [row(n) for n in range(first, min(first + BATCH, top_count))]
        parents.extend(Comment.objects.bulk_create(batch))
    replies = [row(top_count + i, parents[i % len(parents)]) for i in range(count - top_count)]
    Comment.objects.bulk_create(replies, batch_size=BATCH)
