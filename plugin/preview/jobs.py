"""Background jobs with Qt signals: running a callable in a Python thread, and the export job.

Signals emitted from the worker thread reach slots on the GUI thread through Qt's queued
connections, so the UI thread never waits for the work.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from stylecut.core.codecs import EncodeSettings
from stylecut.core.errors import RenderCancelled, StylecutError
from stylecut.core.keyframes import Curve
from stylecut.core.pipeline import Progress, RenderResult, RenderSettings, render
from stylecut.core.stylizer import Stylizer
from stylecut.core.temporal_mode import DEFAULT_TEMPORAL, TemporalMode

__all__ = ["BackgroundCall", "ExportJob", "ExportRequest", "describe_error", "lower_thread_priority"]


def lower_thread_priority(increment: int) -> None:
    """Raise the calling thread's nice value by ``increment`` (Linux: per thread; threads it starts
    afterwards, e.g. FFmpeg's decoder threads, inherit it), so background work yields the CPU to
    the UI thread and the frame server on a busy machine. A no-op where unsupported."""
    get_id = getattr(threading, "get_native_id", None)
    if get_id is None or not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return
    try:
        tid = get_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + increment))
    except OSError:
        pass


def describe_error(exc: BaseException) -> str:
    """One line for the user: stylecut errors speak for themselves, others get their type."""
    if isinstance(exc, StylecutError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class BackgroundCall(QObject):
    """Runs ``fn()`` in a daemon thread; emits ``done(result)`` or ``failed(exception)``."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[], Any], name: str = "stylecut-preview-job",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> BackgroundCall:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread
            self.failed.emit(exc)
            return
        self.done.emit(result)


@dataclass(frozen=True)
class ExportRequest:
    """What the export dialog asks for."""

    source: Path
    output: Path
    stylizer: Stylizer
    curve: Curve
    codec: str | None = None
    crf: int | None = None
    speed: str | None = None
    start: int | None = None
    stop: int | None = None
    temporal: TemporalMode = DEFAULT_TEMPORAL
    audio: bool = True
    overwrite: bool = False

    def settings(self) -> RenderSettings:
        return RenderSettings(
            encode=EncodeSettings(codec=self.codec, crf=self.crf, speed=self.speed),
            start=self.start, stop=self.stop, temporal=self.temporal, audio=self.audio,
            overwrite=self.overwrite,
        )


class ExportJob(QObject):
    """Renders with the engine's pipeline (``stylecut.core.render``) in a worker thread.

    Signals: ``progress(Progress)``, ``finished(RenderResult)``, ``failed(str)``,
    ``cancelled()``, ``note(str)``. ``cancel()`` stops the render; the pipeline's atomic output
    guarantees no partial file is left at the target.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    note = Signal(str)

    def __init__(self, request: ExportRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stylecut-preview-export", daemon=True)
        self.result: RenderResult | None = None
        self.error: str | None = None

    def start(self) -> None:
        self.request.settings()  # bad settings raise here, in the caller
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _progress(self, p: Progress) -> None:
        self.progress.emit(p)

    def _run(self) -> None:
        r = self.request
        lower_thread_priority(5)  # the UI stays responsive while the render uses the CPU
        try:
            self.result = render(r.source, r.output, r.stylizer, strength=r.curve, settings=r.settings(),
                                 progress=self._progress, cancel=self._cancel, on_note=self.note.emit)
        except RenderCancelled:
            self.cancelled.emit()
            return
        except BaseException as exc:  # noqa: BLE001 - reported in the dialog
            self.error = describe_error(exc)
            self.failed.emit(self.error)
            return
        self.finished.emit(self.result)
