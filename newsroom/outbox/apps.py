from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Every email the site sends, kept in the database until it has gone (newsroom.outbox)."""

    name = "newsroom.outbox"
    label = "outbox"
    verbose_name = "Mail outbox"
    default_auto_field = "django.db.models.BigAutoField"
