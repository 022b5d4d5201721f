"""Uploads that must not be public: kept outside MEDIA_ROOT, which the web server serves to all."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


@deconstructible
class PrivateMediaStorage(FileSystemStorage):
    """Files under NEWSROOM_PRIVATE_MEDIA_ROOT; their URLs point at a view that checks who asks."""

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "NEWSROOM_PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.NEWSROOM_PRIVATE_MEDIA_ROOT)
