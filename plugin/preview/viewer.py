"""The viewer: the styled frame (aspect-correct), an A/B wipe against the original, fit/100 %.

Binds to :class:`.model.PreviewModel`; the only work it does per frame is ``setImage`` with
fixed levels (no decoding, no model calls). Scene coordinates are full-preview-resolution
pixels, so ½ and ¼ preview frames fill the same rectangle.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor, QFont

from .model import PreviewModel

__all__ = ["ViewerWidget"]


class ViewerWidget(pg.GraphicsLayoutWidget):
    """Shows ``model.frame``; ``displayed(ServedFrame, float)`` fires after each update with the
    ``time.perf_counter()`` at which the image was set."""

    displayed = Signal(object, float)

    def __init__(self, model: PreviewModel, parent: object = None) -> None:
        super().__init__(parent=parent)
        self.model = model
        self.setBackground(QColor(24, 24, 24))
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.vb = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.vb.setDefaultPadding(0.0)
        self.original_item = pg.ImageItem(axisOrder="row-major")
        self.styled_item = pg.ImageItem(axisOrder="row-major")
        self.original_item.setZValue(0)
        self.styled_item.setZValue(1)
        self.vb.addItem(self.original_item)
        self.vb.addItem(self.styled_item)
        self.divider = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen((255, 255, 255, 220), width=2),
                                       hoverPen=pg.mkPen((255, 200, 0), width=3))
        self.divider.setZValue(10)
        self.divider.hide()
        self.vb.addItem(self.divider, ignoreBounds=True)
        font = QFont()
        font.setPointSize(9)
        white, shade = (255, 255, 255), (0, 0, 0, 120)
        self.label_a = pg.TextItem("A  original", color=white, anchor=(1.05, 0), fill=shade)
        self.label_b = pg.TextItem("B  styled", color=white, anchor=(-0.05, 0), fill=shade)
        for label in (self.label_a, self.label_b):
            label.setFont(font)
            label.setZValue(11)
            label.hide()
            self.vb.addItem(label, ignoreBounds=True)
        self.status = pg.TextItem("", color=(255, 220, 120), anchor=(0, 1), fill=(0, 0, 0, 140))
        self.status.setZValue(12)
        self.status.hide()
        self.vb.addItem(self.status, ignoreBounds=True)
        self._size = (640, 360)
        self.divider.sigPositionChanged.connect(self._divider_moved)
        model.frameChanged.connect(self._show)
        model.settingsChanged.connect(self._settings)
        model.clipChanged.connect(self._clip)

    # --- binding --------------------------------------------------------------------------
    def _clip(self) -> None:
        clip = self.model.clip
        if clip is None:
            self.original_item.clear()
            self.styled_item.clear()
            return
        self._size = clip.display_size
        w, h = self._size
        self.divider.setBounds((0, w))
        self.vb.setLimits(xMin=-w, xMax=2 * w, yMin=-h, yMax=2 * h)
        self._fit()
        self._place_split()

    def _settings(self, what: str) -> None:
        if what == "split":
            self._place_split()
            self._show()
        elif what == "zoom":
            self._fit() if self.model.zoom == "fit" else self._one_to_one()

    def _divider_moved(self) -> None:
        if self.model.split is not None:
            self.model.set_split(self.divider.value() / max(self._size[0], 1))

    def _place_split(self) -> None:
        split = self.model.split
        w, h = self._size
        visible = split is not None
        for item in (self.divider, self.label_a, self.label_b):
            item.setVisible(visible)
        if visible:
            x = float(split) * w  # type: ignore[arg-type]
            if abs(self.divider.value() - x) > 0.25:
                self.divider.blockSignals(True)
                self.divider.setValue(x)
                self.divider.blockSignals(False)
            self.label_a.setPos(x, 4)
            self.label_b.setPos(x, 4)

    def _show(self) -> None:
        sf = self.model.frame
        if sf is None:
            return
        w, h = self._size
        styled, original = sf.styled, sf.original
        ih, iw = styled.shape[:2]
        split = self.model.split
        levels = (0, 255)
        if split is None:
            self.original_item.hide()
            self.styled_item.show()
            self.styled_item.setImage(styled, autoLevels=False, levels=levels)
            self.styled_item.setRect(QRectF(0, 0, w, h))
        else:
            xs = int(round(split * iw))
            sx = xs * w / iw
            for item, part, rect in (
                (self.original_item, original[:, :xs], QRectF(0, 0, sx, h)),
                (self.styled_item, styled[:, xs:], QRectF(sx, 0, w - sx, h)),
            ):
                if part.shape[1] == 0:
                    item.hide()
                    continue
                item.show()
                item.setImage(np.ascontiguousarray(part), autoLevels=False, levels=levels)
                item.setRect(rect)
        # Shown only for a placeholder: an empty TextItem still paints its filled box.
        self.status.setText("" if sf.exact else "…")
        self.status.setVisible(not sf.exact)
        self.status.setPos(4, h - 4)
        self.displayed.emit(sf, time.perf_counter())

    # --- zoom -----------------------------------------------------------------------------
    def _fit(self) -> None:
        w, h = self._size
        self.vb.setRange(QRectF(0, 0, w, h), padding=0.0)

    def _one_to_one(self) -> None:
        """One full-resolution preview pixel per screen pixel, centred on the current view."""
        width_px, height_px = self.vb.width(), self.vb.height()  # the view's size in screen pixels
        centre = self.vb.viewRect().center()
        self.vb.setRange(QRectF(centre.x() - width_px / 2, centre.y() - height_px / 2, width_px, height_px),
                         padding=0.0)
