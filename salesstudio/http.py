"""HTTP helpers shared by the apps."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.core.files.storage import Storage
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def file_response(request: HttpRequest, storage: Storage, name: str, content_type: str) -> HttpResponse:
    """A stored file with HTTP Range support (a single range: what browsers send to seek in <audio>): 206 with the
    range, 416 when it lies outside the file, the whole file without a Range header. A model's file field is
    `field.storage, field.name`."""
    size = storage.size(name)
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if not match or not any(match.groups()):
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    start_s, end_s = match.groups()
    start = int(start_s) if start_s else max(size - int(end_s), 0)
    end = min(int(end_s), size - 1) if start_s and end_s else size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(_read_range(storage, name, start, end), status=206, content_type=content_type)
    response["Content-Length"] = str(end - start + 1)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def _read_range(storage: Storage, name: str, start: int, end: int, block: int = 1 << 16) -> Iterator[bytes]:
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(block, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
