"""The render pipeline: decoder thread -> bounded queue -> batched stylize -> bounded queue ->
encoder thread, with per-frame strength, progress, cancel and atomic output."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .codecs import EncodeSettings
from .errors import OutputWriteError, RenderCancelled, SeekError, StylecutError
from .keyframes import Curve
from .media import DecodedFrame, VideoReader
from .output import AtomicOutput, check_output_path
from .stylizer import Stylizer, check_stylized
from .temporal import DEFAULT_STABILISER, Motion, Stabiliser, StabiliserSettings
from .temporal_mode import DEFAULT_TEMPORAL, TemporalMode
from .writer import AudioPassthrough, VideoWriter

__all__ = ["Progress", "RenderResult", "RenderSettings", "render"]

_END = object()
# How long an interrupted render waits for a stylizer call to return before leaving it.
_STYLIZE_GRACE = 2.0
_POLL = 0.05


@dataclass(frozen=True, kw_only=True)
class RenderSettings:
    """What to render: frame range (``stop`` exclusive), encoding, batching, overwrite and the
    temporal mode (``stable`` by default, as in the CLI; a string is accepted) with the
    stabiliser's settings it uses."""

    encode: EncodeSettings = field(default_factory=EncodeSettings)
    start: int | None = None
    stop: int | None = None
    batch_size: int | None = None
    queue_size: int = 8
    overwrite: bool = False
    audio: bool = True
    size: tuple[int, int] | None = None
    temporal: TemporalMode = DEFAULT_TEMPORAL
    stabiliser: StabiliserSettings = DEFAULT_STABILISER

    def __post_init__(self) -> None:
        object.__setattr__(self, "temporal", TemporalMode.parse(self.temporal))
        if not isinstance(self.stabiliser, StabiliserSettings):
            raise ValueError("stabiliser must be a StabiliserSettings. "
                             f"Received: stabiliser={type(self.stabiliser).__name__}")
        if self.size is not None and (
            len(self.size) != 2 or not all(isinstance(v, int) and v > 0 for v in self.size)
        ):
            raise ValueError(f"size must be (width, height) in pixels. Received: size={self.size!r}")
        for name in ("start", "stop"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise SeekError(f"{name} must be a frame number >= 0. Received: {name}={value!r}")
        if self.start is not None and self.stop is not None and self.stop <= self.start:
            raise SeekError(
                f"The out-point must come after the in-point. Received: start={self.start}, stop={self.stop}"
            )
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1. Received: batch_size={self.batch_size}")
        if self.queue_size < 1:
            raise ValueError(f"queue_size must be >= 1. Received: queue_size={self.queue_size}")


@dataclass(frozen=True)
class Progress:
    """Frames written so far out of ``total``, with elapsed seconds."""

    done: int
    total: int
    elapsed: float

    @property
    def fps(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first frame)."""
        if self.done == 0 or self.elapsed <= 0:
            return None
        return (self.total - self.done) / self.fps


@dataclass(frozen=True)
class RenderResult:
    """What a finished render wrote."""

    output: Path
    frames: int
    stylized_frames: int
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def _as_curve(strength: Curve | float | int) -> Curve:
    if isinstance(strength, Curve):
        return strength
    return Curve.constant(float(strength))


class _Stop:
    """Shared stop flag plus the first error raised by any stage."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            if self.error is None:
                self.error = exc
        self.event.set()


def _put(q: queue.Queue[Any], item: Any, stop: _Stop) -> bool:
    while not stop.event.is_set():
        try:
            q.put(item, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue[Any], stop: _Stop) -> Any:
    while not stop.event.is_set():
        try:
            return q.get(timeout=_POLL)
        except queue.Empty:
            continue
    return _END


def _strength(frame: DecodedFrame, curve: Curve) -> np.float32:
    if curve.is_constant:
        return np.float32(curve.keys[0].value)
    return np.float32(np.asarray(curve.evaluate(np.array([float(frame.time)])))[0])


def _stylize_batch(
    batch: list[DecodedFrame], strengths: np.ndarray, stylizer: Stylizer
) -> tuple[list[np.ndarray], int]:
    """The frames of a batch stylized at their per-frame ``strengths`` (float32; frames at 0 are
    passed through), and how many went through the model."""
    images = [f.image for f in batch]
    active = np.flatnonzero(strengths > 0.0)
    if active.size:
        # one frame: a view, no copy (a 1080p frame is 6 MB)
        frames = images[active[0]][None] if active.size == 1 else np.stack([images[i] for i in active])
        out = check_stylized(stylizer.stylize(frames, strengths[active]), frames,
                             f"Stylizer {stylizer.name!r}")
        for j, i in enumerate(active):
            images[i] = out[j]
    return images, int(active.size)


def render(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    stylizer: Stylizer,
    *,
    strength: Curve | float = 1.0,
    settings: RenderSettings | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    on_note: Callable[[str], None] | None = None,
) -> RenderResult:
    """Render ``source`` through ``stylizer`` into ``output`` (atomically).

    Strength comes from ``strength`` (a curve in clip-local seconds, or a constant) per
    frame; frames with strength 0 skip the stylizer and are encoded bit-exactly as decoded.
    ``cancel`` (an Event) stops the render: ``RenderCancelled`` is raised and no file is left.
    Ctrl-C (KeyboardInterrupt) likewise removes the temp file and propagates.
    """
    settings = settings or RenderSettings()
    curve = _as_curve(strength)
    target = check_output_path(output, source=source, overwrite=settings.overwrite)
    settings.encode.preset_for(target)  # reject codec/container mismatches before any work
    reader = VideoReader(source)
    try:
        n_frames = len(reader)
        start = settings.start or 0
        stop = n_frames if settings.stop is None else settings.stop
        if start >= n_frames or stop > n_frames:
            raise SeekError(
                f"Range {start}..{stop} is outside {Path(source).name}, which has frames "
                f"0..{n_frames - 1}. Received: start={start}, stop={stop}"
            )
        job = _RenderJob(reader, target, stylizer, curve, settings, range(start, stop), on_note)
        return job.run(progress, cancel)
    finally:
        reader.close()


def _dropped_parts(reader: VideoReader, *, keep_alpha: bool) -> list[str]:
    """Notes for what of the source a render does not carry: an alpha channel the output's codec
    cannot hold (frames are rendered opaque) and video streams after the first."""
    notes = []
    if reader.has_alpha and not keep_alpha:
        fmt = reader.stream.codec_context.pix_fmt
        notes.append(f"the source's alpha channel ({fmt}) is not kept: frames are rendered opaque "
                     "(--codec prores4444 or ffv1 keep it)")
    container = reader.stream.container
    for other in container.streams.video:
        cover_art = int(getattr(other, "disposition", 0) or 0) & 0x400  # ATTACHED_PIC
        if other.index != reader.stream.index and not cover_art:
            cc = other.codec_context
            what = f"{cc.name} {cc.width}x{cc.height}" if cc is not None else "unknown codec"
            notes.append(f"video stream #{other.index} ({what}) is not rendered: only the first "
                         "video stream is")
    return notes


# Containers whose edit list lets audio start before the first video frame (negative pts).
_EDIT_LISTS = (".mp4", ".m4v", ".mov")


class _RenderJob:
    """One render, in named stages: the plan (frames, timing, audio range, stabiliser) here;
    :meth:`decode`, :meth:`stylize` and :meth:`encode`, each on its own thread and joined by two
    bounded queues; :meth:`run` opens the output and supervises them (progress, cancel, errors)."""

    def __init__(self, reader: VideoReader, target: Path, stylizer: Stylizer, curve: Curve,
                 settings: RenderSettings, frames: range,
                 on_note: Callable[[str], None] | None) -> None:
        self.reader, self.target, self.stylizer, self.curve = reader, target, stylizer, curve
        self.settings, self.start, self.stop = settings, frames.start, frames.stop
        self.total = len(frames)
        self.index = index = reader.index
        self.rate, self.out_tb, self.cfr = _output_timing(reader, avi=target.suffix.lower() == ".avi")
        # Both streams are rebased so that the first rendered frame is at 0: audio before it (an
        # in-point, or a source whose video starts after its audio) is dropped, and audio after
        # the last rendered frame too.
        stop = self.stop
        self.video_start = index.pts[self.start] * index.time_base
        self.video_end = (
            index.pts[stop] if stop < len(index) else index.pts[-1] + index.last_duration
        ) * index.time_base
        self.batch_size = settings.batch_size or max(1, int(getattr(stylizer, "preferred_batch", 1)))
        self.stabiliser = (
            Stabiliser(settings.stabiliser) if settings.temporal is TemporalMode.STABLE else None
        )
        # Stabilisation is recursive: start K frames early so an in-point render matches a full one.
        self.first = (
            max(0, self.start - self.stabiliser.warm_up_length) if self.stabiliser is not None
            else self.start
        )
        # the source's alpha goes through where the output's codec can hold it (prores4444, ffv1)
        preset = settings.encode.preset_for(target)
        self.keep_alpha = reader.has_alpha and settings.encode.alpha_pix_fmt(preset) is not None
        self.on_note = on_note
        self.notes: list[str] = []
        self.stop_flag = _Stop()
        self.q_in: queue.Queue[Any] = queue.Queue(maxsize=settings.queue_size)
        self.q_out: queue.Queue[Any] = queue.Queue(maxsize=settings.queue_size)
        self.written = self.stylized = 0
        self.finished = threading.Event()

    def note(self, text: str) -> None:
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)

    # --- the plan's audio and output ------------------------------------------------------------
    def open_audio(self) -> AudioPassthrough | None:
        """The source's audio over the rendered range, or None (no audio, or ``audio=False``)."""
        if not self.settings.audio:
            return None
        # From the start of a clip at 0, an AAC encoder's priming packet (pts < 0) stays where
        # the container has an edit list to hide it (MP4/MOV); Matroska has none and would
        # shift every stream by the priming instead, the first frame no longer at 0.
        keep_priming = (self.start == 0 and self.video_start <= 0
                        and self.target.suffix.lower() in _EDIT_LISTS)
        audio = AudioPassthrough(
            self.reader.path,
            start=None if keep_priming else self.video_start,
            end=self.video_end,
            shift=self.video_start,
        )
        if not audio.has_audio:
            audio.close()
            return None
        return audio

    def open_writer(self, temp: Path, audio: AudioPassthrough | None) -> VideoWriter:
        size = self.settings.size
        return VideoWriter(
            temp,
            width=size[0] if size else self.reader.width,
            height=size[1] if size else self.reader.height,
            rate=self.rate,
            time_base=self.out_tb,
            settings=self.settings.encode,
            colour=self.reader.colour,
            rotation=self.reader.rotation,
            audio=audio,
            format_hint=self.target.name,
            on_note=self.note,
            alpha=self.keep_alpha,
        )

    # --- the three stages (threads) -------------------------------------------------------------
    def decode(self) -> None:
        """Decode ``first..stop``, each frame with its strength and the stabiliser's motion."""
        stabiliser, stop_flag = self.stabiliser, self.stop_flag
        try:
            for frame in self.reader.frames(self.first, self.stop, size=self.settings.size,
                                            alpha=self.keep_alpha):
                strength = _strength(frame, self.curve)
                # The stabiliser's motion analysis needs input frames only: it runs here, ahead
                # of (and alongside) the model on the other thread.
                motion = (
                    stabiliser.analyse(frame.image, active=bool(strength > 0))
                    if stabiliser is not None
                    else None
                )
                if motion is not None and motion.source is not None:  # still areas held
                    frame = replace(frame, image=motion.source)
                if not _put(self.q_in, (frame, strength, motion), stop_flag):
                    return
            _put(self.q_in, _END, stop_flag)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            stop_flag.fail(exc)

    def stylize(self) -> None:
        """Stylise the decoded frames in batches of ``batch_size``."""
        stop_flag = self.stop_flag
        try:
            done = False
            while not done:
                items: list[tuple[DecodedFrame, np.float32, Motion | None]] = []
                while len(items) < self.batch_size:
                    item = _get(self.q_in, stop_flag)
                    if item is _END:
                        done = True
                        break
                    items.append(item)
                if items:
                    batch, strengths, motions = (list(column) for column in zip(*items, strict=True))
                    images, n = _stylize_batch(batch, np.array(strengths, np.float32), self.stylizer)
                    self.stylized += n
                    for item in zip(batch, images, strengths, motions, strict=True):
                        if not _put(self.q_out, item, stop_flag):
                            return
            _put(self.q_out, _END, stop_flag)
        except BaseException as exc:  # noqa: BLE001
            stop_flag.fail(exc)

    def encode(self, writer: VideoWriter) -> None:
        """Stabilise (``stable``) and write the frames from the in-point on, with their audio."""
        stop_flag, stabiliser, start = self.stop_flag, self.stabiliser, self.start
        try:
            while True:
                item = _get(self.q_out, stop_flag)
                if item is _END:
                    break
                frame, image, strength, motion = item
                if stabiliser is not None:
                    # here, not on the model's thread: it overlaps the next batch's inference
                    image = stabiliser.apply(motion, image, float(strength))
                if frame.index < start:
                    continue  # warm-up frame before the in-point: not written
                # CFR: timestamps from the output's own frame index and rate; VFR: the
                # source's, rebased to the first rendered frame.
                out_pts = frame.index - start if self.cfr else frame.pts - self.index.pts[start]
                writer.write(image, out_pts, frame.alpha)
                writer.write_audio_until(out_pts * self.out_tb)
                self.written += 1
            if not stop_flag.event.is_set():
                writer.close(flush=True)
                self.finished.set()
        except OSError as exc:  # disk full, quota, I/O error while writing the output
            stop_flag.fail(_write_error(exc, self.target, self.reader.path))
        except BaseException as exc:  # noqa: BLE001
            stop_flag.fail(exc)

    # --- supervision ----------------------------------------------------------------------------
    def run(self, progress: Callable[[Progress], None] | None,
            cancel: threading.Event | None) -> RenderResult:
        """Render into a temp file, renamed onto the target only when every frame is written."""
        audio = self.open_audio()
        for text in _dropped_parts(self.reader, keep_alpha=self.keep_alpha):
            self.note(text)
        t0 = time.perf_counter()
        with AtomicOutput(self.target, overwrite=self.settings.overwrite) as atomic:
            writer = self.open_writer(atomic.temp, audio)
            self._supervise(writer, progress, cancel, t0)
            if self.written != self.total:
                path = self.reader.path
                raise SeekError(
                    f"Decoded {self.written} of {self.total} frames from {path}; the file "
                    f"may be truncated. Received: path={str(path)!r}"
                )
            atomic.commit()
        elapsed = time.perf_counter() - t0
        if progress is not None:
            progress(Progress(self.total, self.total, elapsed))
        self.notes.extend(n for n in writer.notes if n not in self.notes)
        return RenderResult(self.target, self.total, self.stylized, elapsed, tuple(self.notes))

    def _supervise(self, writer: VideoWriter, progress: Callable[[Progress], None] | None,
                   cancel: threading.Event | None, t0: float) -> None:
        """Run the three stages until the encoder ends; report progress, relay cancel, re-raise."""
        stop_flag = self.stop_flag
        threads = [
            threading.Thread(target=self.decode, name="stylecut-decode", daemon=True),
            threading.Thread(target=self.stylize, name="stylecut-stylize", daemon=True),
            threading.Thread(target=self.encode, args=(writer,), name="stylecut-encode", daemon=True),
        ]
        unwinding = False
        try:
            for t in threads:
                t.start()
            last_report = -1
            while threads[-1].is_alive():
                threads[-1].join(timeout=0.1)
                if cancel is not None and cancel.is_set():
                    stop_flag.fail(RenderCancelled(f"Render of {self.target.name} was cancelled"))
                if progress is not None and self.written != last_report:
                    last_report = self.written
                    progress(Progress(last_report, self.total, time.perf_counter() - t0))
        except BaseException as exc:
            unwinding = True
            stop_flag.fail(exc)
            raise
        finally:
            for t in threads:
                # A stylizer call cannot be interrupted: on Ctrl-C or SIGTERM its thread (a
                # daemon that touches neither file) gets a grace period, not an unbounded wait.
                # The decoder and encoder threads stop at their next queue poll.
                t.join(timeout=_STYLIZE_GRACE if unwinding and t is threads[1] else None)
            if not self.finished.is_set():
                try:
                    writer.close(flush=False)
                except OSError as exc:  # e.g. the trailer on a full disk: the file is discarded
                    if stop_flag.error is None:
                        stop_flag.fail(_write_error(exc, self.target, self.reader.path))
        if stop_flag.error is not None:
            raise stop_flag.error


def _output_timing(reader: VideoReader, *, avi: bool = False) -> tuple[Fraction, Fraction, bool]:
    """The output's frame rate, the time base of the pts the pipeline writes, and whether those
    pts are the frame index (constant frame rate: ``1/rate``) rather than the source's pts.

    A source counts as constant-rate when its frames are evenly spaced (within the container's
    rounding, e.g. Matroska's milliseconds) at its declared rational rate. A variable-rate
    source written to AVI (one tick per frame, no timestamps) gets the rate of its fastest
    frame spacing, so that no frame has to be pushed later onto a coarser grid."""
    index = reader.index
    rate = reader.fps
    if len(index) < 2:
        return rate, 1 / rate, True
    spacing = (index.pts[-1] - index.pts[0]) * index.time_base / (len(index) - 1)
    if not index.is_vfr and abs(spacing * rate - 1) <= Fraction(1, 200):
        return rate, 1 / rate, True
    if avi:
        deltas = np.diff(np.asarray(index.pts, dtype=np.int64))
        finest = int(deltas[deltas > 0].min()) if (deltas > 0).any() else 1
        rate = _standard_rate(1 / (finest * index.time_base), Fraction(1, finest))
    return rate, index.time_base, False


def _standard_rate(rate: Fraction, rounding: Fraction) -> Fraction:
    """``rate``, or the integer or NTSC (N*1000/1001) rate it is within the timestamps'
    ``rounding`` (relative; at least 1%) of."""
    tolerance = max(Fraction(1, 100), rounding)
    nearest = round(rate)
    candidates = [Fraction(nearest), Fraction(nearest * 1000, 1001),
                  Fraction((nearest + 1) * 1000, 1001)]
    best = min(candidates, key=lambda c: abs(c - rate))
    return best if best > 0 and abs(best / rate - 1) <= tolerance else rate


def _write_error(exc: OSError, target: Path, source: Path) -> BaseException:
    """An OSError raised while writing ``target`` as a one-line ``OutputWriteError`` (errors of
    stylecut's own, and reads of ``source``, are left as they are)."""
    if isinstance(exc, StylecutError) or (
        exc.filename is not None
        and os.path.abspath(os.fsdecode(exc.filename)) == os.path.abspath(source)
    ):
        return exc
    reason = exc.strerror or str(exc) or type(exc).__name__
    code = f" (errno {exc.errno})" if exc.errno else ""
    error = OutputWriteError(
        f"Cannot write {target}: {reason}{code}; nothing was written. Received: output={str(target)!r}"
    )
    error.__cause__ = exc
    return error
