"""The timeline under the viewer: a time ruler to scrub on and the strength-curve editor.

Both share one time axis (clip-local seconds, labelled in timecode). Mouse, in either:
click or drag scrubs; the wheel zooms time; the playhead line can be dragged too. In the curve:
double-click adds a key, dragging a key moves it (time and value, clamped to [0, 1], the clip
and its neighbours), a click selects it (Delete removes it), right-click on a key picks its
interpolation. Every edit goes through :class:`.model.PreviewModel`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor
from PySide6.QtWidgets import QMenu
from stylecut.core.keyframes import Interp

from .model import PreviewModel

__all__ = ["CurveViewBox", "ScrubViewBox", "TimelineWidget"]

_HIT_PX = 9
_SYMBOLS = {Interp.HOLD: "s", Interp.LINEAR: "o", Interp.EASE: "t1", Interp.BEZIER: "d"}
_KEY_BRUSH = pg.mkBrush(255, 190, 60)
_SELECTED_BRUSH = pg.mkBrush(255, 255, 255)
_CURVE_SAMPLES = 2000
_AXIS_WIDTH = 44


class TimecodeAxis(pg.AxisItem):
    """Seconds on the axis, labelled as the timecode of the frame at that time."""

    def __init__(self, model: PreviewModel, **kw: Any) -> None:
        super().__init__(**kw)
        self.model = model

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        clip = self.model.clip
        if clip is None:
            return [f"{v:g}" for v in values]
        return [clip.timecode(clip.frame_at(v)) if v >= 0 else "" for v in values]


class ScrubViewBox(pg.ViewBox):
    """Left click or drag scrubs the playhead; the wheel zooms time only."""

    def __init__(self, model: PreviewModel, **kw: Any) -> None:
        super().__init__(enableMenu=False, **kw)
        self.model = model
        self.setMouseEnabled(x=True, y=False)

    def _x(self, scene_pos: QPointF) -> float:
        return float(self.mapSceneToView(scene_pos).x())

    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802 - Qt naming
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.model.scrub_to_time(self._x(ev.scenePos()))
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.model.scrub_to_time(self._x(ev.scenePos()))
        else:
            super().mouseDragEvent(ev, axis)


class CurveViewBox(ScrubViewBox):
    """The curve editor's interaction (see the module doc)."""

    def __init__(self, model: PreviewModel, **kw: Any) -> None:
        super().__init__(model, **kw)
        self._dragging: int | None = None
        self.menu_for_key: QMenu | None = None

    # --- hit testing ----------------------------------------------------------------------
    def key_at(self, scene_pos: QPointF) -> int | None:
        """The key within a few pixels of ``scene_pos`` (the nearest), or None."""
        best = None
        for i, key in enumerate(self.model.curve.keys):
            p = self.mapViewToScene(QPointF(key.time, key.value))
            d = ((p.x() - scene_pos.x()) ** 2 + (p.y() - scene_pos.y()) ** 2) ** 0.5
            if d <= _HIT_PX and (best is None or d < best[0]):
                best = (d, i)
        return None if best is None else best[1]

    # --- mouse ----------------------------------------------------------------------------
    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802
        index = self.key_at(ev.scenePos())
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            if index is not None:
                self.model.select_key(index)
                self.show_key_menu(index, ev.screenPos())
            return
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseClickEvent(ev)
            return
        ev.accept()
        if ev.double():
            if index is None:
                p = self.mapSceneToView(ev.scenePos())
                self.model.add_key(p.x(), p.y())
            return
        if index is not None:
            self.model.select_key(index)
        else:
            self.model.select_key(None)
            self.model.scrub_to_time(self._x(ev.scenePos()))

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        if ev.isStart():
            self._dragging = self.key_at(ev.buttonDownScenePos())
            if self._dragging is not None:
                self.model.begin_key_drag(self._dragging)
        if self._dragging is not None:
            p = self.mapSceneToView(ev.scenePos())
            self.model.move_key(self._dragging, p.x(), p.y())
            if ev.isFinish():
                self._dragging = None
                self.model.end_key_drag()
        else:
            self.model.scrub_to_time(self._x(ev.scenePos()))

    def key_menu(self, index: int) -> QMenu:
        """The right-click menu of key ``index``: interpolation of the segment it starts, delete."""
        menu = QMenu()
        group = QActionGroup(menu)
        current = self.model.curve.keys[index].interp
        for interp in Interp:
            action = QAction(interp.value.capitalize(), menu, checkable=True)
            action.setChecked(interp is current)
            action.triggered.connect(lambda _=False, i=index, it=interp: self.model.set_key_interp(i, it))
            group.addAction(action)
            menu.addAction(action)
        menu.addSeparator()
        delete = QAction("Delete key", menu)
        delete.triggered.connect(lambda _=False, i=index: self.model.delete_key(i))
        delete.setEnabled(len(self.model.curve.keys) > 1)
        menu.addAction(delete)
        return menu

    def show_key_menu(self, index: int, screen_pos: Any) -> None:
        self.menu_for_key = self.key_menu(index)
        self.menu_for_key.popup(screen_pos.toPoint() if hasattr(screen_pos, "toPoint") else screen_pos)


class TimelineWidget(pg.GraphicsLayoutWidget):
    """Ruler (playhead, in/out, proxy progress) over the strength-curve editor."""

    def __init__(self, model: PreviewModel, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.model = model
        self.setBackground(QColor(32, 32, 32))
        self.ruler_vb = ScrubViewBox(model)
        self.curve_vb = CurveViewBox(model)
        self.ruler = self.addPlot(row=0, col=0, viewBox=self.ruler_vb,
                                  axisItems={"bottom": TimecodeAxis(model, orientation="bottom")})
        self.curve = self.addPlot(row=1, col=0, viewBox=self.curve_vb)
        self.ci.layout.setRowStretchFactor(0, 1)
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ruler.setMaximumHeight(58)
        self.ruler.hideButtons()
        self.curve.hideButtons()
        self.ruler.getAxis("left").setWidth(_AXIS_WIDTH)
        self.ruler.getAxis("left").setStyle(showValues=False)
        self.ruler.getAxis("left").setTicks([[]])
        self.ruler.setYRange(0, 1, padding=0)
        self.curve.getAxis("left").setWidth(_AXIS_WIDTH)
        self.curve.getAxis("left").setTicks([[(0, "0"), (0.5, ".5"), (1, "1")]])
        self.curve.setLabel("left", "strength")
        self.curve.getAxis("bottom").setStyle(showValues=False)
        self.curve.setYRange(-0.06, 1.06, padding=0)
        self.curve.showGrid(x=True, y=True, alpha=0.15)
        self.curve.setXLink(self.ruler)

        self.proxy_bar = pg.PlotDataItem([0, 0], [0.12, 0.12], pen=pg.mkPen((80, 150, 255), width=5))
        self.ruler.addItem(self.proxy_bar)
        self.proxy_label = pg.TextItem("", color=(150, 190, 255), anchor=(0, 0.5))
        self.ruler.addItem(self.proxy_label, ignoreBounds=True)
        self.marks = [pg.LinearRegionItem(movable=False, brush=pg.mkBrush(255, 255, 255, 28),
                                          pen=pg.mkPen((200, 200, 200, 120))) for _ in range(2)]
        self.ruler.addItem(self.marks[0], ignoreBounds=True)
        self.curve.addItem(self.marks[1], ignoreBounds=True)
        for region in self.marks:
            region.hide()
        self.curve_line = pg.PlotDataItem(pen=pg.mkPen((255, 190, 60), width=2))
        self.curve.addItem(self.curve_line)
        self.keys = pg.ScatterPlotItem(size=11, pen=pg.mkPen((40, 30, 10), width=1.5))
        self.keys.setZValue(5)
        self.curve.addItem(self.keys)
        pen = pg.mkPen((255, 70, 70), width=2)
        self.playheads = [pg.InfiniteLine(0, angle=90, movable=True, pen=pen,
                                          hoverPen=pg.mkPen((255, 140, 140), width=3)) for _ in range(2)]
        self.ruler.addItem(self.playheads[0], ignoreBounds=True)
        self.curve.addItem(self.playheads[1], ignoreBounds=True)
        for line in self.playheads:
            line.setZValue(20)
            line.sigDragged.connect(self._playhead_dragged)
        # In the curve, keys under the playhead must stay draggable: the line there only shows
        # the time (dragging empty space scrubs anyway).
        self.playheads[1].setMovable(False)
        self.playheads[1].setAcceptedMouseButtons(Qt.MouseButton.NoButton)

        model.clipChanged.connect(self._clip)
        model.playheadChanged.connect(self._playhead)
        model.curveChanged.connect(self._curve)
        model.settingsChanged.connect(self._settings)
        model.proxyChanged.connect(self._proxy)

    def _clip(self) -> None:
        clip = self.model.clip
        if clip is None:
            return
        end = clip.duration
        for vb in (self.ruler_vb, self.curve_vb):
            vb.setLimits(xMin=-0.02 * end, xMax=end * 1.02,
                         minXRange=min(end, 5 * (end / max(clip.frame_count, 1))))
        self.ruler.setXRange(0, end, padding=0.01)
        for line in self.playheads:
            line.setBounds((0, clip.last_time))
        self._curve()
        self._playhead(self.model.playhead)
        self._settings("marks")
        self._proxy()

    def _playhead_dragged(self, line: pg.InfiniteLine) -> None:
        self.model.scrub_to_time(float(line.value()))

    def _playhead(self, frame: int) -> None:
        clip = self.model.clip
        if clip is None:
            return
        t = clip.time_of(frame)
        for line in self.playheads:
            if abs(line.value() - t) > 1e-9:
                line.blockSignals(True)
                line.setValue(t)
                line.blockSignals(False)

    def _curve(self) -> None:
        clip = self.model.clip
        curve = self.model.curve
        if clip is None:
            return
        times = clip.times
        if len(times) > _CURVE_SAMPLES:
            times = np.union1d(np.linspace(0, clip.last_time, _CURVE_SAMPLES), [k.time for k in curve.keys])
        times = np.append(times, clip.duration)
        self.curve_line.setData(times, curve.evaluate(times))
        selected = self.model.selected_key
        spots = [
            {"pos": (k.time, k.value), "symbol": _SYMBOLS[k.interp],
             "brush": _SELECTED_BRUSH if i == selected else _KEY_BRUSH, "size": 13 if i == selected else 11}
            for i, k in enumerate(curve.keys)
        ]
        self.keys.setData(spots)

    def _settings(self, what: str) -> None:
        if what != "marks" or self.model.clip is None:
            return
        clip = self.model.clip
        a, b = self.model.in_mark, self.model.out_mark
        if a is None and b is None:
            for region in self.marks:
                region.hide()
            return
        start = clip.time_of(a) if a is not None else 0.0
        end = clip.time_of(b + 1) if b is not None and b + 1 < clip.frame_count else clip.duration
        for region in self.marks:
            region.setRegion((start, end))
            region.show()

    def _proxy(self) -> None:
        clip = self.model.clip
        if clip is None:
            return
        state, progress = self.model.proxy_state, self.model.proxy_progress
        visible = state == "building"
        self.proxy_bar.setVisible(visible)
        self.proxy_label.setVisible(visible)
        if visible:
            x = clip.duration * progress
            self.proxy_bar.setData([0, x], [0.12, 0.12])
            self.proxy_label.setText(f"proxy {progress * 100:.0f}%")
            self.proxy_label.setPos(x, 0.3)
