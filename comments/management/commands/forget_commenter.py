"""Anonymise every comment written with an email address, on the reader's request.

The comments keep their place in threads as "[removed]"; the audit trail keeps its rows (who
moderated, when, which status) but loses the notes that could quote the reader.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from comments import caching
from comments.models import Comment, ModerationAction, Reason, Report, normalize_email

REMOVED = "[removed at the author’s request]"


class Command(BaseCommand):
    help = "Anonymise a reader's comments and remove their email address and IPs."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, email, dry_run=False, **options):
        email = normalize_email(email)
        if "@" not in email:
            raise CommandError("Give the reader's email address, e.g. forget_commenter a@b.org")
        comments = Comment.objects.by_email(email)
        pks = list(comments.values_list("pk", flat=True))
        article_ids = set(comments.values_list("article_id", flat=True))
        if dry_run:
            self.stdout.write(f"Would anonymise {len(pks)} comments by {email}.")
            return
        with transaction.atomic():
            for comment in comments.select_for_update():
                comment.name = "Former reader"
                comment.email = ""
                comment.body = REMOVED
                comment.ip_address = None
                comment.browser_key = ""
                comment.notify_replies = False
                comment.user = None
                comment.save()  # re-derives body_html from the new text
            # Reasons and notes may quote the text, the address or the IP: drop their words.
            Reason.objects.filter(comment__in=pks).update(detail="")
            ModerationAction.objects.filter(comment__in=pks).update(note="")
            Report.objects.filter(comment__in=pks).update(session_key="")
            caching.retire_article_pages(*article_ids)
        self.stdout.write(f"Anonymised {len(pks)} comments by {email}.")
