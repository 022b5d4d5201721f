"""Send every due message of the mail outbox now (what the beat sweep does)."""

from django.core.management.base import BaseCommand

from newsroom.outbox.delivery import send_due


class Command(BaseCommand):
    help = "Send every due email in the outbox now, as the periodic sweep does."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the due messages; send nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        # Each message is claimed, sent and recorded on its own: no transaction spans them.
        counts = send_due(dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{counts['due']} messages due; nothing sent (dry run).")
            return
        self.stdout.write(
            "{due} due: {sent} sent, {retry} to retry, {failed} failed, {cancelled} cancelled, "
            "{skipped} taken by another worker.".format(**counts)
        )
