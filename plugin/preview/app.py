"""Building and running the preview app (``stylecut preview``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph  # noqa: E402,F401 - binds pyqtgraph to PySide6 before the widgets import it
from PySide6.QtWidgets import QApplication  # noqa: E402

from .controller import PreviewController  # noqa: E402
from .model import PreviewModel  # noqa: E402
from .proxy import DEFAULT_PREVIEW_SIZE  # noqa: E402
from .styles import StyleEntry, installed_styles  # noqa: E402
from .window import MainWindow  # noqa: E402

__all__ = ["application", "build_window", "run_app"]


def application() -> QApplication:
    """The QApplication, created without the process's arguments (Qt would read the CLI's
    ``--style NAME`` as its own widget-style option)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "stylecut"])
        app.setApplicationName("stylecut preview")
    return app  # type: ignore[return-value]


def build_window(
    clip: str | os.PathLike[str] | None = None,
    *,
    style: str | None = None,
    keyframes: str | os.PathLike[str] | None = None,
    styles: Sequence[StyleEntry] | None = None,
    preview_box: tuple[int, int] = DEFAULT_PREVIEW_SIZE,
    proxy_dir: Path | None = None,
    use_proxy: bool = True,
) -> MainWindow:
    """The main window with its model and controller; opens ``clip`` in the background.

    ``styles`` defaults to the installed styles; ``style`` picks one by name or card path (the
    first installed style when omitted). A missing style or a bad clip shows a message.
    """
    application()
    # Worker threads run Python between their GIL-free FFmpeg/TensorFlow calls; a shorter switch
    # interval (default 5 ms) hands the GIL back to the UI thread sooner.
    sys.setswitchinterval(min(sys.getswitchinterval(), 0.002))
    model = PreviewModel()
    controller = PreviewController(model, preview_box=preview_box, proxy_dir=proxy_dir, use_proxy=use_proxy)
    window = MainWindow(model, controller)
    controller.setParent(window)
    entries = list(styles) if styles is not None else _installed(model)
    controller.set_styles(entries)
    if style is not None:
        controller.choose_style(style)
    elif entries:
        controller.choose_style(entries[0].name)
    else:
        model.set_style_state("none")
        model.notify("info", "No style is installed: showing the original (stylecut styles; "
                             "stylecut train).")
    if clip is not None:
        controller.open(Path(clip), keyframes=Path(keyframes) if keyframes is not None else None)
    return window


def _installed(model: PreviewModel) -> list[StyleEntry]:
    try:
        return installed_styles()
    except Exception as exc:  # noqa: BLE001 - a broken card must not stop the app
        model.notify("warning", f"Cannot list styles: {exc}")
        return []


def run_app(
    clip: str | os.PathLike[str] | None = None,
    *,
    style: str | None = None,
    keyframes: str | os.PathLike[str] | None = None,
    preview_box: tuple[int, int] = DEFAULT_PREVIEW_SIZE,
    use_proxy: bool = True,
    proxy_dir: Path | None = None,
) -> int:
    """Show the window and run the event loop; returns the exit status."""
    app = application()
    window = build_window(clip, style=style, keyframes=keyframes, preview_box=preview_box,
                          use_proxy=use_proxy, proxy_dir=proxy_dir)
    window.show()
    return int(app.exec())
