"""``PreviewController``: connects the model to the engine, all heavy work off the UI thread.

- opening a clip (probe + frame index) runs in a background call;
- the proxy is built by a background call (:func:`.proxy.build_proxy`), progress into the model;
- frames come from a :class:`.frames.FrameServer` (its own worker thread); results cross into
  the GUI thread by a queued signal and are written to the model;
- styles load (Keras import, weights) in a background call;
- playback is a ``QTimer`` that moves the playhead by the wall clock (frames the worker cannot
  keep up with are skipped, never queued);
- export runs :class:`.jobs.ExportJob`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from stylecut.core.errors import KeyframeError, RenderCancelled
from stylecut.core.keyframes import Curve
from stylecut.core.media import build_index, probe
from stylecut.core.stylizer import PassthroughStylizer, Stylizer

from .frames import FrameServer, ServedFrame
from .jobs import BackgroundCall, ExportJob, ExportRequest, describe_error, lower_thread_priority
from .model import ClipInfo, PreviewModel, sidecar_path
from .proxy import DEFAULT_PREVIEW_SIZE, build_proxy, find_proxy, fit_size
from .styles import StyleEntry, resolve_style

__all__ = ["PreviewController"]


class PreviewController(QObject):
    """Owns the workers; the model is the only thing widgets see."""

    served = Signal(object)  # ServedFrame, from any thread
    serverError = Signal(int, object)
    proxyProgress = Signal(float)
    clipOpened = Signal()  # a clip finished opening (or failed: model.clip is None)
    exportStarted = Signal(object)  # ExportJob

    def __init__(self, model: PreviewModel, *, preview_box: tuple[int, int] = DEFAULT_PREVIEW_SIZE,
                 proxy_dir: Path | None = None, use_proxy: bool = True, cache_bytes: int = 384 << 20,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.preview_box = preview_box
        self.proxy_dir = proxy_dir
        self.use_proxy = use_proxy
        self.cache_bytes = cache_bytes
        self.server: FrameServer | None = None
        self._stylizers: dict[str, Stylizer] = {}
        self._jobs: set[QObject] = set()
        self._proxy_cancel: threading.Event | None = None
        self._open_serial = 0
        self._shown_serial = 0
        self._style_serial = 0
        self.export_job: ExportJob | None = None
        # playback clock
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._play_origin: tuple[float, int] = (0.0, 0)
        self.displayed_times: list[float] = []
        self.served.connect(self._on_served, Qt.ConnectionType.AutoConnection)
        self.serverError.connect(self._on_server_error)
        self.proxyProgress.connect(lambda p: self.model.set_proxy("building", p))
        model.playheadChanged.connect(self._on_playhead)
        model.curveChanged.connect(self._on_curve)
        model.settingsChanged.connect(self._on_settings)

    # ------------------------------------------------------------------ jobs
    def _run(self, fn: Any, done: Any, failed: Any, name: str) -> BackgroundCall:
        job = BackgroundCall(fn, name=name)
        self._jobs.add(job)

        def finish(*_: Any) -> None:
            self._jobs.discard(job)

        job.done.connect(done)
        job.failed.connect(failed)
        job.done.connect(finish)
        job.failed.connect(finish)
        return job.start()

    # ------------------------------------------------------------------ styles
    def set_styles(self, entries: list[StyleEntry]) -> None:
        self.model.set_styles(entries)

    def choose_style(self, name: str | None) -> bool:
        """Select a style by name (or a card path); a message when it does not exist."""
        if name is None:
            self.model.set_style(None)
            return True
        try:
            entry = resolve_style(name, self.model.styles)
        except Exception as exc:  # noqa: BLE001 - StyleNotFoundError, ModelError
            self.model.notify("error", describe_error(exc))
            return False
        if entry not in self.model.styles:
            self.model.set_styles([*self.model.styles, entry])
        self.model.set_style(entry.name)
        return True

    def stylizer(self) -> Stylizer | None:
        return self._stylizers.get(self.model.style) if self.model.style else None

    def _load_style(self) -> None:
        name = self.model.style
        self._style_serial += 1
        serial = self._style_serial
        if name is None:
            self.model.set_style_state("none")
            self._apply_style()
            return
        if name in self._stylizers:
            self.model.set_style_state("ready")
            self._apply_style()
            return
        entry = next((e for e in self.model.styles if e.name == name), None)
        if entry is None:
            self.model.set_style_state("error", f"Style {name!r} is not available")
            self.model.notify("error", f"Style {name!r} is not available.")
            return
        self.model.set_style_state("loading")

        def done(stylizer: Any) -> None:
            self._stylizers[name] = stylizer
            if serial == self._style_serial:
                self.model.set_style_state("ready")
                self._apply_style()

        def failed(exc: Any) -> None:
            if serial == self._style_serial:
                text = f"Cannot load style {name!r}: {describe_error(exc)}"
                self.model.set_style_state("error", text)
                self.model.notify("error", text)
                self._apply_style()

        self._run(entry.load, done, failed, "stylecut-preview-style")

    def _apply_style(self) -> None:
        if self.server is not None:
            name = self.model.style if self.model.style in self._stylizers else None
            self.server.set_style(name, self._stylizers.get(name) if name else None)
            self.request()

    # ------------------------------------------------------------------ clips
    def open(self, path: str | Path, *, keyframes: Path | None = None) -> None:
        """Open ``path`` in the background; errors become a message, never an exception."""
        path = Path(path).expanduser()
        self._open_serial += 1
        serial = self._open_serial
        box = self.preview_box

        def work() -> tuple[ClipInfo, Curve | None, Path | None, str | None]:
            info = probe(path)
            index = build_index(path)
            size = fit_size(info.video.width, info.video.height, box)
            clip = ClipInfo(path, info, index, size)
            clip.times  # noqa: B018 - computed here, off the UI thread
            curve, curve_path, warning = None, None, None
            source = keyframes if keyframes is not None else sidecar_path(path)
            if keyframes is not None or source.is_file():
                try:
                    curve, curve_path = Curve.load(source), source
                except KeyframeError as exc:
                    warning = str(exc)
            return clip, curve, curve_path, warning

        def done(result: tuple[ClipInfo, Curve | None, Path | None, str | None]) -> None:
            if serial != self._open_serial:
                return
            clip, curve, curve_path, warning = result
            self._set_clip(clip, curve, curve_path)
            if warning:
                self.model.notify("warning", warning)
            self.clipOpened.emit()

        def failed(exc: Any) -> None:
            if serial != self._open_serial:
                return
            self.model.notify("error", f"Cannot open {path.name}: {describe_error(exc)}")
            self.clipOpened.emit()

        self._run(work, done, failed, "stylecut-preview-open")

    def _set_clip(self, clip: ClipInfo, curve: Curve | None, curve_path: Path | None) -> None:
        self._close_clip()
        self.model.set_clip(clip, curve, curve_path)
        self.server = FrameServer(
            clip.path, preview_size=clip.preview_size, index=clip.index, rotation=clip.rotation,
            deliver=self.served.emit, on_error=self.serverError.emit, cache_bytes=self.cache_bytes,
        )
        self.server.set_curve(self.model.curve)
        self.server.set_scale(self.model.scale)
        self.server.set_temporal(self.model.temporal)
        self._apply_style()
        if self.use_proxy:
            self._start_proxy(clip)
        else:
            self.model.set_proxy("off")
        self.request()

    def _start_proxy(self, clip: ClipInfo) -> None:
        found = find_proxy(clip.path, clip.preview_size, self.proxy_dir)
        if found is not None:
            assert self.server is not None
            self.server.set_proxy(found)
            self.model.set_proxy("ready", 1.0)
            return
        cancel = threading.Event()
        self._proxy_cancel = cancel
        self.model.set_proxy("building", 0.0)
        server = self.server

        def work() -> Path:
            lower_thread_priority(10)  # throughput work: scrubbing and the UI come first
            return build_proxy(clip.path, clip.preview_size, folder=self.proxy_dir, cancel=cancel,
                               progress=lambda done, total: self.proxyProgress.emit(done / max(total, 1)))

        def done(path: Path) -> None:
            if server is self.server and server is not None and not cancel.is_set():
                server.set_proxy(path)
                self.model.set_proxy("ready", 1.0)

        def failed(exc: Any) -> None:
            if isinstance(exc, RenderCancelled) or server is not self.server:
                return
            self.model.set_proxy("failed")
            self.model.notify("warning", f"No preview proxy (scrubbing uses the original): "
                                         f"{describe_error(exc)}")

        self._run(work, done, failed, "stylecut-preview-proxy")

    def _close_clip(self) -> None:
        self.stop()
        if self._proxy_cancel is not None:
            self._proxy_cancel.set()
            self._proxy_cancel = None
        if self.server is not None:
            self.server.close()
            self.server = None

    def close(self) -> None:
        """Stop every worker (proxy build, frame server, export)."""
        self._close_clip()
        if self.export_job is not None and self.export_job.running:
            self.export_job.cancel()
            self.export_job.join(10)
        for job in list(self._jobs):
            if isinstance(job, BackgroundCall):
                job.join(0.1)

    # ------------------------------------------------------------------ frames
    def request(self, *, playback: bool = False) -> None:
        if self.server is None or self.model.clip is None:
            return
        self.server.request(self.model.playhead, playback=playback)

    def _on_served(self, sf: ServedFrame) -> None:
        server = self.server
        if server is None:
            return
        latest = sf.serial == server.latest_serial
        if not latest and not (sf.playback and self.model.playing and sf.serial > self._shown_serial):
            return
        current = self.model.frame
        if not sf.exact and current is not None and current.serial == sf.serial and current.exact:
            return  # never replace the exact frame by a placeholder of the same request
        self._shown_serial = sf.serial
        if self.model.playing and sf.exact:
            self.displayed_times.append(time.perf_counter())
        self.model.set_frame(sf)

    def _on_server_error(self, frame: int, exc: object) -> None:
        self.model.notify("error", f"Frame {frame}: {describe_error(exc)}")  # type: ignore[arg-type]

    def _on_playhead(self, frame: int) -> None:
        self.request(playback=self.model.playing)

    def _on_curve(self) -> None:
        if self.server is None:
            return
        self.server.set_curve(self.model.curve)
        shown = self.model.frame
        if (shown is None or abs(shown.strength - self.model.strength) > 5e-4
                or shown.frame != self.model.playhead):
            self.request()

    def _on_settings(self, what: str) -> None:
        if what == "style":
            self._load_style()
        elif self.server is not None and what == "scale":
            self.server.set_scale(self.model.scale)
            self.request()
        elif self.server is not None and what == "temporal":
            self.server.set_temporal(self.model.temporal)
            self.request()

    # ------------------------------------------------------------------ playback
    def play(self, rate: float = 1.0) -> None:
        """Play at ``rate`` × the clip's rate (negative: backwards); 0 pauses."""
        clip = self.model.clip
        if clip is None or rate == 0:
            self.stop()
            return
        if rate > 0 and self.model.playhead >= clip.frame_count - 1:
            self.model.set_playhead(0)
        if rate < 0 and self.model.playhead <= 0:
            self.model.set_playhead(clip.frame_count - 1)
        self._play_origin = (time.perf_counter(), self.model.playhead)
        self.displayed_times = []
        self.model.set_play_rate(rate)
        period_ms = 1000.0 / (float(clip.fps) * abs(rate))
        self._timer.start(max(2, int(period_ms / 2)))

    def toggle_play(self) -> None:
        self.play(0 if self.model.playing else 1.0)

    def stop(self) -> None:
        self._timer.stop()
        if self.model.playing:
            self.model.set_play_rate(0)
            self.request()  # show the exact frame where playback stopped

    def shuttle(self, direction: int) -> None:
        """J/K/L: L plays forward (again: 2×, 4×), J backward likewise, K (0) pauses."""
        if direction == 0:
            self.stop()
            return
        rate = self.model.play_rate
        if rate * direction > 0:
            rate = direction * min(abs(rate) * 2, 8)
        else:
            rate = float(direction)
        self.play(rate)

    def _tick(self) -> None:
        clip = self.model.clip
        if clip is None:
            self.stop()
            return
        t0, f0 = self._play_origin
        elapsed = time.perf_counter() - t0
        rate = self.model.play_rate
        target = f0 + int(elapsed * float(clip.fps) * rate)
        last = clip.frame_count - 1
        if (rate > 0 and target >= last) or (rate < 0 and target <= 0):
            self.model.set_playhead(max(0, min(target, last)))
            self.stop()
            return
        self.model.set_playhead(target)

    @property
    def displayed_fps(self) -> float:
        """Exact frames shown per second during the current (or last) playback."""
        t = self.displayed_times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0

    # ------------------------------------------------------------------ keyframes files
    def save_curve(self, path: Path | None = None) -> bool:
        clip = self.model.clip
        target = path or self.model.curve_path or (sidecar_path(clip.path) if clip else None)
        if target is None:
            return False
        try:
            self.model.curve.save(target)
        except Exception as exc:  # noqa: BLE001
            self.model.notify("error", f"Cannot save keyframes: {describe_error(exc)}")
            return False
        self.model.curve_path = Path(target)
        self.model.edit.modified = False
        self.model.curveChanged.emit()
        self.model.notify("info", f"Saved keyframes to {target}")
        return True

    def load_curve(self, path: Path) -> bool:
        try:
            curve = Curve.load(path)
        except Exception as exc:  # noqa: BLE001
            self.model.notify("error", describe_error(exc))
            return False
        self.model.set_curve(curve, Path(path))
        return True

    # ------------------------------------------------------------------ export
    def export(self, output: Path, *, codec: str | None = None, crf: int | None = None,
               speed: str | None = None, use_marks: bool = False, audio: bool = True,
               overwrite: bool = False) -> ExportJob:
        """Start rendering the original with the current style, curve and temporal mode."""
        clip = self.model.clip
        if clip is None:
            raise RuntimeError("No clip is open")
        start = stop = None
        if use_marks:
            start = self.model.in_mark
            stop = None if self.model.out_mark is None else self.model.out_mark + 1
        stylizer = self.stylizer() or PassthroughStylizer()
        request = ExportRequest(
            source=clip.path, output=Path(output), stylizer=stylizer, curve=self.model.curve,
            codec=codec, crf=crf, speed=speed, start=start, stop=stop, temporal=self.model.temporal,
            audio=audio, overwrite=overwrite,
        )
        job = ExportJob(request, parent=self)
        job.start()
        self.export_job = job
        self.exportStarted.emit(job)
        return job
