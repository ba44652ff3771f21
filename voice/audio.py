"""Audio utilities: probe and decode uploads by content, PCM16 helpers, WAV writing, resampling, hashing.

Everything here is plain Python + PyAV + numpy/scipy (core: never imports Django). The house sample format is
16 kHz mono float32 in [-1, 1] for ASR and 16-bit little-endian PCM bytes on the wire and on disk.
Decoding a stereo call recording keeps its channels (the call-centre convention: agent = left, customer = right);
long recordings are decoded in bounded pieces cut at pauses (`decode_chunks`).
"""

from __future__ import annotations

import hashlib
import io
import struct
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
from scipy.signal import resample_poly

ASR_RATE = 16_000
# PyAV/FFmpeg demuxer names (detected from the bytes, never from the file name) that we accept.
ALLOWED_FORMATS = {
    "wav": "wav",
    "mp3": "mp3",
    "mov,mp4,m4a,3gp,3g2,mj2": "m4a",
    "ogg": "ogg",
    "flac": "flac",
    "matroska,webm": "webm",
}
_HASH_BLOCK = 1 << 20
# Long recordings are decoded and transcribed in pieces of about five minutes (40 MB of stereo float32 each),
# each cut at the quietest moment of its last 20 seconds.
CHUNK_SECONDS = 300.0
CUT_SEARCH_SECONDS = 20.0

Source = str | Path | bytes | BinaryIO


class AudioError(Exception):
    """A file that cannot be used as audio. `reason` is one of: corrupt, unsupported, no_audio, empty, channels.

    The messages are English; the web layer shows each reason in the user's language (voice.services.audio_message).
    """

    MESSAGES = {
        "corrupt": "The file is corrupt or not an audio file",
        "unsupported": "Unsupported audio format",
        "no_audio": "The file has no audio track",
        "empty": "The audio is empty",
        "channels": "A two-channel (stereo) recording is required",
    }

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        message = self.MESSAGES.get(reason, reason)
        super().__init__(f"{message}: {detail}" if detail else message)


@dataclass(frozen=True)
class AudioInfo:
    """What a probe found. `format` is our short name (wav, mp3, m4a, ogg, flac, webm)."""

    format: str
    codec: str
    duration: float
    channels: int
    sample_rate: int


@contextmanager
def _opened(source: Source) -> Iterator[av.container.InputContainer]:
    """Open by content only: a path is opened as a byte stream so FFmpeg never trusts the extension."""
    if isinstance(source, (str, Path)):
        try:
            stream: BinaryIO = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise AudioError("corrupt", f"cannot read {source}: {exc.strerror}") from exc
    elif isinstance(source, (bytes, bytearray)):
        stream = io.BytesIO(source)
    else:
        stream = io.BytesIO(source.read())
    try:
        try:
            container = av.open(stream, mode="r")
        except (av.error.FFmpegError, ValueError, EOFError) as exc:
            raise AudioError("corrupt", str(exc)) from exc
        try:
            yield container
        finally:
            container.close()
    finally:
        stream.close()


def _audio_stream(container: av.container.InputContainer) -> av.audio.stream.AudioStream:
    fmt = ALLOWED_FORMATS.get(container.format.name)
    if fmt is None:
        raise AudioError("unsupported", container.format.name)
    if not container.streams.audio:
        raise AudioError("no_audio", container.format.name)
    return container.streams.audio[0]


def probe(source: Source) -> AudioInfo:
    """Describe an audio file from its content. Raises AudioError for corrupt, unsupported, empty or non-audio files.

    The first packets are decoded so that a valid header over garbage is caught as corrupt; the duration comes from
    the container when it knows it, else from decoding everything.
    """
    with _opened(source) as container:
        stream = _audio_stream(container)
        codec = stream.codec_context.name
        fmt = ALLOWED_FORMATS[container.format.name]
        channels, rate = stream.codec_context.channels, stream.codec_context.sample_rate
        duration = _declared_duration(container, stream)
        decoded = _count_samples(container, stream, limit=None if duration is None else 1)
        if decoded == 0:
            raise AudioError("empty" if duration in (None, 0) else "corrupt", "no decodable audio")
        if duration is None:
            duration = decoded / rate
        return AudioInfo(format=fmt, codec=codec, duration=round(duration, 3), channels=channels, sample_rate=rate)


def _declared_duration(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _count_samples(container: av.container.InputContainer, stream: av.audio.stream.AudioStream,
                   limit: int | None) -> int:
    """Decode up to `limit` frames (all when None) and return the number of samples per channel."""
    total = frames = 0
    try:
        for frame in container.decode(stream):
            total += frame.samples
            frames += 1
            if limit is not None and frames >= limit:
                break
    except (av.error.FFmpegError, ValueError, EOFError) as exc:
        if total == 0:
            raise AudioError("corrupt", str(exc)) from exc
    return total


def _decode(source: Source, rate: int, layout: str) -> np.ndarray:
    """Decode the first audio stream to planar float32 at `rate` with `layout`: shape (channels, samples)."""
    with _opened(source) as container:
        stream = _audio_stream(container)
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        parts = list(_resampled(container, stream, resampler))
    if not parts:
        raise AudioError("empty")
    return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float32)


def decode_chunks(source: Source, *, stereo: bool = False, chunk_s: float | None = None,
                  sample_rate: int = ASR_RATE) -> Iterator[tuple[float, np.ndarray]]:
    """Decode in bounded pieces: (start in seconds, planar float32 of shape (channels, samples)) of about `chunk_s`
    each (`CHUNK_SECONDS` by default), so that a long recording never sits in memory whole. Each piece ends at the
    quietest 100 ms of its last `CUT_SEARCH_SECONDS` (a pause, not the middle of a word); the pieces cover the audio
    exactly once, in order.
    Raises AudioError as `decode` (a truncated tail keeps what decoded)."""
    target = max(int((chunk_s or CHUNK_SECONDS) * sample_rate), sample_rate)
    held: list[np.ndarray] = []
    count, start = 0, 0
    with _opened(source) as container:
        stream = _audio_stream(container)
        resampler = av.AudioResampler(format="fltp", layout="stereo" if stereo else "mono", rate=sample_rate)
        for part in _resampled(container, stream, resampler):
            held.append(part)
            count += part.shape[1]
            if count >= target:
                block = np.concatenate(held, axis=1)
                cut = _quiet_cut(block, target, sample_rate)
                yield start / sample_rate, np.ascontiguousarray(block[:, :cut], dtype=np.float32)
                start, held, count = start + cut, [block[:, cut:]], block.shape[1] - cut
    if start == 0 and count == 0:
        raise AudioError("empty")
    if count:
        yield start / sample_rate, np.ascontiguousarray(np.concatenate(held, axis=1), dtype=np.float32)


def _resampled(container: av.container.InputContainer, stream: av.audio.stream.AudioStream,
               resampler: av.AudioResampler) -> Iterator[np.ndarray]:
    decoded = False
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                decoded = True
                yield out.to_ndarray()
    except (av.error.FFmpegError, ValueError, EOFError) as exc:
        # A truncated tail is common in uploads: keep what decoded, refuse only when nothing did.
        if not decoded:
            raise AudioError("corrupt", str(exc)) from exc
    for out in resampler.resample(None):
        yield out.to_ndarray()


def _quiet_cut(block: np.ndarray, target: int, rate: int) -> int:
    """Where to end a piece: the start of the quietest 100 ms window in the `CUT_SEARCH_SECONDS` before `target`
    (never in the piece's first half, so that every piece moves on by at least half its length)."""
    window = rate // 10
    lo = max(target // 2, target - int(CUT_SEARCH_SECONDS * rate))
    span = block[:, lo:target].mean(axis=0)
    windows = len(span) // window
    if windows == 0:
        return target
    energy = np.square(span[:windows * window]).reshape(windows, window).sum(axis=1)
    return lo + int(np.argmin(energy)) * window


def decode(source: Source, *, sample_rate: int = ASR_RATE) -> np.ndarray:
    """Decode any allowed file to mono float32 at `sample_rate` (1-D). Raises AudioError."""
    return _decode(source, sample_rate, "mono")[0]


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    """Little-endian signed 16-bit PCM bytes → float32 in [-1, 1). Raises ValueError on an odd byte count."""
    if len(pcm) % 2:
        raise ValueError("PCM16 data must have an even number of bytes")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(audio: np.ndarray) -> bytes:
    """float samples (clipped to [-1, 1]) → little-endian signed 16-bit PCM bytes."""
    clipped = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    return (clipped * 32767.0).round().astype("<i2").tobytes()


def wav_bytes(pcm: bytes, sample_rate: int, channels: int = 1) -> bytes:
    """Wrap PCM16 bytes in a WAV container."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def write_wav(path: str | Path, audio: bytes | np.ndarray, sample_rate: int) -> Path:
    """Write mono PCM16 bytes or float samples to a 16-bit WAV file; returns the path."""
    pcm = audio if isinstance(audio, (bytes, bytearray)) else float_to_pcm16(audio)
    path = Path(path)
    path.write_bytes(wav_bytes(bytes(pcm), sample_rate))
    return path


def parse_wav(data: bytes) -> tuple[bytes, int]:
    """Return (PCM16 bytes, sample rate) of a mono 16-bit WAV, tolerating streamed headers with bogus sizes.

    espeak-ng --stdout writes 0x7fffffff-style sizes because it cannot seek; we trust the bytes present.
    Raises AudioError("corrupt") if the data is not a 16-bit PCM RIFF/WAVE.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("corrupt", "not a RIFF/WAVE stream")
    pos, rate, bits = 12, 0, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            _, _, rate, _, _, bits = struct.unpack("<HHIIHH", data[body:body + 16])
        elif chunk == b"data":
            if bits != 16:
                raise AudioError("unsupported", f"{bits}-bit WAV")
            pcm = data[body:body + size] if size < len(data) - body else data[body:]
            return pcm[: len(pcm) - len(pcm) % 2], rate
        pos = body + size + (size & 1)
    raise AudioError("corrupt", "WAV without a data chunk")


def resample(audio: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Polyphase resampling of a 1-D float signal; returns float32 (the input itself when rates match)."""
    if orig_rate == target_rate:
        return np.asarray(audio, dtype=np.float32)
    if orig_rate <= 0 or target_rate <= 0:
        raise ValueError("sample rates must be positive")
    factor = gcd(orig_rate, target_rate)
    out = resample_poly(np.asarray(audio, dtype=np.float32), target_rate // factor, orig_rate // factor)
    return out.astype(np.float32)


def content_sha256(source: str | Path | bytes) -> str:
    """Hex sha256 of a file's bytes (or of bytes), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    if isinstance(source, (bytes, bytearray)):
        digest.update(source)
        return digest.hexdigest()
    with open(source, "rb") as handle:
        for block in iter(lambda: handle.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
