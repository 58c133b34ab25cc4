"""Probing and frame-accurate reading of video files (PyAV).

Frames are addressed by their index in presentation order. Where the container carries
presentation timestamps (MP4, MOV, Matroska, WebM, MPEG-PS/TS) the index is built from the
demuxed packets' pts, so variable-frame-rate sources map frames by pts, not by an assumed
constant rate. Where it does not (AVI, raw elementary streams, packets without pts), the
decoder's output order is the presentation order and the timestamps are reconstructed from the
packets' decode times (see ``FrameIndex.pts_trusted``).

Random access seeks to the keyframe at or before the target (by its decode timestamp), then
verifies where it landed: every decoded frame must be a frame of the index, in order, up to the
target. A seek that lands past the target or on mislabelled frames (MPEG-PS) falls back to
earlier keyframes, then to decoding from the start, so frame N is always frame N.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from .colour import ColourTags, FrameConverter
from .errors import (
    CorruptMediaError,
    EmptyMediaError,
    MediaNotFoundError,
    NotMediaError,
    NoVideoStreamError,
    SeekError,
)

__all__ = [
    "AudioInfo",
    "DecodeCursor",
    "DecodedFrame",
    "ExtraVideoInfo",
    "FrameIndex",
    "MediaInfo",
    "VideoInfo",
    "VideoReader",
    "build_index",
    "decode_frames",
    "open_input",
    "probe",
]

_MEDIA_MAGIC = (b"\x1a\x45\xdf\xa3", b"RIFF", b"OggS", b"\x00\x00\x01\xba", b"FLV")


def _looks_like_media(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head.startswith(_MEDIA_MAGIC) or head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide")


def open_input(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open a media file for reading, translating FFmpeg errors into ``MediaError``s."""
    p = Path(path)
    if not p.exists():
        raise MediaNotFoundError(f"Input file not found: {p}. Received: path={str(p)!r}")
    if p.is_dir():
        raise NotMediaError(f"Input is a folder, not a media file: {p}. Received: path={str(p)!r}")
    if p.stat().st_size == 0:
        raise CorruptMediaError(f"Input file is empty (0 bytes): {p}. Received: path={str(p)!r}")
    try:
        return av.open(str(p), mode="r")
    except (av.error.FFmpegError, OSError, IndexError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        if _looks_like_media(p):
            raise CorruptMediaError(
                f"Cannot read {p}: the file looks like media but is truncated or corrupt "
                f"({reason}). Received: path={str(p)!r}"
            ) from exc
        raise NotMediaError(
            f"Cannot read {p}: not a media file FFmpeg can open ({reason}). "
            f"Received: path={str(p)!r}"
        ) from exc


def _video_stream(container: av.container.InputContainer, path: Path) -> av.VideoStream:
    if not container.streams.video:
        kinds = ", ".join(s.type for s in container.streams) or "no streams"
        raise NoVideoStreamError(
            f"{path} has no video stream (it holds: {kinds}). Received: path={str(path)!r}"
        )
    stream = container.streams.video[0]
    if stream.codec_context is None:  # FFmpeg knows no codec for it: an unknown or damaged tag
        raise CorruptMediaError(
            f"{path} has a video stream whose codec FFmpeg does not know (a damaged header, or "
            f"a codec this build cannot decode). Received: path={str(path)!r}"
        )
    return stream


def _rotation(stream: av.VideoStream, container: av.container.InputContainer) -> int:
    """Display rotation in degrees counter-clockwise (FFmpeg's convention), from side data."""
    try:
        container.seek(0)
        for packet in container.demux(stream):
            for frame in packet.decode():
                return int(round(frame.rotation or 0))
            if packet.size == 0:
                break
    except av.error.FFmpegError:
        return 0
    return 0


@dataclass(frozen=True)
class FrameIndex:
    """Presentation timestamps of every video frame, sorted, with per-frame keyframe flags.

    ``seek_ts`` is the timestamp to seek to for each frame (its pts, or where the demuxer
    seeks by decode time, a keyframe's dts). ``pts_trusted`` is False where the container's timestamps
    do not identify frames (AVI, raw streams, missing pts): frames are then numbered in the
    decoder's output order from the start of the file, and ``pts`` are reconstructed."""

    pts: tuple[int, ...]
    keyframe: tuple[bool, ...]
    time_base: Fraction
    last_duration: int
    seek_ts: tuple[int, ...] = ()
    pts_trusted: bool = True

    def seek_point(self, n: int) -> int:
        """The timestamp to seek to for frame ``n`` (its pts when no decode time is known)."""
        return self.seek_ts[n] if self.seek_ts else self.pts[n]

    def __len__(self) -> int:
        return len(self.pts)

    @property
    def start_pts(self) -> int:
        return self.pts[0]

    def time_of(self, n: int) -> Fraction:
        """Clip-local time (seconds from the first frame) of frame ``n``."""
        return (self.pts[n] - self.pts[0]) * self.time_base

    def frame_at(self, seconds: Fraction) -> int:
        """Index of the frame shown at clip-local time ``seconds`` (last frame with time <= t).

        Times within half a time-base unit of a frame count as that frame (containers round
        timestamps, e.g. Matroska to milliseconds)."""
        target = self.pts[0] + Fraction(seconds) / self.time_base + Fraction(1, 2)
        n = bisect.bisect_right(self.pts, target) - 1
        return max(0, min(n, len(self.pts) - 1))

    def first_at_or_after(self, seconds: Fraction) -> int:
        """Index of the first frame whose time is >= ``seconds`` (== len when none)."""
        target = self.pts[0] + Fraction(seconds) / self.time_base - Fraction(1, 2)
        return bisect.bisect_left(self.pts, target)

    @property
    def duration(self) -> Fraction:
        return (self.pts[-1] - self.pts[0] + self.last_duration) * self.time_base

    @property
    def is_vfr(self) -> bool:
        if len(self.pts) < 3:
            return False
        deltas = np.diff(np.asarray(self.pts, dtype=np.int64))
        return bool(deltas.max() - deltas.min() > max(1, deltas.min() // 100))


# Containers whose packets carry no presentation timestamps of their own (FFmpeg makes them
# up in decode order, so B-frames come out of the decoder with pts out of order).
_NO_PTS_FORMATS = frozenset({"avi", "h264", "hevc", "m4v", "mpegvideo", "h263", "vc1",
                             "cavsvideo", "vvc"})
# Demuxers that seek by decode time (a keyframe's pts there lands on the next GOP); the
# others (MP4, Matroska, …) seek by pts.
_SEEKS_BY_DTS = frozenset({"mpeg", "mpegts", "mpegtsraw", "mpegvideo"})
# Codecs whose packets may share a pts with a hidden (decoded, never shown) frame.
_HIDDEN_FRAME_CODECS = frozenset({"vp8", "vp9", "av1"})


@dataclass(frozen=True)
class _Packet:
    pts: int | None
    dts: int | None
    key: bool
    duration: int


def _stream_rate(stream: av.VideoStream) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and rate > 0:
            return Fraction(rate.numerator, rate.denominator)
    return None


def _stream_time_base(stream: av.VideoStream, path: Path) -> Fraction:
    """The stream's time base (FFmpeg sets one on every demuxed stream)."""
    tb = stream.time_base
    if tb is None:
        raise CorruptMediaError(
            f"{path} has a video stream without a time base. Received: path={str(path)!r}")
    return Fraction(tb.numerator, tb.denominator)


def _seek_point(packet: _Packet, pts: int, use_dts: bool) -> int:
    """Where to seek for the frame at ``pts``: its packet's decode time when the demuxer seeks
    by decode time (``use_dts``, keyframes only) and the packet has one, else ``pts``."""
    if use_dts and packet.dts is not None:
        return min(packet.dts, pts)
    return pts


def _trusted_index(packets: list[_Packet], tb: Fraction, codec: str,
                   by_dts: bool) -> FrameIndex | None:
    """The index from the packets' pts, or None when they cannot identify frames."""
    if any(p.pts is None for p in packets):
        return None
    by_pts: dict[int, _Packet] = {}
    for p in reversed(packets):  # the first packet of a pts wins
        by_pts[p.pts] = p  # type: ignore[index]
    if len(by_pts) != len(packets) and codec not in _HIDDEN_FRAME_CODECS:
        return None  # two frames on one pts: the container's timestamps are not theirs
    pts = tuple(sorted(by_pts))
    keys = {p.pts for p in packets if p.key}
    seek = tuple(_seek_point(by_pts[t], t, by_dts and t in keys) for t in pts)
    last = by_pts[pts[-1]].duration
    if last <= 0:
        last = int(pts[-1] - pts[-2]) if len(pts) > 1 else 1
    return FrameIndex(pts, tuple(t in keys for t in pts), tb, last, seek, True)


def _reconstructed_index(packets: list[_Packet], tb: Fraction, rate: Fraction | None) -> FrameIndex:
    """The index of a stream numbered in decode-output order: one frame per packet, times from
    the packets' decode timestamps (AVI: the chunk number), else from the frame rate."""
    n = len(packets)
    dts = sorted(p.dts for p in packets if p.dts is not None)
    if len(dts) == n and len(set(dts)) == n:
        known_pts = [p.pts for p in packets if p.pts is not None]
        offset = (min(known_pts) - dts[0]) if known_pts else 0
        pts = tuple(t + max(0, offset) for t in dts)
        last = packets[-1].duration if packets[-1].duration > 0 else (
            pts[-1] - pts[-2] if n > 1 else 1)
    else:
        step = 1 / ((rate or Fraction(25)) * tb)
        first = min((p.pts for p in packets if p.pts is not None), default=0)
        pts = tuple(first + round(i * step) for i in range(n))
        last = max(1, round(step))
    # Frames are found by decoding from the start: only frame 0 is a known entry point.
    keyframe = (True,) + (False,) * (n - 1)
    return FrameIndex(pts, keyframe, tb, int(last), pts, False)


def build_index(path: str | os.PathLike[str]) -> FrameIndex:
    """Demux (no decoding) the first video stream and collect every frame's pts."""
    p = Path(path)
    container = open_input(p)
    try:
        stream = _video_stream(container, p)
        packets: list[_Packet] = []
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                packets.append(_Packet(packet.pts, packet.dts, bool(packet.is_keyframe),
                                       int(packet.duration or 0)))
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(
                f"Cannot read the packets of {p}: {exc.strerror or exc}. Received: path={str(p)!r}"
            ) from exc
        if not packets:
            raise EmptyMediaError(f"{p} has a video stream with no frames. Received: path={str(p)!r}")
        tb = _stream_time_base(stream, p)
        index = None
        demuxer = container.format.name.split(",")[0]
        if demuxer not in _NO_PTS_FORMATS:
            index = _trusted_index(packets, tb, stream.codec_context.name, demuxer in _SEEKS_BY_DTS)
        return index or _reconstructed_index(packets, tb, _stream_rate(stream))
    finally:
        container.close()


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream of a file."""

    index: int
    codec: str
    width: int
    height: int
    fps: Fraction
    time_base: Fraction
    frame_count: int
    duration: Fraction
    start_time: Fraction
    rotation: int
    pix_fmt: str
    bit_depth: int
    colour: ColourTags
    vfr: bool
    profile: str | None = None


@dataclass(frozen=True)
class ExtraVideoInfo:
    """A video stream after the first (not rendered: stylecut renders the first one);
    ``attached_picture`` marks cover art."""

    index: int
    codec: str
    width: int
    height: int
    fps: Fraction | None
    frame_count: int
    attached_picture: bool


@dataclass(frozen=True)
class AudioInfo:
    """One audio stream."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    layout: str
    duration: Fraction | None


@dataclass(frozen=True)
class MediaInfo:
    """What ``probe`` knows about a file: ``video`` is the stream stylecut renders (the
    first), ``extra_video`` every other video stream."""

    path: str
    format: str
    duration: Fraction
    size_bytes: int
    video: VideoInfo
    audio: tuple[AudioInfo, ...] = ()
    other_streams: tuple[str, ...] = field(default_factory=tuple)
    extra_video: tuple[ExtraVideoInfo, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (fractions as strings plus float seconds)."""

        def conv(value: Any) -> Any:
            if isinstance(value, Fraction):
                return str(value)
            if isinstance(value, ColourTags):
                return value.to_dict()
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [conv(v) for v in value]
            return value

        out = conv(asdict(self))
        out["video"]["colour"] = self.video.colour.to_dict()
        out["duration_seconds"] = float(self.duration)
        out["video"]["fps_float"] = float(self.video.fps)
        return out


def _bit_depth(pix_fmt: str | None) -> int:
    if not pix_fmt:
        return 8
    try:
        fmt = av.VideoFormat(pix_fmt)
        return max(c.bits for c in fmt.components)
    except (ValueError, av.error.FFmpegError):
        return 8


def _stream_fps(stream: av.VideoStream, index: FrameIndex) -> Fraction:
    rate = _stream_rate(stream)
    if rate is not None:
        return rate
    if len(index) > 1 and index.duration > 0:
        return Fraction(len(index)) / index.duration
    return Fraction(25)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe a media file: streams, codecs, size, rational fps, frame count, colour, audio."""
    p = Path(path)
    index = build_index(p)
    container = open_input(p)
    try:
        stream = _video_stream(container, p)
        cc = stream.codec_context
        tb = _stream_time_base(stream, p)
        video = VideoInfo(
            index=stream.index,
            codec=cc.name,
            width=cc.width,
            height=cc.height,
            fps=_stream_fps(stream, index),
            time_base=tb,
            frame_count=len(index),
            duration=index.duration,
            start_time=index.start_pts * tb,
            rotation=_rotation(stream, container),
            pix_fmt=cc.pix_fmt or "unknown",
            bit_depth=_bit_depth(cc.pix_fmt),
            colour=ColourTags.from_codec_context(cc),
            vfr=index.is_vfr,
            profile=cc.profile,
        )
        audio = []
        for a in container.streams.audio:
            acc = a.codec_context  # None: a codec FFmpeg does not know
            atb = a.time_base
            dur = None
            if a.duration is not None and atb is not None:
                dur = a.duration * Fraction(atb.numerator, atb.denominator)
            audio.append(
                AudioInfo(
                    index=a.index,
                    codec=acc.name if acc is not None else "unknown",
                    sample_rate=int(acc.sample_rate or 0) if acc is not None else 0,
                    channels=int(acc.channels or 0) if acc is not None else 0,
                    layout=acc.layout.name if acc is not None and acc.layout is not None
                    else "unknown",
                    duration=dur,
                )
            )
        other = tuple(
            f"{s.index}:{s.type}" for s in container.streams if s.type not in ("video", "audio")
        )
        extra_video = tuple(_extra_video(s) for s in container.streams.video[1:])
        duration = video.duration
        if container.duration:
            duration = max(duration, Fraction(container.duration, av.time_base))
        return MediaInfo(
            path=str(p),
            format=container.format.name,
            duration=duration,
            size_bytes=p.stat().st_size,
            video=video,
            audio=tuple(audio),
            other_streams=other,
            extra_video=extra_video,
        )
    finally:
        container.close()


def _extra_video(stream: av.VideoStream) -> ExtraVideoInfo:
    cc = stream.codec_context  # None: a codec FFmpeg does not know
    disposition = getattr(stream, "disposition", None)
    attached = bool(disposition is not None and int(disposition) & 0x400)  # ATTACHED_PIC
    return ExtraVideoInfo(
        index=stream.index,
        codec=cc.name if cc is not None else "unknown",
        width=int(cc.width or 0) if cc is not None else 0,
        height=int(cc.height or 0) if cc is not None else 0,
        fps=None if attached else _stream_rate(stream),
        frame_count=int(stream.frames or 0),
        attached_picture=attached,
    )


@dataclass(frozen=True)
class DecodedFrame:
    """A decoded frame: its index, pts, clip-local time (seconds) and RGB pixels; ``alpha``, the
    uint8 (H, W) alpha plane, when it was asked for and the stream has one."""

    index: int
    pts: int
    time: Fraction
    image: np.ndarray
    alpha: np.ndarray | None = None


_SEEK_SAVES = 4  # a seek must skip more frames than this ahead of the cursor to beat decoding on


class DecodeCursor:
    """A decoder positioned in a file's first video stream, whose frames it labels with their
    index in ``index``.

    ``walk(n)`` decodes to frame ``n`` exactly and yields every frame decoded on the way, each
    as ``(index, frame)``, ending with frame ``n``. It decodes on from the current position when
    no seek would land later than that, else it seeks to the keyframe before ``n`` and verifies
    the landing (see the module doc). Stopping a walk early cancels it: the cursor stays at the
    last frame yielded, and the next walk goes on from there or seeks. Indices increase, except
    where a landing is rejected and decoding restarts earlier. Not thread-safe.
    """

    def __init__(self, path: str | os.PathLike[str], index: FrameIndex, *,
                 thread_type: str = "AUTO") -> None:
        self.path = Path(path)
        self.index = index
        self._thread_type = thread_type
        self._container = open_input(self.path)
        try:
            self._stream = _video_stream(self._container, self.path)
        except BaseException:
            self._container.close()
            raise
        self._stream.thread_type = thread_type
        self._pts_to_index = {ts: i for i, ts in enumerate(index.pts)}
        self._keyframes = [i for i, key in enumerate(index.keyframe) if key] or [0]
        self._raw: Iterator[tuple[int | None, av.VideoFrame]] | None = None
        self.position = -1  # index of the last frame yielded (-1: none since the last seek)

    @property
    def container(self) -> av.container.InputContainer:
        return self._container

    @property
    def stream(self) -> av.VideoStream:
        return self._stream

    def close(self) -> None:
        self._raw = None
        self._container.close()

    def reset(self) -> None:
        """Forget the position (after something else moved the demuxer): the next walk seeks."""
        self._raw = None
        self.position = -1

    def keyframe_before(self, n: int) -> int:
        """The last keyframe at or before frame ``n``."""
        return self._keyframes[max(0, bisect.bisect_right(self._keyframes, n) - 1)]

    def can_continue(self, n: int) -> bool:
        """True when decoding on from the current position reaches frame ``n`` no later than a
        seek would (always forward, where only decoding from the start finds frames)."""
        if self._raw is None or n <= self.position:
            return False
        return not self.index.pts_trusted or self.keyframe_before(n) - self.position <= _SEEK_SAVES

    def walk(self, n: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Frames decoded on the way to frame ``n``, ending with frame ``n`` (see the class doc);
        ``SeekError`` when no way of decoding finds it."""
        if self.can_continue(n):
            yield from self._onwards(n)
            if self.position == n:
                return
        if self.index.pts_trusted and n > 0:
            # The keyframe at or before n, then up to two earlier ones (a demuxer may land
            # after the asked time, or on frames it labels wrongly).
            keys = [i for i in range(n, -1, -1) if self.index.keyframe[i]][:3]
            for k in keys:
                if k == 0:
                    break
                self._seek(k)
                if (yield from self._land(n)):
                    return
        self._restart()
        yield from self._onwards(n)
        if self.position != n:
            self.reset()
            raise SeekError(
                f"Could not decode frame {n} (pts {self.index.pts[n]}) of {self.path}. "
                f"Received: frame={n}"
            )

    def read(self, n: int) -> av.VideoFrame:
        """Frame ``n`` (the end of ``walk(n)``)."""
        for i, frame in self.walk(n):
            if i == n:
                return frame
        raise AssertionError("walk() ends with its target or raises")

    def onwards(self, stop: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """The frames after the current position, in order, up to frame ``stop - 1``."""
        if self._raw is not None and self.position < stop - 1:
            yield from self._onwards(stop - 1)

    # --- positioning --------------------------------------------------------------------------
    def _seek(self, k: int) -> None:
        self._container.seek(self.index.seek_point(k), stream=self._stream, backward=True)
        self._raw = self._by_pts(decode_frames(self._container, self._stream, self.path))
        self.position = -1

    def _restart(self) -> None:
        """Decoding from the file's first packet: the file is reopened, because a seek to the
        start can land past it (MPEG-PS/TS)."""
        self._container.close()
        self._container = open_input(self.path)
        self._stream = _video_stream(self._container, self.path)
        self._stream.thread_type = self._thread_type
        frames = decode_frames(self._container, self._stream, self.path)
        if self.index.pts_trusted:
            self._raw = self._by_pts(frames)
        else:
            self._raw = ((i, frame) for i, frame in enumerate(frames))  # output order = presentation
        self.position = -1

    def _by_pts(self, frames: Iterator[av.VideoFrame]) -> Iterator[tuple[int | None, av.VideoFrame]]:
        """(index, frame) for frames labelled by their pts; None for a pts the index lacks."""
        for frame in frames:
            ts = _frame_pts(frame)
            yield (None if ts is None else self._pts_to_index.get(ts)), frame

    # --- decoding -----------------------------------------------------------------------------
    def _land(self, n: int) -> Generator[tuple[int, av.VideoFrame], None, bool]:
        """Frames up to ``n`` right after a seek; False (stopping) at the first that shows the
        landing cannot be trusted: one after ``n``, one missing, one the index lacks."""
        assert self._raw is not None
        for i, frame in self._raw:
            if i is None or i > n or (self.position >= 0 and i != self.position + 1):
                return False
            self.position = i
            yield i, frame
            if i == n:
                return True
        return False

    def _onwards(self, n: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Frames after the position up to ``n`` (an unknown pts maps to the next free index;
        frames that would go back are dropped)."""
        assert self._raw is not None
        for i, frame in self._raw:
            if i is None:
                ts = _frame_pts(frame)
                if ts is None:
                    continue
                i = max(self.position + 1, bisect.bisect_left(self.index.pts, ts))
            if i <= self.position or i >= len(self.index):
                continue
            self.position = i
            yield i, frame
            if i >= n:
                return


def _frame_pts(frame: av.VideoFrame) -> int | None:
    return frame.pts if frame.pts is not None else frame.dts


class VideoReader:
    """Sequential and frame-accurate random access to a file's first video stream.

    Use as a context manager. ``read(n)`` returns frame ``n`` exactly (RGB uint8);
    ``frames(start, stop)`` iterates a range in order after one seek. Decoding goes through one
    :class:`DecodeCursor`, so sequential reads never seek.
    """

    def __init__(self, path: str | os.PathLike[str], *, thread_type: str = "AUTO") -> None:
        self.path = Path(path)
        self.index = build_index(self.path)
        self.cursor = DecodeCursor(self.path, self.index, thread_type=thread_type)
        try:
            self.colour = ColourTags.from_codec_context(self.stream.codec_context)
            self._converter = FrameConverter(self.colour)
            self.fps = _stream_fps(self.stream, self.index)
        except BaseException:
            self.cursor.close()
            raise
        self._rotation: int | None = None

    # --- context management ---------------------------------------------------------------
    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.cursor.close()

    def __len__(self) -> int:
        return len(self.index)

    @property
    def width(self) -> int:
        return int(self.stream.codec_context.width)

    @property
    def height(self) -> int:
        return int(self.stream.codec_context.height)

    @property
    def stream(self) -> av.VideoStream:
        return self.cursor.stream

    @property
    def has_alpha(self) -> bool:
        """True when the stream's pixel format has an alpha channel."""
        fmt = self.stream.codec_context.pix_fmt
        if not fmt:
            return False
        return any(c.is_alpha for c in av.VideoFormat(fmt).components)

    @property
    def rotation(self) -> int:
        """Display rotation (degrees counter-clockwise) from the first frame's side data."""
        if self._rotation is None:
            self.cursor.reset()  # _rotation moves the demuxer
            self._rotation = _rotation(self.cursor.stream, self.cursor.container)
        return self._rotation

    # --- addressing -----------------------------------------------------------------------
    def _check(self, n: int) -> int:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise SeekError(f"Frame numbers are integers. Received: frame={n!r}")
        if not 0 <= n < len(self.index):
            raise SeekError(
                f"Frame {n} is outside {self.path.name}, which has frames 0..{len(self.index) - 1}. "
                f"Received: frame={n}"
            )
        return int(n)

    def frame_at_time(self, seconds: Fraction | float) -> int:
        """Index of the frame shown at clip-local time ``seconds``."""
        t = Fraction(seconds) if not isinstance(seconds, Fraction) else seconds
        if t < 0 or t >= self.index.duration:
            raise SeekError(
                f"Time {float(t):.3f}s is outside {self.path.name} "
                f"(0 to {float(self.index.duration):.3f}s). Received: time={float(t)}"
            )
        return self.index.frame_at(t)

    # --- decoding -------------------------------------------------------------------------
    def _to_decoded(self, i: int, frame: av.VideoFrame, size: tuple[int, int] | None = None,
                    alpha: bool = False) -> DecodedFrame:
        # the index's pts, never the decoder's: in order, and reconstructed where the
        # container has none
        pts, t = self.index.pts[i], self.index.time_of(i)
        if alpha:
            rgba = self._converter.to_rgba(frame, size)
            return DecodedFrame(i, pts, t, np.ascontiguousarray(rgba[..., :3]),
                                np.ascontiguousarray(rgba[..., 3]))
        return DecodedFrame(i, pts, t, self._converter.to_rgb(frame, size))

    def read(self, n: int) -> np.ndarray:
        """Frame ``n`` as uint8 RGB (H, W, 3), exactly; sequential reads avoid re-seeking."""
        return self.read_frame(n).image

    def read_frame(self, n: int) -> DecodedFrame:
        """Frame ``n`` with its pts and time."""
        n = self._check(n)
        return self._to_decoded(n, self.cursor.read(n))

    def frames(self, start: int = 0, stop: int | None = None, *,
               size: tuple[int, int] | None = None, alpha: bool = False) -> Iterator[DecodedFrame]:
        """Frames ``start`` (inclusive) to ``stop`` (exclusive) in presentation order, optionally
        scaled to ``size`` = (width, height) in the same conversion pass; ``alpha``: with their
        alpha plane, where the stream has one."""
        stop = len(self.index) if stop is None else stop
        if stop <= start:
            return
        start = self._check(start)
        if stop > len(self.index):
            raise SeekError(
                f"Range end {stop} is past the last frame of {self.path.name} "
                f"({len(self.index) - 1}). Received: stop={stop}"
            )
        alpha = alpha and self.has_alpha
        yield self._to_decoded(start, self.cursor.read(start), size, alpha)
        for i, frame in self.cursor.onwards(stop):
            yield self._to_decoded(i, frame, size, alpha)

    def __iter__(self) -> Iterator[DecodedFrame]:
        return self.frames()


def decode_frames(
    container: av.container.InputContainer, stream: av.VideoStream, path: Path
) -> Iterator[av.VideoFrame]:
    """Decode ``stream`` from the container's current position; FFmpeg errors become
    ``CorruptMediaError`` naming ``path``."""
    try:
        for packet in container.demux(stream):
            yield from packet.decode()
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(
            f"Decoding {path} failed: {exc.strerror or exc}. Received: path={str(path)!r}"
        ) from exc


