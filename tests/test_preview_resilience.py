"""Issue 17 item 16 / 'What to build' 5: the preview reports errors in one non-modal,
rate-limited line (never a dialog per bad frame), names the Qt system libraries when its
platform plugin cannot load, and draws its pause icon instead of relying on a ⏸ glyph."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from stylecut.plugin.cli import cli
from stylecut.plugin.preview.qt_platform import platform_problem

LINUX_X11 = {"DISPLAY": ":0"}


def test_missing_xcb_libraries_are_named_with_their_packages():
    problem = platform_problem(LINUX_X11, loads=lambda lib: lib == "libxcb-cursor.so.0",
                               platform="linux")
    assert problem is not None and "\n" not in problem
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1 missing" in problem
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in problem
    assert platform_problem(LINUX_X11, loads=lambda lib: True, platform="linux") is None
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}, loads=lambda lib: False,
                            platform="linux") is None
    assert platform_problem({}, loads=lambda lib: False, platform="darwin") is None
    assert "DISPLAY is not set" in (platform_problem({}, loads=lambda lib: True,
                                                     platform="linux") or "")


def test_preview_command_prints_the_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from stylecut.plugin import preview_cmd
    from stylecut.plugin.preview import qt_platform

    monkeypatch.setattr(preview_cmd, "qt_available", lambda: True)
    monkeypatch.setattr(qt_platform, "_loads", lambda lib: False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr("sys.platform", "linux")
    result = CliRunner().invoke(cli, ["preview", str(tmp_path / "clip.mp4")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylecut: error: Qt's X11 platform plugin")
    assert "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in lines[0]


def test_error_digest_collapses_a_burst():
    pytest.importorskip("PySide6.QtWidgets")
    from stylecut.plugin.preview.error_area import ErrorDigest

    digest = ErrorDigest(interval=0.5)
    assert digest.add("Frame 1: bad", 10.0)
    assert digest.line(10.0) == "Frame 1: bad"
    assert not any(digest.add(f"Frame {n}: bad", 10.0 + n / 100) for n in range(2, 40))
    assert digest.add("Frame 40: bad", 10.6)
    assert digest.line(10.6) == "Frame 40: bad  (+39 more errors)"
    digest.clear()
    assert digest.add("again", 10.7) and digest.line(10.7) == "again"


def test_window_shows_errors_in_one_line_without_dialogs(qtbot):
    pytest.importorskip("pyqtgraph")
    from PySide6.QtWidgets import QApplication, QDialog
    from stylecut.plugin.preview.app import build_window

    window = build_window(None, styles=[])
    qtbot.addWidget(window)
    window.ask_to_save = False
    window.show()
    for n in range(109):  # a bad frame each, as a broken clip reports them while it plays
        window.model.notify("error", f"Frame {n}: Could not decode frame {n}")
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    area = window.error_area
    assert area.isVisible() and area.text().startswith("Frame 0")
    qtbot.waitUntil(lambda: "(+108 more errors)" in area.text(), timeout=3000)
    assert area.text().startswith("Frame 108")
    area.close_button.click()
    assert not area.isVisible()
    window.model.notify("error", "later")
    assert area.text() == "later"


def test_pause_icon_is_drawn(qtbot):
    pytest.importorskip("pyqtgraph")
    from PySide6.QtGui import QColor
    from stylecut.plugin.preview.panels import transport_icon

    for kind in ("play", "pause"):
        image = transport_icon(kind, QColor(0, 0, 0)).pixmap(16, 16).toImage()
        opaque = sum(image.pixelColor(x, y).alpha() > 128 for x in range(16) for y in range(16))
        assert opaque > 40, kind
    pause = transport_icon("pause", QColor(0, 0, 0)).pixmap(16, 16).toImage()
    assert pause.pixelColor(8, 8).alpha() < 50  # the gap between the bars
