"""Send the outbox: one message per task, and a beat sweep for anything left behind."""

from celery import shared_task

from . import delivery
from .models import Message


@shared_task(acks_late=True, ignore_result=True)
def send_message(message_id):
    """Send one stored message; a failure reschedules it in the database for the sweep."""
    return delivery.send(message_id)


@shared_task(ignore_result=True)
def send_due_messages():
    """Send every message whose task was lost or whose retry is due."""
    return delivery.send_due()


@shared_task(ignore_result=True)
def purge_old_messages():
    """Delete sent and cancelled messages past the retention: addresses are not kept forever."""
    deleted, _ = Message.objects.past_retention().delete()
    return deleted
