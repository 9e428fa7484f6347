"""How a recording is served: the one answer the Data Share API, the staff player and the admin give."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from calls.models import Recording
from calls.queries import StoredRecording
from calls.streaming import ranged_file_response
from config.api_base import error_response
from config.storage import StoreError, StoreUnavailable


def recording_response(
    request: HttpRequest, recording: StoredRecording, *, conversation_id: str, download: bool = False
) -> HttpResponse:
    """The audio of `recording` with Range and HEAD. A file gone from storage is a 404 (the API turns
    it into its JSON error); an object store that cannot answer is a JSON 503 (down or busy) or 502
    (it refused us); a row without a size is measured in storage; `download` asks the browser
    to save it. A franchise's audio: no shared cache (proxy, CDN) may keep or replay it."""
    storage = Recording._meta.get_field("file").storage
    filename = f"{conversation_id}.mp3"
    try:
        size = recording.size or storage.size(recording.name)
        response = ranged_file_response(
            request, storage, recording.name, size=size, content_type=recording.content_type, filename=filename
        )
    except FileNotFoundError:
        raise Http404("Recording not found") from None
    except StoreUnavailable:  # the object store is down or busy: worth a retry, and never a traceback
        return error_response(
            503, "storage_unavailable", "Recording storage is unavailable; retry later.", {"Retry-After": "5"}
        )
    except StoreError:  # the object store refused us (credentials, bucket): ours to fix, not the client's
        return error_response(502, "storage_error", "Recording storage failed to answer.")
    if response.status_code == 416:  # a Range outside the audio: say why, like every other refusal here
        detail = f"The Range header asks for bytes outside the recording ({size} bytes)."
        response = error_response(416, "range_not_satisfiable", detail, {"Content-Range": response["Content-Range"]})
    if download:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
