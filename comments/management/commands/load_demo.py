"""
Load the fictional demo newsroom for development, one app's loader after the other: the articles
app's sections, bylines and articles, its staff logins (new random passwords, printed), then the
comments app's reader comments. The command lives here because comments may import articles and
articles never imports comments; each step prints one line as it finishes.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from articles import demo as articles_demo
from comments import demo as comments_demo


class Command(BaseCommand):
    help = (
        "Load fictional demo sections, authors, articles and reader comments, and editor, "
        "moderator and writer logins with new random passwords. Only runs with DEBUG on. "
        "--comments N --article SLUG adds N approved comments (with replies) to one article, "
        "for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-accounts",
            action="store_true",
            help="Load the content only; leave the demo logins alone.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be loaded, then roll everything back.",
        )
        parser.add_argument(
            "--comments", type=int, default=0, help="Add N approved benchmark comments."
        )
        parser.add_argument(
            "--article",
            default=comments_demo.FLAGSHIP,
            help=f"Slug for --comments (default {comments_demo.FLAGSHIP}).",
        )

    def handle(self, *args, no_accounts, dry_run, comments, article, **options):
        # The passwords end up in the terminal and in shell history, which is fine on a
        # laptop and never fine on a server; made-up stories do not belong on one either.
        if not settings.DEBUG:
            what = (
                "made-up demo stories"
                if no_accounts
                else "made-up demo stories and accounts with printed passwords"
            )
            raise CommandError(f"load_demo loads {what}; it only runs with DJANGO_DEBUG=1.")

        done = "would load" if dry_run else "loaded"
        now = timezone.now()
        with transaction.atomic():
            self.step(1, "articles", f"{done} {articles_demo.load(now=now)}.")
            if no_accounts:
                logins = []
                self.step(2, "logins", "left as they were (--no-accounts).")
            else:
                logins = articles_demo.load_accounts()
                gave = "would give" if dry_run else "gave"
                self.step(2, "logins", f"{gave} {len(logins)} demo logins new passwords.")
            loaded = comments_demo.load(
                now=now, benchmark_comments=comments, benchmark_article=article
            )
            self.step(3, "comments", f"{done} {loaded}.")
            if dry_run:
                transaction.set_rollback(True)

        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
        elif logins:
            self.stdout.write("Demo logins (admin at /admin/):")
            for username, password in logins:
                self.stdout.write(f"  {username:<10} {password}")

    def step(self, number, app, words):
        self.stdout.write(f"[{number}/3] {app}: {words}")
