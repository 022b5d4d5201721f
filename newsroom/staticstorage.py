"""Static files as whitenoise stores them, compressed with gzip only.

With `brotli` installed (the page cache uses it), whitenoise would also write a .br of every
static file at brotli's slowest quality: collectstatic went from about 5 s to 20 s of CPU, which
every deploy and the multi-server tests pay. Browsers get the .gz files instead.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class GzipManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs):
        return super().create_compressor(use_brotli=False, **kwargs)
