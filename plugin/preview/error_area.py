"""One non-modal, rate-limited error line in the main window (instead of a dialog per error).

A clip with undecodable frames reports an error for every bad frame while it plays; those
collapse into one line, "the latest error (+N more)", refreshed at most every half second,
that never takes the keyboard focus and is dismissed with its × button.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

__all__ = ["ErrorArea", "ErrorDigest"]


@dataclass
class ErrorDigest:
    """A burst of errors as one line: the latest text and how many others came with it.

    ``add(text, now)`` says whether the line should be redrawn now (at most once per
    ``interval`` seconds); otherwise the caller redraws when the interval is over."""

    interval: float = 0.5
    latest: str = ""
    count: int = 0
    shown_at: float | None = None

    def add(self, text: str, now: float) -> bool:
        self.latest = text
        self.count += 1
        return self.shown_at is None or now - self.shown_at >= self.interval

    def line(self, now: float) -> str:
        """The line to show (marks the time it was shown)."""
        self.shown_at = now
        more = self.count - 1
        return self.latest + (f"  (+{more} more error{'s' if more != 1 else ''})" if more else "")

    def clear(self) -> None:
        self.latest, self.count, self.shown_at = "", 0, None


class ErrorArea(QFrame):
    """The error line: hidden until an error arrives; × hides it and resets the count."""

    def __init__(self, parent: QWidget | None = None, *, interval: float = 0.5) -> None:
        super().__init__(parent)
        self.digest = ErrorDigest(interval)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setStyleSheet("ErrorArea { background: #5a1d1d; border-radius: 3px; }"
                           "QLabel { color: #ffdede; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 2, 2)
        self.label = QLabel("")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        self.close_button = QToolButton(self)
        self.close_button.setText("×")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._refresh)
        self.hide()

    @staticmethod
    def _now() -> float:
        return time.monotonic()

    def show_error(self, text: str) -> None:
        """Report ``text``; a burst is redrawn at most once per interval."""
        if self.digest.add(text, self._now()):
            self._refresh()
        elif not self._timer.isActive():
            self._timer.start(int(self.digest.interval * 1000))

    def text(self) -> str:
        return self.label.text()

    def _refresh(self) -> None:
        if self.digest.count:
            self.label.setText(self.digest.line(self._now()))
            self.show()

    def dismiss(self) -> None:
        self._timer.stop()
        self.digest.clear()
        self.label.setText("")
        self.hide()
