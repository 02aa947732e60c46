"""Upload handling: no uploaded file is held or spooled past the candle upload cap.

A page's multipart body is parsed by the CSRF middleware (the token is a form field) before
any view can look at Content-Length, so the cap has to live in the parser: this handler
runs first for every uploaded file (candle files are the product's only uploads).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class CappedUploadHandler(FileUploadHandler):
    """Counts each file's bytes and stops the upload, reading no more of the body, once a
    file passes MARKETDATA_UPLOAD_MAX_BYTES. The file is then absent and the request is
    marked (`upload_too_large`), so the views answer 413 rather than "no file"."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MARKETDATA_UPLOAD_MAX_BYTES:
            self.request._upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handler (memory, then a temporary file) stores it

    def file_complete(self, file_size: int) -> None:
        return None


def upload_too_large(request) -> bool:
    """Whether CappedUploadHandler stopped a file of this (Django or DRF) request."""
    return getattr(getattr(request, "_request", request), "_upload_too_large", False)
