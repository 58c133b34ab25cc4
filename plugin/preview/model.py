"""``PreviewModel``: the data of the preview app (clip, settings, curve, playhead, frame).

Data only, in the manner of pyqtgraph's ``Parameter``: the model holds state and emits
signals; widgets bind to it and call its setters; the controller (``controller.py``) does the
work (decoding, stylizing, proxies, export) in background threads and writes results back here.
Nothing in this module decodes media or runs a model.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from stylecut.core.keyframes import Curve, Interp
from stylecut.core.media import FrameIndex, MediaInfo
from stylecut.core.temporal_mode import DEFAULT_TEMPORAL, TemporalMode
from stylecut.core.timecode import frame_to_timecode

from .curve_edit import CurveEdit
from .frames import ServedFrame
from .styles import StyleEntry

__all__ = ["ClipInfo", "PreviewModel", "SCALES", "sidecar_path"]

SCALES = {1: "Full", 2: "½", 4: "¼"}


def sidecar_path(clip: Path) -> Path:
    """Where the curve of ``clip`` is remembered: ``clip.mp4`` → ``clip.mp4.keyframes.json``."""
    return clip.with_name(clip.name + ".keyframes.json")


@dataclass(frozen=True)
class ClipInfo:
    """An opened clip: probe result, frame index, preview size (storage orientation)."""

    path: Path
    info: MediaInfo
    index: FrameIndex
    preview_size: tuple[int, int]

    @property
    def frame_count(self) -> int:
        return len(self.index)

    @property
    def fps(self) -> Fraction:
        return self.info.video.fps

    @property
    def rotation(self) -> int:
        return self.info.video.rotation

    @property
    def display_size(self) -> tuple[int, int]:
        """Preview (width, height) as displayed (after the rotation metadata)."""
        w, h = self.preview_size
        return (h, w) if self.rotation % 180 else (w, h)

    @property
    def times(self) -> np.ndarray:
        """Clip-local start time of every frame (float seconds)."""
        cached = self.__dict__.get("_times")
        if cached is None:
            # (pts - pts0) * num / den with one correctly rounded division: bit-identical to
            # float(index.time_of(i)), the time the render pipeline evaluates the curve at.
            pts = np.asarray(self.index.pts, dtype=np.int64)
            tb = self.index.time_base
            cached = ((pts - pts[0]) * tb.numerator).astype(np.float64) / float(tb.denominator)
            object.__setattr__(self, "_times", cached)
        return cached

    @property
    def duration(self) -> float:
        return float(self.index.duration)

    @property
    def last_time(self) -> float:
        return float(self.times[-1])

    def time_of(self, frame: int) -> float:
        return float(self.times[frame])

    def frame_at(self, seconds: float) -> int:
        """The frame nearest to clip-local ``seconds`` (clamped to the clip)."""
        times = self.times
        i = bisect.bisect_left(times, seconds)
        if i <= 0:
            return 0
        if i >= len(times):
            return len(times) - 1
        return i if times[i] - seconds < seconds - times[i - 1] else i - 1

    def snap(self, seconds: float) -> float:
        return self.time_of(self.frame_at(seconds))

    def timecode(self, frame: int) -> str:
        try:
            return frame_to_timecode(frame, self.fps)
        except Exception:  # noqa: BLE001 - odd rates: fall back to seconds
            return f"{self.time_of(frame):.3f}s"


class PreviewModel(QObject):
    """The preview's state. Signals (all emitted on the GUI thread):

    - ``clipChanged()``: a clip was opened (or closed); ``clip`` may be None.
    - ``playheadChanged(int)``: the frame under the playhead.
    - ``curveChanged()``: keys, selection or undo state changed.
    - ``settingsChanged(str)``: ``"style"``, ``"temporal"``, ``"scale"``, ``"split"``, ``"zoom"``,
      ``"marks"`` or ``"styles"`` (the list of styles).
    - ``frameChanged()``: ``frame`` (a :class:`ServedFrame`) was replaced.
    - ``proxyChanged()``: ``proxy_state`` / ``proxy_progress`` changed.
    - ``playChanged()``: ``play_rate`` changed (0 = paused).
    - ``message(str, str)``: (level, text) for the user; level is ``"info"``, ``"warning"`` or
      ``"error"``.
    - ``styleStateChanged()``: ``style_state`` changed (``"none"``, ``"loading"``, ``"ready"``,
      ``"error"``).
    """

    clipChanged = Signal()
    playheadChanged = Signal(int)
    curveChanged = Signal()
    settingsChanged = Signal(str)
    frameChanged = Signal()
    proxyChanged = Signal()
    playChanged = Signal()
    message = Signal(str, str)
    styleStateChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clip: ClipInfo | None = None
        self.playhead = 0
        self.edit = CurveEdit()
        self.curve_path: Path | None = None
        self.styles: list[StyleEntry] = []
        self.style: str | None = None
        self.style_state = "none"
        self.style_error: str | None = None
        self.temporal = DEFAULT_TEMPORAL
        self.scale = 1
        self.split: float | None = None
        self.zoom = "fit"
        self.in_mark: int | None = None
        self.out_mark: int | None = None
        self.frame: ServedFrame | None = None
        self.proxy_state = "none"  # none, building, ready, failed, off
        self.proxy_progress = 0.0
        self.play_rate = 0.0
        self.last_message: tuple[str, str] | None = None

    # --- clip -----------------------------------------------------------------------------
    def set_clip(self, clip: ClipInfo | None, curve: Curve | None = None,
                 curve_path: Path | None = None) -> None:
        self.clip = clip
        self.playhead = 0
        self.frame = None
        self.in_mark = self.out_mark = None
        self.play_rate = 0.0
        self.proxy_state, self.proxy_progress = "none", 0.0
        self.edit = CurveEdit(curve or Curve.constant(1.0))
        self.curve_path = curve_path
        if clip is not None:
            fps = float(clip.frame_count) / max(clip.duration, 1e-9)
            self.edit.duration = clip.last_time
            self.edit.snap = clip.snap
            self.edit.step = 1.0 / max(fps, 1e-3) * 0.999
        self.clipChanged.emit()
        self.curveChanged.emit()
        self.playheadChanged.emit(0)

    # --- playhead -------------------------------------------------------------------------
    def set_playhead(self, frame: int) -> None:
        if self.clip is None:
            return
        frame = max(0, min(int(frame), self.clip.frame_count - 1))
        if frame != self.playhead:
            self.playhead = frame
            self.playheadChanged.emit(frame)

    def scrub_to_time(self, seconds: float) -> None:
        if self.clip is not None:
            self.set_playhead(self.clip.frame_at(seconds))

    def step(self, frames: int) -> None:
        self.set_playhead(self.playhead + frames)

    @property
    def playhead_time(self) -> float:
        return self.clip.time_of(self.playhead) if self.clip is not None else 0.0

    @property
    def strength(self) -> float:
        """The strength at the playhead."""
        return float(self.curve.evaluate(self.playhead_time))

    # --- curve ----------------------------------------------------------------------------
    @property
    def curve(self) -> Curve:
        return self.edit.curve

    @property
    def selected_key(self) -> int | None:
        return self.edit.selected

    def _curve_edited(self, changed: bool = True) -> None:
        if changed:
            self.curveChanged.emit()

    def set_curve(self, curve: Curve, path: Path | None = None) -> None:
        self.edit.reset(curve)
        self.curve_path = path
        self.curveChanged.emit()

    def add_key(self, seconds: float, value: float) -> int:
        index = self.edit.add(seconds, value)
        self.curveChanged.emit()
        return index

    def begin_key_drag(self, index: int) -> None:
        self.edit.begin(index)
        self.curveChanged.emit()

    def move_key(self, index: int, seconds: float, value: float) -> None:
        before = self.edit.curve
        self.edit.move(index, seconds, value)
        self._curve_edited(self.edit.curve != before)

    def end_key_drag(self) -> None:
        self.edit.end()
        self.curveChanged.emit()

    def delete_key(self, index: int | None = None) -> bool:
        done = self.edit.delete(index)
        if done:
            self.curveChanged.emit()
        elif len(self.edit.curve.keys) <= 1:
            self.notify("info", "A curve keeps at least one key.")
        return done

    def set_key_interp(self, index: int, interp: Interp | str) -> None:
        self.edit.set_interp(index, interp)
        self.curveChanged.emit()

    def select_key(self, index: int | None) -> None:
        if index != self.edit.selected:
            self.edit.select(index)
            self.curveChanged.emit()

    def undo(self) -> None:
        if self.edit.undo():
            self.curveChanged.emit()

    def redo(self) -> None:
        if self.edit.redo():
            self.curveChanged.emit()

    # --- settings -------------------------------------------------------------------------
    def set_styles(self, styles: list[StyleEntry]) -> None:
        self.styles = list(styles)
        self.settingsChanged.emit("styles")

    def set_style(self, name: str | None) -> None:
        if name != self.style:
            self.style = name
            self.settingsChanged.emit("style")

    def set_style_state(self, state: str, error: str | None = None) -> None:
        self.style_state, self.style_error = state, error
        self.styleStateChanged.emit()

    def set_temporal(self, mode: TemporalMode | str) -> None:
        mode = TemporalMode.parse(mode, "mode")
        if mode != self.temporal:
            self.temporal = mode
            self.settingsChanged.emit("temporal")

    def set_scale(self, divisor: int) -> None:
        if divisor not in SCALES:
            raise ValueError(f"Preview scale must be one of {sorted(SCALES)}. Received: scale={divisor!r}")
        if divisor != self.scale:
            self.scale = divisor
            self.settingsChanged.emit("scale")

    def set_split(self, fraction: float | None) -> None:
        """A/B wipe: original left of ``fraction`` of the width, styled right; None = off."""
        if fraction is not None:
            fraction = min(max(float(fraction), 0.0), 1.0)
        if fraction != self.split:
            self.split = fraction
            self.settingsChanged.emit("split")

    def set_zoom(self, zoom: str) -> None:
        if zoom not in ("fit", "100"):
            raise ValueError(f"Zoom must be 'fit' or '100'. Received: zoom={zoom!r}")
        self.zoom = zoom
        self.settingsChanged.emit("zoom")  # emitted even when unchanged: "fit" again re-fits

    def set_marks(self, in_mark: int | None, out_mark: int | None) -> None:
        if in_mark is not None and out_mark is not None and out_mark < in_mark:
            in_mark, out_mark = out_mark, in_mark
        self.in_mark, self.out_mark = in_mark, out_mark
        self.settingsChanged.emit("marks")

    def mark_in(self) -> None:
        out = self.out_mark if self.out_mark is None or self.out_mark >= self.playhead else None
        self.set_marks(self.playhead, out)

    def mark_out(self) -> None:
        inn = self.in_mark if self.in_mark is None or self.in_mark <= self.playhead else None
        self.set_marks(inn, self.playhead)

    # --- results from the controller ------------------------------------------------------
    def set_frame(self, frame: ServedFrame) -> None:
        self.frame = frame
        self.frameChanged.emit()

    def set_proxy(self, state: str, progress: float | None = None) -> None:
        self.proxy_state = state
        if progress is not None:
            self.proxy_progress = progress
        self.proxyChanged.emit()

    def set_play_rate(self, rate: float) -> None:
        if rate != self.play_rate:
            self.play_rate = rate
            self.playChanged.emit()

    @property
    def playing(self) -> bool:
        return self.play_rate != 0

    def notify(self, level: str, text: str) -> None:
        self.last_message = (level, text)
        self.message.emit(level, text)
