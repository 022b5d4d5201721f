from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        from . import caching  # noqa: F401  (connects the cache invalidation receivers)

        # Pillow's guard against decompression bombs, set explicitly rather than left to its
        # default (89 million pixels) so every process that opens a picture refuses the same.
        Image.MAX_IMAGE_PIXELS = settings.NEWSROOM_IMAGE_MAX_PIXELS
