"""Test doubles and generated media, shipped so users' tests can use them too.

Nothing here is a style: ``InvertStylizer`` is a cheap, visible, deterministic effect for
tests, never listed by ``stylecut styles``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from .stylizer import blend, check_batch

__all__ = [
    "FunctionStylizer",
    "InvertStylizer",
    "make_clip",
    "make_packed_avi",
    "read_frame_number",
    "stamp_frame_number",
]

_BITS = 12  # frame numbers up to 4095
_GRID = (3, 4)  # rows, cols of bit cells


class InvertStylizer:
    """Inverts colours, blended by strength: deterministic and cheap."""

    name = "test-invert"

    def __init__(self, preferred_batch: int = 4) -> None:
        self.preferred_batch = preferred_batch
        self.calls = 0
        self.frames_seen = 0

    def stylize(self, frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        check_batch(frames, strength)
        self.calls += 1
        self.frames_seen += len(frames)
        return blend(frames, 255 - frames, strength)


class FunctionStylizer:
    """Wraps a function ``(frames, strength) -> frames`` as a Stylizer (like a mock transport)."""

    def __init__(
        self,
        fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
        *,
        name: str = "test-function",
        preferred_batch: int = 1,
    ) -> None:
        self.fn = fn
        self.name = name
        self.preferred_batch = preferred_batch

    def stylize(self, frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        check_batch(frames, strength)
        return self.fn(frames, strength)


def _cells(height: int, width: int) -> tuple[int, int, int]:
    rows, cols = _GRID
    cell = max(4, min(height // (rows * 2), width // (cols * 2)))
    return rows, cols, cell


def stamp_frame_number(image: np.ndarray, n: int) -> np.ndarray:
    """Burn ``n`` into the top-left corner as a grid of black/white cells (survives lossy codecs)."""
    out = image.copy()
    rows, cols, cell = _cells(*image.shape[:2])
    for bit in range(_BITS):
        r, c = divmod(bit, cols)
        value = 255 if (n >> bit) & 1 else 0
        out[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = value
    return out


def read_frame_number(image: np.ndarray) -> int:
    """Read the number written by ``stamp_frame_number``."""
    rows, cols, cell = _cells(*image.shape[:2])
    grey = image.mean(axis=2) if image.ndim == 3 else image
    n = 0
    for bit in range(_BITS):
        r, c = divmod(bit, cols)
        m = cell // 4
        centre = grey[r * cell + m:(r + 1) * cell - m, c * cell + m:(c + 1) * cell - m]
        if centre.mean() > 127:
            n |= 1 << bit
    return n


def _pattern(n: int, width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 128 + 100 * np.sin((x + 3 * n) / 11.0)
    g = 128 + 100 * np.sin((y - 2 * n) / 7.0)
    b = 128 + 100 * np.sin((x + y + 5 * n) / 13.0)
    img = np.stack([r, g, b], axis=-1)
    # a moving box so motion is visible
    bx = int((n * 4) % max(1, width - width // 4))
    img[height // 2: height // 2 + height // 5, bx: bx + width // 4] = (240, 200, 40)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_clip(
    path: str | os.PathLike[str],
    *,
    frames: int = 24,
    width: int = 64,
    height: int = 48,
    fps: Fraction | int = 24,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    gop: int | None = None,
    audio: bool = True,
    audio_codec: str | None = None,
    sample_rate: int = 48000,
    audio_layout: str = "stereo",
    tone_hz: float = 440.0,
    rotation: int = 0,
    colour: tuple[int, int, int, int] | None = None,
    frame_times: Sequence[Fraction] | None = None,
    image_fn: Callable[[int, int, int], np.ndarray] | None = None,
    options: dict[str, str] | None = None,
    stamp: bool = True,
) -> Path:
    """Encode a short synthetic clip with the frame number burnt in and a sine tone.

    ``frame_times`` (seconds) makes a variable-frame-rate clip; ``colour`` is
    (matrix, range, primaries, trc) FFmpeg enum values; ``rotation`` writes a display matrix.
    ``audio_layout`` is any FFmpeg layout, also one without channel order (``"6 channels"``);
    every channel carries the tone.
    """
    path = Path(path)
    fps = Fraction(fps)
    container = av.open(str(path), mode="w")
    try:
        opts = dict(options or {})
        if gop is not None:
            opts.setdefault("g", str(gop))
            if codec == "libx264":
                opts.setdefault("x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0")
        stream = container.add_stream(codec, rate=fps, options=opts)
        assert isinstance(stream, VideoStream), codec
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        tb = Fraction(1, 90000) if frame_times is not None else 1 / fps
        if codec == "mpeg4":
            tb = 1 / fps
        stream.time_base = tb
        stream.codec_context.time_base = tb
        if gop is not None:
            stream.codec_context.gop_size = gop
        if colour is not None:
            cc = stream.codec_context
            cc.colorspace, cc.color_range, cc.color_primaries, cc.color_trc = colour
        if rotation:
            stream.set_display_rotation(rotation)
        astream: AudioStream | None = None
        if audio:
            acodec = audio_codec or ("libopus" if path.suffix == ".webm" else
                                     "pcm_s16le" if path.suffix == ".avi" else "aac")
            added = container.add_stream(acodec, rate=sample_rate, layout=audio_layout)
            assert isinstance(added, AudioStream), acodec
            astream = added
        from .colour import ColourTags, FrameConverter

        tags = ColourTags(*colour, height=height) if colour is not None else ColourTags(
            height=height)
        converter = FrameConverter(tags.output_tags() if colour else tags)
        for i in range(frames):
            img = image_fn(i, width, height) if image_fn else _pattern(i, width, height)
            if stamp:
                img = stamp_frame_number(img, i)
            vf = converter.from_rgb(img, pix_fmt)
            if frame_times is not None:
                vf.pts = round(frame_times[i] / tb)
            else:
                vf.pts = i
            vf.time_base = tb
            for p in stream.encode(vf):
                container.mux(p)
        for p in stream.encode(None):
            container.mux(p)
        if astream is not None:
            duration = (frame_times[-1] + 1 / fps) if frame_times is not None else frames / fps
            total = int(duration * sample_rate)
            chunk = 1024
            for start in range(0, total, chunk):
                n = min(chunk, total - start)
                t = (np.arange(start, start + n) / sample_rate).astype(np.float64)
                wave = (0.3 * np.sin(2 * math.pi * tone_hz * t)).astype(np.float32)
                channels = av.AudioLayout(audio_layout).nb_channels
                af = av.AudioFrame.from_ndarray(np.stack([wave] * channels), format="fltp",
                                                layout=audio_layout)
                af.sample_rate = sample_rate
                af.pts = start
                af.time_base = Fraction(1, sample_rate)
                for p in astream.encode(af):
                    container.mux(p)
            for p in astream.encode(None):
                container.mux(p)
    finally:
        container.close()
    return path


_VOP = b"\x00\x00\x01\xb6"
# XviD and DivX 5 announce packed B-frames with this user-data string ('p' = packed).
_DIVX_PACKED = b"\x00\x00\x01\xb2DivX503b1393p"


def _vop_type(packet: bytes) -> str:
    at = packet.find(_VOP)
    return "IPBS"[packet[at + 4] >> 6] if at >= 0 else "?"


def _not_coded_vop(time_increment_bits: int) -> bytes:
    """An MPEG-4 N-VOP (vop_coded = 0): the placeholder packed streams put after P+B."""
    bits = "01" + "0" + "1" + "0" * time_increment_bits + "1" + "0"  # P, modulo, marker, …
    bits += "0" + "1" * ((8 - (len(bits) + 1) % 8) % 8)  # stuffing to the byte boundary
    return _VOP + int(bits, 2).to_bytes(len(bits) // 8, "big")


def make_packed_avi(path: str | os.PathLike[str], *, frames: int = 30, width: int = 64,
                    height: int = 48, fps: int = 25, gop: int = 12, audio: bool = True) -> Path:
    """An MPEG-4 Part 2 AVI with DivX/XviD-style packed B-frames, frame numbers burnt in.

    Each P (or I) frame that a B-frame follows in decode order shares one AVI chunk with it and
    the next chunk holds a not-coded VOP, as DivX 5 and XviD write them; FFmpeg's decoder
    returns frames with pts out of order (1, 3, 2, 5, 4 …), the first at pts 1. ``audio``
    adds an AC-3 tone, as such files usually carry."""
    path = Path(path)
    plain = path.with_name(f".{path.stem}.unpacked.avi")
    make_clip(plain, frames=frames, width=width, height=height, fps=fps, codec="mpeg4",
              gop=gop, options={"bf": "1"}, audio=audio, audio_codec="ac3")
    source = av.open(str(plain))
    try:
        stream = source.streams.video[0]
        coded = [bytes(p) for p in source.demux(stream) if p.size]
        out = av.open(str(path), mode="w", format="avi")
        try:
            packed_stream = out.add_stream_from_template(stream)
            packed_stream.time_base = Fraction(1, fps)
            sound = source.streams.audio[0] if source.streams.audio else None
            sound_out = out.add_stream_from_template(sound) if sound is not None else None
            if sound is not None and sound_out is not None:
                sound_out.time_base = sound.time_base  # AVI would round it to the video rate
            chunks: list[tuple[bytes, bool]] = []
            nvop = _not_coded_vop(max(1, (fps - 1).bit_length()))
            i = 0
            while i < len(coded):
                data, kind = coded[i], _vop_type(coded[i])
                if i == 0:
                    at = data.find(_VOP)
                    data = data[:at] + _DIVX_PACKED + data[at:]
                if kind != "B" and i + 1 < len(coded) and _vop_type(coded[i + 1]) == "B":
                    chunks += [(data + coded[i + 1], kind == "I"), (nvop, False)]
                    i += 2
                else:
                    chunks.append((data, kind == "I"))
                    i += 1
            for n, (data, key) in enumerate(chunks):
                packet = av.Packet(data)
                packet.pts = packet.dts = n
                packet.time_base = Fraction(1, fps)
                packet.stream = packed_stream
                packet.is_keyframe = key
                out.mux(packet)
            if sound is not None and sound_out is not None:
                source.seek(0)
                for sound_packet in source.demux(sound):
                    if sound_packet.size:
                        sound_packet.stream = sound_out
                        out.mux(sound_packet)
        finally:
            out.close()
    finally:
        source.close()
        plain.unlink(missing_ok=True)
    return path
