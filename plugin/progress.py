"""A terminal progress bar for renders (frames, percent, fps and ETA) and one-line warnings, on
stderr."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, TextIO

import click
from stylecut.core import Progress

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar as ClickBar

__all__ = ["JsonProgress", "ProgressBar", "format_duration", "warn_stderr"]


def warn_stderr(text: str) -> None:
    """One ``stylecut: warning: …`` line on stderr (e.g. the ``warn`` of
    :func:`stylecut.models.list_styles`)."""
    print(f"stylecut: warning: {text}", file=sys.stderr, flush=True)


def format_duration(seconds: float | None) -> str:
    """``h:mm:ss`` / ``m:ss``; ``--:--`` when unknown."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "--:--"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    """A ``click.progressbar`` fed with the render's :class:`~stylecut.core.Progress` (count,
    percent, and its fps and ETA), redrawn at most 10×/s on a TTY; silent off a TTY or when
    quiet. Use as a context manager, so the line ends (and click shows the cursor again) however
    the render ends."""

    def __init__(self, label: str, *, stream: TextIO | None = None, quiet: bool = False,
                 width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._bar: ClickBar[Progress] | None = None
        self._last = 0.0
        self._ended = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def __call__(self, p: Progress) -> None:
        if not self.enabled or self._ended:
            return
        now = time.monotonic()
        if p.done < p.total and now - self._last < 0.1:
            return
        self._last = now
        if self._bar is None:
            self._bar = click.progressbar(
                length=max(p.total, 1), label=self.label, file=self.stream, width=self.width,
                show_pos=True, show_percent=True, show_eta=False, fill_char="#", empty_char="-",
                item_show_func=_speed)
        self._bar.update(p.done - self._bar.pos, p)
        if p.done >= p.total:
            self.finish()

    def finish(self) -> None:
        """End the line (idempotent)."""
        self._ended = True
        if self._bar is not None:
            self._bar.render_finish()
            self._bar = None


def _speed(p: Progress | None) -> str | None:
    return None if p is None else f"{p.fps:6.1f} fps  ETA {format_duration(p.eta)}"


class JsonProgress:
    """Machine-readable progress for front-ends (the Blender add-on): one JSON object per line,
    ``{"done": n, "total": t, "fps": f, "eta": s}``, at most 5 lines a second plus the last."""

    def __init__(self, *, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if p.done < p.total and now - self._last < 0.2:
            return
        self._last = now
        eta = p.eta
        line = {"done": p.done, "total": p.total, "fps": round(p.fps, 2),
                "eta": None if eta is None else round(eta, 2)}
        self.stream.write(json.dumps(line) + "\n")
        self.stream.flush()
