"""Writing rendered video (PyAV) with colour tags, rotation and audio passed through."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from .codecs import CodecPreset, EncodeSettings
from .colour import ColourTags, FrameConverter
from .errors import EncodeSettingsError, OutputDirError
from .media import open_input

__all__ = ["AudioPassthrough", "VideoWriter"]

# Transcoded audio is decoded from this long before the in-point (the decoder's warm-up).
_DECODER_WARM_UP = Fraction(1)
# Audio frames whose pts is this close to the end of the previous one continue it seamlessly.
_PTS_JITTER = Fraction(1, 50)
# Audio codecs each container family plays well with (stream copy); others are transcoded.
_COPY_OK = {
    ".mp4": {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"},
    ".m4v": {"aac", "mp3", "alac", "ac3", "eac3"},
    ".mov": {"aac", "mp3", "alac", "ac3", "eac3", "pcm_s16le", "pcm_s24le", "pcm_s16be",
             "pcm_s24be", "pcm_f32le"},
    ".webm": {"opus", "vorbis"},
    # AVI stores no pts: copied packets collide and an encoder's priming delay shifts the
    # video, so AVI audio is always written as PCM (no priming, sample-exact).
    ".avi": set(),
}
_SAMPLE_DTYPES = {"u8": np.uint8, "s16": np.int16, "s32": np.int32, "flt": np.float32,
                  "dbl": np.float64, "u8p": np.uint8, "s16p": np.int16, "s32p": np.int32,
                  "fltp": np.float32, "dblp": np.float64, "s64": np.int64, "s64p": np.int64}
_TRANSCODE_TO = {".webm": "libopus", ".avi": "pcm_s16le"}
_CODEC_LABEL = {"libopus": "Opus", "pcm_s16le": "PCM", "aac": "AAC"}
# The layout an encoder gets for a source whose channel order is unspecified (AVI and
# Matroska PCM, WAV without a channel mask): FFmpeg's usual layouts per channel count.
_DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1",
                    8: "7.1"}


def _encoder_rate(encoder: str, rate: int) -> int:
    """``rate`` if ``encoder`` supports it, else the nearest supported rate above (or the top)."""
    rates = av.Codec(encoder, "w").audio_rates
    if not rates or rate in rates:
        return rate
    above = [r for r in rates if r >= rate]
    return min(above) if above else max(rates)


def _has_encoder(name: str) -> bool:
    try:
        av.Codec(name, "w")
    except (av.error.FFmpegError, ValueError):
        return False
    return True


def _opens(encoder: str, rate: int, fmt: str, layout: str) -> bool:
    cc = av.CodecContext.create(encoder, "w")
    assert isinstance(cc, AudioCodecContext)
    try:
        cc.sample_rate, cc.format, cc.layout = rate, fmt, layout
        cc.time_base = Fraction(1, rate)
        cc.open()
    except (av.error.FFmpegError, ValueError):
        return False
    return True


def _encoder_layout(encoder: str, rate: int, fmt: str, source: av.AudioLayout | None,
                    channels: int) -> str:
    """A channel layout ``encoder`` opens with for a source with ``source`` layout: the source's
    own when its channel order is known, else the usual layout for its channel count, else
    stereo (downmixed by the resampler)."""
    candidates = []
    if source is not None and source.nb_channels and all(c.name != "NONE" for c in source.channels):
        candidates.append(source.name)
    channels = channels or (source.nb_channels if source is not None else 0) or 2
    if channels in _DEFAULT_LAYOUTS:
        candidates.append(_DEFAULT_LAYOUTS[channels])
    candidates += ["stereo", "mono"]
    for layout in dict.fromkeys(candidates):
        if _opens(encoder, rate, fmt, layout):
            return layout
    return "stereo"


def _needs_even(pix_fmt: str) -> tuple[bool, bool]:
    fmt = av.VideoFormat(pix_fmt, 16, 16)
    if fmt.is_rgb or len(fmt.components) < 2:
        return False, False
    chroma = fmt.components[1]
    return chroma.width != fmt.components[0].width, chroma.height != fmt.components[0].height


def _pad_even(rgb: np.ndarray, even_w: bool, even_h: bool) -> np.ndarray:
    h, w = rgb.shape[:2]
    pad_h = h % 2 if even_h else 0
    pad_w = w % 2 if even_w else 0
    if pad_h or pad_w:
        return np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return rgb


class AudioPassthrough:
    """Copies (or, when the container cannot hold it, transcodes) the audio of ``source``.

    Audio between ``start`` and ``end`` (seconds on the source's timeline; ``None`` = open)
    is written shifted by ``-shift`` seconds: copied audio is trimmed on packet boundaries
    (the first packet at or after ``start``), transcoded audio and PCM sample-exactly.
    Transcoding converts the source's sample format, rate and channel layout (also one without
    a channel order, as in AVI or Matroska PCM) to what the encoder takes. Call
    ``write_until(t)`` as video is written (keeps the file interleaved and memory flat) and
    ``finish()`` at the end.
    """

    def __init__(
        self,
        source: str | os.PathLike[str],
        *,
        start: Fraction | None = None,
        end: Fraction | None = None,
        shift: Fraction = Fraction(0),
    ) -> None:
        self.source = Path(source)
        self.start, self.end, self.shift = start, end, shift
        self._in = open_input(self.source)
        self.notes: list[str] = []
        self._pairs: list[tuple[av.AudioStream, av.AudioStream, bool]] = []
        self._packets: Iterator[av.Packet] | None = None
        self._pending: av.Packet | None = None
        self._out: av.container.OutputContainer | None = None
        self._resamplers: dict[int, av.AudioResampler] = {}
        self._next_time: dict[int, Fraction] = {}
        self._damaged: set[int] = set()
        # Called with notes that arise while writing (VideoWriter sets it to its on_note).
        self.on_note: Callable[[str], None] | None = None

    @property
    def has_audio(self) -> bool:
        return bool(self._in.streams.audio)

    def add_streams(self, out: av.container.OutputContainer, ext: str) -> None:
        """Create the output audio streams in ``out``."""
        self._out = out
        allowed = _COPY_OK.get(ext)
        for stream in self._in.streams.audio:
            if stream.codec_context is None:
                self.notes.append(f"audio stream {stream.index} has a codec FFmpeg does not know "
                                  "(a damaged header?); left out")
                continue
            name = stream.codec_context.name
            ok = name in out.supported_codecs and (allowed is None or name in allowed)
            if ok and not (name.startswith("pcm_") and _has_encoder(name)):
                copied = out.add_stream_from_template(stream)
                copied.time_base = stream.time_base  # keep packet timing exact (AVI rounds)
                self._pairs.append((stream, copied, True))
                continue
            # PCM that the container holds is re-encoded as itself (lossless), so that it is
            # trimmed to the sample like transcoded audio, not on packet boundaries.
            encoder = name if ok else _TRANSCODE_TO.get(ext, "aac")
            icc = stream.codec_context
            rate = _encoder_rate(encoder, int(icc.sample_rate or 48000))
            formats = av.Codec(encoder, "w").audio_formats
            assert formats, encoder  # an audio encoder lists its sample formats
            fmt = formats[0].name
            if ok and icc.layout is not None and icc.layout.nb_channels:
                layout = icc.layout.name  # PCM as it was, also without a channel order
            else:
                layout = _encoder_layout(encoder, rate, fmt, icc.layout, int(icc.channels or 0))
            o = out.add_stream(encoder, rate=rate, layout=layout, format=fmt)
            assert isinstance(o, AudioStream)
            o.time_base = Fraction(1, rate)
            # Decoded frames (any format, rate, or a layout without channel order) are
            # converted to what the encoder was opened with.
            self._resamplers[stream.index] = av.AudioResampler(format=fmt, layout=layout, rate=rate)
            self._pairs.append((stream, o, False))
            if not ok:
                self.notes.append(
                    f"audio stream {stream.index} ({name}) cannot be stream-copied into {ext}; "
                    f"transcoded to {_CODEC_LABEL[encoder]}"
                )
        if self._pairs:
            self._packets = _increasing_audio(self._in.demux([p[0] for p in self._pairs]))

    def _time(self, packet: av.Packet) -> Fraction | None:
        if packet.pts is None or packet.time_base is None:
            return None
        return packet.pts * Fraction(packet.time_base.numerator, packet.time_base.denominator)

    def _shift_ts(self, ts: int | None, tb: Fraction) -> int | None:
        if ts is None:
            return None
        return ts - round(self.shift / tb)

    def _emit(self, packet: av.Packet) -> None:
        assert self._out is not None
        if packet.size == 0:
            return
        t = self._time(packet)
        if t is None:
            return
        tb = Fraction(packet.time_base.numerator, packet.time_base.denominator)
        if self.end is not None and t >= self.end:
            return
        src = packet.stream
        for in_stream, out_stream, copy in self._pairs:
            if in_stream is not src:
                continue
            if copy:
                if self.start is not None and t < self.start:
                    return  # trims start on a packet boundary at or after the in-point
                packet.pts = self._shift_ts(packet.pts, tb)
                packet.dts = self._shift_ts(packet.dts, tb)
                packet.stream = out_stream
                self._out.mux(packet)
            else:
                if self.start is not None and t < self.start - _DECODER_WARM_UP:
                    return  # far before the in-point: not even needed to prime the decoder
                resampler = self._resamplers[in_stream.index]
                try:
                    decoded = in_stream.decode(packet)
                except av.error.FFmpegError:  # a damaged packet (InvalidData or other codes)
                    self._encode(out_stream, self._silence_for(packet, t, out_stream))
                    continue
                for frame in decoded:
                    self._encode(out_stream, resampler.resample(frame))

    def _silence_for(self, packet: av.Packet, t: Fraction,
                     out_stream: av.AudioStream) -> list[av.AudioFrame]:
        """Silence as long as a damaged packet (which the decoder refused), so that the audio
        after it stays in sync; noted once per stream."""
        cc = out_stream.codec_context
        rate = int(cc.sample_rate)
        tb = packet.time_base
        duration = Fraction(packet.duration or 0) * Fraction(tb.numerator, tb.denominator)
        samples = round(duration * rate) if duration > 0 else int(cc.frame_size or 1024)
        key = out_stream.index
        if key not in self._damaged:
            self._damaged.add(key)
            self._note(f"audio stream {packet.stream.index}: a damaged packet at "
                       f"{float(t):.3f} s (and any later ones) replaced by silence")
        fmt, layout = cc.format, cc.layout
        channels = layout.nb_channels
        shape = (channels, samples) if fmt.is_planar else (1, samples * channels)
        frame = av.AudioFrame.from_ndarray(np.zeros(shape, dtype=_SAMPLE_DTYPES[fmt.name]),
                                           format=fmt.name, layout=layout.name)
        frame.sample_rate = rate
        frame.pts = round(t * rate)
        frame.time_base = Fraction(1, rate)
        return [frame]

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)

    def _encode(self, out_stream: av.AudioStream, frames: list[av.AudioFrame]) -> None:
        assert self._out is not None
        for frame in frames:
            trimmed = self._trim(frame, out_stream)
            if trimmed is not None:
                for p in out_stream.encode(trimmed):
                    self._out.mux(p)

    def _trim(self, frame: av.AudioFrame, out_stream: av.AudioStream) -> av.AudioFrame | None:
        """The samples of a (resampled) frame inside [start, end), shifted by ``-shift``:
        sample-exact trimming for transcoded audio."""
        rate = frame.sample_rate
        key = out_stream.index
        expected = self._next_time.get(key)
        if frame.pts is not None and frame.time_base is not None:
            t0 = frame.pts * Fraction(frame.time_base.numerator, frame.time_base.denominator)
            if expected is not None and abs(t0 - expected) <= _PTS_JITTER:
                t0 = expected  # contiguous audio, pts rounded by the container (Matroska: ms)
        else:
            t0 = expected if expected is not None else self.start or Fraction(0)
        n = frame.samples
        self._next_time[key] = t0 + Fraction(n, rate)
        a = 0 if self.start is None else max(0, math.ceil((self.start - t0) * rate))
        b = n if self.end is None else min(n, math.ceil((self.end - t0) * rate))
        if b <= a:
            return None
        if (a, b) != (0, n):
            data: np.ndarray = frame.to_ndarray()
            step = 1 if frame.format.is_planar else len(frame.layout.channels)
            part = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data[:, a * step:b * step]),
                format=frame.format.name, layout=frame.layout.name,
            )
            part.sample_rate = rate
            frame = part
        frame.pts = round((t0 - self.shift) * rate) + a
        frame.time_base = Fraction(1, rate)
        return frame

    def write_until(self, seconds: Fraction) -> None:
        """Write the source audio whose (unshifted) time is before ``seconds + shift``."""
        if self._packets is None:
            return
        limit = seconds + self.shift
        while True:
            packet = self._pending if self._pending is not None else next(self._packets, None)
            self._pending = None
            if packet is None:
                self._packets = None
                return
            t = self._time(packet)
            if t is not None and t > limit:
                self._pending = packet
                return
            self._emit(packet)

    def finish(self) -> None:
        """Write the rest of the range and flush any audio encoders."""
        if self._packets is not None or self._pending is not None:
            while self._packets is not None or self._pending is not None:
                self.write_until(Fraction(10**9))
        if self._out is not None:
            for in_stream, out_stream, copy in self._pairs:
                if not copy:
                    self._encode(out_stream, self._resamplers[in_stream.index].resample(None))
                    for p in out_stream.encode(None):
                        self._out.mux(p)

    def close(self) -> None:
        self._in.close()


class VideoWriter:
    """Encodes RGB frames to ``path`` with a codec preset, colour tags, rotation and audio.

    ``time_base`` is the timestamp unit of the ``pts`` passed to ``write``; ``rate`` the
    nominal frame rate (exact: ``30000/1001``). AVI output is written on the ``1/rate`` grid
    whatever ``time_base`` is. Use as a context manager or call ``close()``; on an exception in
    the ``with`` block the file is closed without flushing (the caller deletes it).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        width: int,
        height: int,
        rate: Fraction,
        time_base: Fraction,
        settings: EncodeSettings | None = None,
        colour: ColourTags | None = None,
        rotation: int = 0,
        audio: AudioPassthrough | None = None,
        format_hint: str | None = None,
        on_note: Callable[[str], None] | None = None,
        alpha: bool = False,
    ) -> None:
        self.path = Path(path)
        settings = settings or EncodeSettings()
        colour = colour or ColourTags()
        ext = Path(format_hint or self.path.name).suffix.lower()
        self.preset: CodecPreset = settings.preset_for(Path(format_hint or self.path.name))
        self._ext = ext
        self.colour = colour.output_tags()
        self._converter = FrameConverter(self.colour)
        self.notes: list[str] = []
        try:
            self._out = av.open(str(self.path), mode="w", format=_format_for(ext))
        except (OSError, av.error.FFmpegError) as exc:
            raise OutputDirError(
                f"Cannot write {self.path}: {getattr(exc, 'strerror', None) or exc}. "
                f"Received: output={str(self.path)!r}"
            ) from exc
        try:
            self._setup_video(width, height, rate, time_base, settings, rotation, alpha)
            self._audio = audio
            if audio is not None:
                audio.add_streams(self._out, ext)
                self.notes.extend(audio.notes)
                audio.on_note = on_note
            for note in self.notes:
                if on_note is not None:
                    on_note(note)
        except BaseException:
            self._out.close()
            raise
        self._started = False

    def _setup_video(
        self, width: int, height: int, rate: Fraction, time_base: Fraction,
        settings: EncodeSettings, rotation: int, alpha: bool,
    ) -> None:
        preset = self.preset
        alpha_fmt = settings.alpha_pix_fmt(preset) if alpha else None
        self.alpha = alpha_fmt is not None
        pix_fmt = alpha_fmt or settings.pix_fmt or preset.pix_fmt
        even_w, even_h = _needs_even(pix_fmt)
        self._even = (even_w, even_h)
        out_w = width + (width % 2 if even_w else 0)
        out_h = height + (height % 2 if even_h else 0)
        if (out_w, out_h) != (width, height):
            self.notes.append(
                f"{pix_fmt} needs even dimensions: {width}x{height} padded to {out_w}x{out_h} "
                "(use --codec ffv1 or prores4444 to keep odd sizes)"
            )
        self._in_time_base = time_base
        rate = Fraction(rate) if rate and rate > 0 else Fraction(25)
        if self._ext == ".avi" or (preset.name == "mpeg4" and time_base.denominator > 65535):
            # AVI stores no timestamps, only a rate: one tick per frame at the exact rational
            # rate (30000/1001, not a 1/600 grid). MPEG-4 Part 2 limits the time base
            # denominator to 16 bits.
            time_base = 1 / rate if rate.numerator <= 65535 else Fraction(1, max(1, round(rate)))
        self._time_base = time_base
        self._last_pts: int | None = None
        try:
            stream = self._out.add_stream(
                preset.encoder, rate=rate, options=settings.encoder_options(preset)
            )
        except (av.error.FFmpegError, ValueError) as exc:
            raise EncodeSettingsError(
                f"Cannot use encoder {preset.encoder} for {self.path.name}: {exc}. "
                f"Received: codec={preset.name!r}"
            ) from exc
        assert isinstance(stream, VideoStream)  # the presets name video encoders
        stream.width, stream.height = out_w, out_h
        stream.pix_fmt = pix_fmt
        stream.time_base = time_base
        cc = stream.codec_context
        cc.time_base = time_base
        if settings.bitrate is not None:
            cc.bit_rate = settings.bitrate
        if preset.name == "mpeg4":
            cc.qscale = True
            crf = settings.crf if settings.crf is not None else preset.default_crf
            cc.global_quality = int(crf or 3) * 118  # FF_QP2LAMBDA
        if preset.name == "hevc" and self.path.suffix.lower() in (".mp4", ".mov", ".m4v"):
            cc.codec_tag = "hvc1"
        if not av.VideoFormat(pix_fmt).is_rgb:
            cc.colorspace = self.colour.matrix
            cc.color_range = self.colour.range
            cc.color_primaries = self.colour.primaries
            cc.color_trc = self.colour.trc
        if rotation:
            stream.set_display_rotation(rotation)
        try:
            cc.open()  # fail here, with a clear error, rather than at the first frame
        except av.error.FFmpegError as exc:
            raise EncodeSettingsError(
                f"Encoder {preset.encoder} rejected the settings for {width}x{height} {pix_fmt} "
                f"({exc.strerror or exc}). Received: codec={preset.name!r}"
            ) from exc
        self._stream = stream
        self._pix_fmt = pix_fmt

    @property
    def size(self) -> tuple[int, int]:
        """Encoded (width, height)."""
        return self._stream.width, self._stream.height

    def write(self, rgb: np.ndarray, pts: int, alpha: np.ndarray | None = None) -> None:
        """Encode one uint8 RGB frame at ``pts`` (in ``time_base`` units), with its uint8 alpha
        plane when the writer keeps alpha (:attr:`alpha`; opaque where none is given)."""
        if self._time_base != self._in_time_base:
            pts = round(pts * self._in_time_base / self._time_base)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # a coarser grid (VFR into AVI): never two on one tick
        self._last_pts = pts
        if self.alpha and alpha is None:
            alpha = np.full(rgb.shape[:2], 255, np.uint8)
        elif not self.alpha:
            alpha = None
        frame = self._converter.from_rgb(
            _pad_even(rgb, *self._even), self._pix_fmt,
            None if alpha is None else _pad_even(alpha[..., None], *self._even)[..., 0])
        frame.pts = pts
        frame.time_base = self._time_base
        for packet in self._stream.encode(frame):
            self._out.mux(packet)
        self._started = True

    def write_audio_until(self, seconds: Fraction) -> None:
        if self._audio is not None:
            self._audio.write_until(seconds)

    def close(self, *, flush: bool = True) -> None:
        """Flush the encoders (unless ``flush=False``) and close the file."""
        try:
            if flush:
                for packet in self._stream.encode(None):
                    self._out.mux(packet)
                if self._audio is not None:
                    self._audio.finish()
        finally:
            if self._audio is not None:
                self._audio.close()
            self._out.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.close(flush=exc_type is None)


def _increasing_audio(packets: Iterator[av.Packet]) -> Iterator[av.Packet]:
    """Audio packets with timestamps that only go forward: a packet whose pts repeats or goes
    back (AVI computes them from byte counts and may give runs of equal pts) is placed right
    after the previous one of its stream, never handed to a muxer as it was."""
    last: dict[int, tuple[int, int]] = {}
    for packet in packets:
        key = packet.stream.index
        if packet.pts is not None and key in last and packet.pts <= last[key][0]:
            packet.pts = packet.dts = last[key][0] + max(1, last[key][1])
        if packet.pts is not None:
            last[key] = (packet.pts, int(packet.duration or 0))
        yield packet


def _format_for(ext: str) -> str | None:
    return {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
            ".avi": "avi"}.get(ext)
