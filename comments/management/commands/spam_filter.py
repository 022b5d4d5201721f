"""Train, evaluate and export the comment spam filter (comments/spamfilter.py).

    manage.py spam_filter train [--dry-run]
    manage.py spam_filter evaluate --csv FILE [--folds 5]
    manage.py spam_filter export --csv FILE

`evaluate` cross-validates exactly the site's model on a CSV with columns text,label (spam or
ham); `export` writes the site's own decisions in that format, with the decision kept apart in a
third column (rejected comments are ham, not spam).
"""

import csv

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comments import spamfilter
from comments.models import SpamModel


class Command(BaseCommand):
    help = "Train the comment spam filter, evaluate it on a CSV, or export the site's decisions."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        train = actions.add_parser("train", help="Train on every moderator decision and store it.")
        train.add_argument(
            "--dry-run", action="store_true", help="Count the decisions, train nothing."
        )
        evaluate = actions.add_parser("evaluate", help="Cross-validate on a text,label CSV.")
        evaluate.add_argument("--csv", dest="path", required=True, help="CSV: text,label.")
        evaluate.add_argument("--folds", type=int, default=5, help="Folds (default 5).")
        export = actions.add_parser("export", help="Write the site's decisions as a CSV.")
        export.add_argument("--csv", dest="path", required=True, help="File to write.")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_train(self, *, dry_run=False, **options):
        decisions = spamfilter.new_decisions_since(None)
        if dry_run:
            self.stdout.write(f"Would train on the latest of {decisions} moderator decisions.")
            return
        model = spamfilter.train()
        if model is None:
            raise CommandError(
                "Too few spam or ham decisions to cross-validate; nothing was trained."
            )
        minimum = settings.NEWSROOM_SPAM_FILTER_MIN_DECISIONS
        note = "" if model.examples >= minimum else f" (not used until {minimum} decisions)"
        self.stdout.write(
            f"Trained {model} on {model.examples} decisions ({model.spam_examples} spam) in "
            f"{model.train_seconds:.1f} s: recall {model.cv_recall:.3f}, false positives "
            f"{model.cv_fp_rate:.4f}, AUC {model.cv_auc:.4f}, threshold {model.threshold:.3f}"
            f"{note}."
        )

    def handle_evaluate(self, *, path, folds, **options):
        try:
            rows = spamfilter.read_csv(path)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        spam = sum(is_spam for _, is_spam in rows)
        if folds < 2 or min(spam, len(rows) - spam) < folds:
            raise CommandError(f"Need at least {max(folds, 2)} spam and ham rows and 2 folds.")
        evaluation = spamfilter.evaluate(
            rows, folds=folds, max_fp_rate=settings.NEWSROOM_SPAM_FILTER_MAX_FP_RATE
        )
        for line in evaluation.lines():
            self.stdout.write(line)

    def handle_export(self, *, path, **options):
        count = 0
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label", "decision"])
            for row in spamfilter.export_rows():
                writer.writerow(row)
                count += 1
        newest = SpamModel.objects.first()
        trained = f"; the newest model is {newest}" if newest else ""
        self.stdout.write(f"Exported {count} decisions to {path}{trained}.")
