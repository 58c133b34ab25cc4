"""The viewer paints the frame and nothing else (issue 17 item 16): no empty filled text box at
the frame's bottom-left, and every edge row and column of the shown frame is the frame's own
colour at several window sizes (no border of another colour along any edge)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage  # noqa: E402
from stylecut.core.testing import InvertStylizer, make_clip  # noqa: E402
from stylecut.plugin.preview.app import build_window  # noqa: E402
from stylecut.plugin.preview.styles import StyleEntry  # noqa: E402
from stylecut.plugin.preview.viewer import ViewerWidget  # noqa: E402

GREY = 200  # the clip's colour; styled (inverted) it shows as 55 on the 24-grey background
STYLES = [StyleEntry("invert", "inverts colours (test double)", lambda: InvertStylizer())]


def _grab(viewer: ViewerWidget) -> np.ndarray:
    image = viewer.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)


@pytest.fixture()
def viewer(qtbot, tmp_path: Path):
    clip = make_clip(tmp_path / "flat.mp4", frames=6, width=320, height=180, audio=False,
                     stamp=False, image_fn=lambda n, w, h: np.full((h, w, 3), GREY, np.uint8))
    window = build_window(clip, styles=STYLES, proxy_dir=tmp_path / "proxies")
    window.ask_to_save = False
    qtbot.addWidget(window)
    window.show()
    view = window.findChildren(ViewerWidget)[0]
    qtbot.waitUntil(lambda: view.model.frame is not None and view.model.frame.exact
                    and int(view.model.frame.styled[0, 0, 0]) == 255 - GREY, timeout=20000)
    yield view
    window.close()  # stops the frame server and the proxy builder


def test_the_status_mark_shows_only_on_placeholders(viewer: ViewerWidget, qtbot):
    frame = viewer.model.frame
    assert not viewer.status.isVisible()
    corner = _grab(viewer)
    inside = np.abs(corner.mean(axis=2) - (255 - GREY)) < 3
    ys, xs = np.nonzero(inside)
    bottom_left = corner[ys.max() - 20:ys.max() + 1, xs.min():xs.min() + 20].mean(axis=2)
    assert np.abs(bottom_left - (255 - GREY)).max() < 3  # no box painted over the frame
    viewer.model.set_frame(replace(frame, exact=False))
    assert viewer.status.isVisible() and viewer.status.textItem.toPlainText() == "…"
    viewer.model.set_frame(frame)
    assert not viewer.status.isVisible()


@pytest.mark.parametrize("size", [(900, 600), (1000, 640), (777, 555)])
def test_every_edge_of_the_shown_frame_is_the_frames_colour(viewer: ViewerWidget, qtbot,
                                                           size: tuple[int, int]):
    viewer.window().resize(*size)
    qtbot.wait(300)
    grey = _grab(viewer).mean(axis=2)
    inside = np.abs(grey - (255 - GREY)) < 3
    ys, xs = np.nonzero(inside)
    top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
    assert inside[top:bottom + 1, left:right + 1].all()  # a clean rectangle, edges included
    assert (bottom - top + 1) * 16 == pytest.approx((right - left + 1) * 9, abs=16 * 2)
    for edge in (grey[max(top - 1, 0)], grey[min(bottom + 1, len(grey) - 1)],
                 grey[:, max(left - 1, 0)], grey[:, min(right + 1, grey.shape[1] - 1)]):
        assert set(np.round(edge).astype(int)) <= {24, 255 - GREY}  # background or the frame
