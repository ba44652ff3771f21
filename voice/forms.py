"""Forms of the recordings pages, and the upload handler that caps each file's size while it streams in."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext_lazy as _

from nlu.forms import json_field
from salesstudio.forms import FilePicker

ACCEPT = "audio/*,.wav,.mp3,.m4a,.ogg,.oga,.opus,.flac,.webm"


class OversizedUpload(UploadedFile):
    """Stands for a file that went over the limit: its bytes were dropped, only the name and `too_large` remain."""

    too_large = True

    def __init__(self, name: str, size: int) -> None:
        super().__init__(io.BytesIO(b""), name=name, content_type="application/octet-stream", size=size)


class LimitedUploadHandler(FileUploadHandler):
    """First in the chain: passes each file's chunks on until `limit` bytes, then drops the rest.

    Django's own handlers then stream the accepted part to a temporary file (never the whole body into memory),
    and the file is reported as an `OversizedUpload`, so one large file does not stop the others.
    """

    def __init__(self, limit: int, request: Any = None) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        return None if self.received > self.limit else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > self.limit:
            return OversizedUpload(self.file_name, self.received)
        return None


class MultipleFileField(forms.FileField):
    """Every file of a multiple input, unchecked: each one is judged on its own by the upload service."""

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Audio files"), widget=FilePicker(attrs={"accept": ACCEPT}, multiple=True),
        help_text=_("WAV, MP3, M4A, OGG, FLAC or WebM; several at once. Stereo call recordings: agent left, customer right."),
        error_messages={"required": _("Choose one or more audio files.")},
    )


class SegmentTextForm(forms.Form):
    text = forms.CharField(label=_("Text"), max_length=500,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))


class LabelForm(forms.Form):
    intent = forms.ModelChoiceField(label=_("Intent"), queryset=None, empty_label=_("Choose an intent…"),
                                    widget=forms.Select(attrs={"class": "form-select"}))
    spans = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, bot: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["intent"].queryset = bot.intents.all()

    def clean_spans(self) -> list:
        spans = json_field(self.cleaned_data.get("spans") or "[]")
        if not isinstance(spans, list):
            raise forms.ValidationError(_("The slot spans are malformed."))
        return spans
