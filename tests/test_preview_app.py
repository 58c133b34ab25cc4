"""The preview app under pytest-qt (offscreen): scrubbing, the curve editor, keyframe files,
export with progress and cancel, bad input."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from stylecut.core import Curve, Interp, probe  # noqa: E402
from stylecut.core.testing import FunctionStylizer, InvertStylizer, make_clip, read_frame_number  # noqa: E402
from stylecut.plugin.preview.app import build_window  # noqa: E402
from stylecut.plugin.preview.model import sidecar_path  # noqa: E402
from stylecut.plugin.preview.styles import StyleEntry  # noqa: E402
from stylecut.plugin.preview.window import MainWindow  # noqa: E402

FPS = 24
STYLES = [StyleEntry("invert", "inverts colours (test double)", lambda: InvertStylizer())]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """72 frames at 24 fps, 320x240, a keyframe every 36 frames, AAC tone."""
    return make_clip(tmp_path_factory.mktemp("app") / "numbered.mp4", frames=72, width=320, height=240,
                     fps=FPS, gop=36)


@pytest.fixture()
def open_window(qtbot, tmp_path: Path):
    windows: list[MainWindow] = []

    def make(path: Path | None, **kw: object) -> MainWindow:
        kw.setdefault("styles", STYLES)
        kw.setdefault("proxy_dir", tmp_path / "proxies")
        window = build_window(path, **kw)  # type: ignore[arg-type]
        window.ask_to_save = False  # no modal question when the test closes it
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        if path is not None:
            with qtbot.waitSignal(window.controller.clipOpened, timeout=10000):
                pass
        return window

    yield make
    for window in windows:
        window.close()


def wait_exact(qtbot, window: MainWindow, frame: int, timeout: int = 10000) -> None:
    """Wait until the viewer shows exactly ``frame`` for the latest request (the drag has rested)."""
    model = window.model
    server = window.controller.server
    qtbot.waitUntil(lambda: model.frame is not None and model.frame.exact and model.frame.frame == frame
                    and model.frame.target == frame and model.frame.serial == server.latest_serial,
                    timeout=timeout)


def drag(widget, points: list[QPoint]) -> None:
    """Press at the first point, move through the rest with the button held, release (pyqtgraph
    starts a drag once the pointer has moved a few pixels)."""
    viewport = widget.viewport()

    def send(kind: QEvent.Type, p: QPoint, buttons: Qt.MouseButton) -> None:
        pos = QPointF(p)
        event = QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(p)), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    send(QEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton)
    for p in points[1:]:
        time.sleep(0.012)  # pyqtgraph drops mouse moves closer together than 10 ms
        send(QEvent.Type.MouseMove, p, Qt.MouseButton.LeftButton)
        QApplication.processEvents()
    send(QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)


def double_click(widget, p: QPoint) -> None:
    """Press, release, double-click, release: what a real double-click sends (``QTest.mouseDClick``
    sends the double-click event alone, which pyqtgraph's scene does not turn into a click)."""
    viewport = widget.viewport()
    for kind, buttons in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                          (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
                          (QEvent.Type.MouseButtonDblClick, Qt.MouseButton.LeftButton),
                          (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        event = QMouseEvent(kind, QPointF(p), QPointF(viewport.mapToGlobal(p)), Qt.MouseButton.LeftButton,
                            buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)


def view_point(view_box, widget, x: float, y: float) -> QPoint:
    scene = view_box.mapViewToScene(QPointF(x, y))
    return widget.mapFromScene(scene)


def test_scrub_by_dragging_shows_exactly_the_frame_under_the_playhead(qtbot, open_window, clip: Path):
    window = open_window(clip)
    model = window.model
    wait_exact(qtbot, window, 0)
    timeline = window.timeline
    qtbot.waitUntil(lambda: timeline.ruler_vb.width() > 100)
    t = lambda n: n / FPS  # noqa: E731
    y = 0.5
    shown: list[int] = []
    window.viewer.displayed.connect(lambda sf, _t: shown.append(sf.frame))
    path = [view_point(timeline.ruler_vb, timeline, t(n), y) for n in (2, 9, 20, 31, 44, 57)]
    drag(timeline, path)
    target = model.playhead
    assert abs(target - 57) <= 1  # one screen pixel is about a frame here
    wait_exact(qtbot, window, target)
    served = model.frame
    assert read_frame_number(served.original) == target
    assert read_frame_number(255 - served.styled) == target  # the style (inversion) is applied
    assert window.transport.frame.text() == f"frame {target} / 71"
    # stepping and Home/End through the keys
    qtbot.keyClick(window, Qt.Key.Key_Right)
    wait_exact(qtbot, window, target + 1)
    assert read_frame_number(model.frame.original) == target + 1
    qtbot.keyClick(window, Qt.Key.Key_End)
    wait_exact(qtbot, window, 71)
    qtbot.keyClick(window, Qt.Key.Key_Home)
    wait_exact(qtbot, window, 0)
    # once the proxy is ready frames come from it, still exact
    qtbot.waitUntil(lambda: model.proxy_state == "ready", timeout=10000)
    for n in (33, 5, 64):
        model.set_playhead(n)
        wait_exact(qtbot, window, n)
        assert read_frame_number(model.frame.original) == n
    assert model.frame.source in ("proxy", "cache")
    # re-showing a cached frame is synchronous
    model.set_playhead(33)
    assert model.frame.frame == 33 and model.frame.source == "cache"


def test_curve_editor_keys_change_the_model_and_the_displayed_strength(qtbot, open_window, clip: Path):
    window = open_window(clip)
    model = window.model
    wait_exact(qtbot, window, 0)
    timeline = window.timeline
    vb = timeline.curve_vb
    qtbot.waitUntil(lambda: vb.width() > 100)
    # double-click adds a key (real mouse events)
    double_click(timeline, view_point(vb, timeline, 1.0, 0.25))
    keys = model.curve.keys
    assert len(keys) == 2
    assert keys[1].time == pytest.approx(1.0, abs=1.5 / FPS)
    assert keys[1].value == pytest.approx(0.25, abs=0.03)
    # the key snapped onto a frame; the preview at that frame shows its strength
    frame = round(keys[1].time * FPS)
    assert keys[1].time == pytest.approx(frame / FPS)
    model.set_playhead(frame)
    wait_exact(qtbot, window, frame)
    assert model.frame.strength == pytest.approx(keys[1].value, abs=1e-3)
    assert window.transport.strength.text() == f"strength {keys[1].value:.2f}"
    original = model.frame.original.astype(float)
    expected = original + (255 - 2 * original) * keys[1].value
    assert np.abs(model.frame.styled - expected).max() <= 1
    # drag the key (real mouse events): time and value move, clamped to [0, 1]
    start = view_point(vb, timeline, keys[1].time, keys[1].value)
    drag(timeline, [start, start + QPoint(3, 0), view_point(vb, timeline, 2.0, 0.6),
                    view_point(vb, timeline, 2.0, 1.6)])
    moved = model.curve.keys[1]
    assert moved.time == pytest.approx(2.0, abs=1.5 / FPS) and moved.value == 1.0
    # the displayed frame follows the edit live
    model.set_playhead(round(moved.time * FPS))
    wait_exact(qtbot, window, round(moved.time * FPS))
    assert model.frame.strength == 1.0
    # interpolation (the right-click menu's actions), delete, undo/redo
    menu = vb.key_menu(0)
    ease = next(a for a in menu.actions() if a.text() == "Ease")
    ease.trigger()
    assert model.curve.keys[0].interp is Interp.EASE
    model.select_key(1)
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert len(model.curve.keys) == 1
    wait_exact(qtbot, window, model.playhead)
    assert model.frame.strength == 1.0
    window.undo_action.trigger()
    assert len(model.curve.keys) == 2 and model.curve.keys[1] == moved
    window.undo_action.trigger()
    assert model.curve.keys[0].interp is Interp.LINEAR
    window.redo_action.trigger()
    assert model.curve.keys[0].interp is Interp.EASE


def test_keyframes_save_load_round_trip_and_the_sidecar_is_remembered(qtbot, open_window, clip: Path,
                                                                       tmp_path: Path):
    window = open_window(clip)
    model = window.model
    model.add_key(0.5, 0.0)
    model.add_key(2.0, 0.8)
    model.set_key_interp(1, "bezier")
    curve = model.curve
    path = tmp_path / "curve.json"
    assert window.controller.save_curve(path)
    assert Curve.load(path) == curve and not model.edit.modified
    # the CLI's reader accepts it
    from stylecut.core.keyframes import Curve as CliCurve

    assert CliCurve.from_json(path.read_text()) == curve
    # load into a fresh window
    other = open_window(clip, keyframes=path)
    assert other.model.curve == curve
    # the sidecar next to the clip is loaded when the clip is opened again
    sidecar = sidecar_path(clip)
    try:
        assert window.controller.save_curve(sidecar)
        again = open_window(clip)
        assert again.model.curve == curve and again.model.curve_path == sidecar
    finally:
        sidecar.unlink(missing_ok=True)
    # a bad keyframes file is a message, not a crash
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert not window.controller.load_curve(bad)
    assert model.last_message[0] == "error" and "not valid JSON" in model.last_message[1]


def test_export_dialog_renders_with_audio_and_the_right_frame_count(qtbot, open_window, clip: Path,
                                                                    tmp_path: Path):
    window = open_window(clip)
    model = window.model
    qtbot.waitUntil(lambda: model.style_state == "ready")
    model.set_playhead(10)
    model.mark_in()
    model.set_playhead(33)
    model.mark_out()
    dialog = window.show_export()
    out = tmp_path / "styled.mp4"
    dialog.output.setText(str(out))
    dialog.codec.setCurrentIndex(dialog.codec.findData("h264"))
    dialog.speed.setCurrentText("ultrafast")
    assert dialog.marked.isChecked()
    progress: list[int] = []
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    job = dialog.job
    job.progress.connect(lambda p: progress.append(p.done))
    with qtbot.waitSignal(job.finished, timeout=30000):
        pass
    info = probe(out)
    assert info.video.frame_count == 24  # frames 10..33 inclusive
    assert len(info.audio) == 1
    assert "Wrote" in dialog.status.text() and dialog.progress.value() == 1000
    # whole clip
    dialog.whole.setChecked(True)
    dialog.output.setText(str(tmp_path / "whole.mkv"))
    dialog.codec.setCurrentIndex(dialog.codec.findData("ffv1"))
    job = dialog.start()
    with qtbot.waitSignal(job.finished, timeout=30000):
        pass
    whole = probe(tmp_path / "whole.mkv")
    assert whole.video.frame_count == 72 and len(whole.audio) == 1


def test_export_cancel_leaves_no_file_and_the_ui_stays_responsive(qtbot, open_window, tmp_path: Path):
    long_clip = make_clip(tmp_path / "long.mp4", frames=240, width=160, height=120, fps=FPS, gop=48)

    def slow(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        time.sleep(0.02)
        return 255 - frames

    styles = [StyleEntry("slow", "slow test double", lambda: FunctionStylizer(slow, name="slow"))]
    window = open_window(long_clip, styles=styles)
    model = window.model
    qtbot.waitUntil(lambda: model.style_state == "ready")
    dialog = window.show_export()
    out = tmp_path / "cancelled.mp4"
    dialog.output.setText(str(out))
    job = dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=20000)
    # the UI keeps working while the export runs
    model.set_playhead(100)
    wait_exact(qtbot, window, 100)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(job.cancelled, timeout=20000):
        pass
    job.join(10)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cancelled")]
    assert "no file was written" in dialog.status.text()


@pytest.mark.parametrize("kind", ["not-media", "truncated", "missing"])
def test_bad_input_shows_a_message(qtbot, open_window, clip: Path, tmp_path: Path, kind: str):
    path = tmp_path / "bad.mp4"
    if kind == "not-media":
        path.write_bytes(b"this is not a video at all\n" * 100)
    elif kind == "truncated":
        path.write_bytes(clip.read_bytes()[:3000])
    window = open_window(path)
    model = window.model
    assert model.clip is None
    level, text = model.last_message
    assert level == "error" and "bad.mp4" in text
    assert window.error_area.isVisible() and text in window.error_area.text()


def test_missing_style_shows_a_message_and_previews_the_original(qtbot, open_window, clip: Path):
    window = open_window(clip, style="no-such-style")
    model = window.model
    wait_exact(qtbot, window, 0)
    assert model.style is None
    assert any("Unknown style" in t for t in [window.status_text.text(), window.error_area.text()])
    assert np.array_equal(model.frame.original, model.frame.styled)


def test_ab_wipe_playback_and_resolution(qtbot, open_window, clip: Path):
    window = open_window(clip)
    model = window.model
    wait_exact(qtbot, window, 0)
    qtbot.keyClick(window, Qt.Key.Key_W)
    assert model.split == 0.5
    viewer = window.viewer
    assert viewer.original_item.image.shape[1] == 160 and viewer.styled_item.image.shape[1] == 160
    assert viewer.divider.isVisible()
    model.set_split(0.25)
    assert viewer.original_item.image.shape[1] == 80
    model.set_scale(2)
    wait_exact(qtbot, window, 0)
    assert model.frame.scale == 2
    assert model.frame.original.shape == (120, 160, 3)
    # playback: L plays, K pauses; frames are shown while playing
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert model.play_rate == 1.0
    qtbot.waitUntil(lambda: model.playhead > 12, timeout=5000)
    assert len(window.controller.displayed_times) >= 3  # exact frames were shown while playing
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert model.play_rate == 2.0
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert model.play_rate == 0
    stopped = model.playhead
    wait_exact(qtbot, window, stopped)
    qtbot.keyClick(window, Qt.Key.Key_J)
    assert model.play_rate == -1.0
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert model.play_rate == 0


def test_screenshot_example_runs(tmp_path: Path):
    """examples/preview_screenshot.py (how docs/preview.png is made) runs offscreen."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "examples" / "preview_screenshot.py"
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "STYLECUT_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, str(script), "--style", "none", "-o", str(out), "--timeout", "60"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.stat().st_size > 10_000
