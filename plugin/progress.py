"""A terminal progress bar for renders (frames, percent, fps and ETA) and one-line warnings, on
stderr."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from stylecut.core import Progress

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
    """Draws on a TTY (redrawn at most 10×/s); off a TTY or when quiet it stays silent."""

    def __init__(self, label: str, *, stream: TextIO | None = None, quiet: bool = False,
                 width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._last = 0.0

    def line(self, p: Progress) -> str:
        frac = p.done / p.total if p.total else 1.0
        filled = int(self.width * frac)
        bar = "#" * filled + "-" * (self.width - filled)
        return (f"{self.label} [{bar}] {p.done}/{p.total} {100 * frac:5.1f}% "
                f"{p.fps:6.1f} fps  ETA {format_duration(p.eta)}")

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if p.done < p.total and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write("\r" + self.line(p))
        if p.done >= p.total:
            self.stream.write("\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


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
