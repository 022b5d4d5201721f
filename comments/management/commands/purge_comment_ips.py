"""Erase the IP addresses of comments and of reports older than NEWSROOM_COMMENTS_IP_RETENTION_DAYS.

Run it daily from cron (`manage.py purge_comment_ips`) or Celery beat
(task `comments.tasks.purge_comment_ips`).
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from comments.models import Comment, Report


class Command(BaseCommand):
    help = "Erase commenters' IP addresses older than the retention period (default 30 days)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, dry_run=False, **options):
        days = settings.NEWSROOM_COMMENTS_IP_RETENTION_DAYS
        cutoff = timezone.now() - timedelta(days=days)
        old = Comment.objects.filter(created_at__lt=cutoff, ip_address__isnull=False)
        old_reports = Report.objects.filter(created_at__lt=cutoff, ip_address__isnull=False)
        with transaction.atomic():
            count = old.count() if dry_run else old.update(ip_address=None)
            if not dry_run:
                old_reports.update(ip_address=None)
        verb = "Would erase" if dry_run else "Erased"
        self.stdout.write(f"{verb} the IP address of {count} comments older than {days} days.")
