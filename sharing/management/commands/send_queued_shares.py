"""
Send every email share still waiting: ones queued while the Celery broker was unreachable,
and ones whose retry after an SMTP failure is due. Celery beat runs the same sweep every
NEWSROOM_SHARE_SWEEP_SECONDS; this command is for cron-only setups and for operators.

Safe to run alongside workers: each share is claimed by one UPDATE guarded by its status, so
it is sent once whoever gets there first.
"""

from django.core.management.base import BaseCommand

from sharing.delivery import send_due_shares


class Command(BaseCommand):
    help = "Send queued email shares that are due (broker was down, or a retry is due)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the shares that are due; send nothing and change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        # No transaction around the loop: each share is claimed and saved on its own, so one
        # that fails never rolls back the record of another that was sent.
        counts = send_due_shares(dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{counts['due']} share(s) due; nothing sent (dry run).")
            return
        self.stdout.write(
            f"{counts['due']} share(s) due: {counts['sent']} sent, {counts['retry']} to retry "
            f"later, {counts['failed']} failed, {counts['skipped']} taken by another worker."
        )
