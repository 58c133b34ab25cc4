"""Small bound widgets: the transport bar with readouts and the side panel (style, temporal,
resolution, A/B, zoom). They read the model and call its setters (or the controller's
transport methods); they never touch media or models."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from stylecut.core.temporal_mode import TemporalMode

from .model import SCALES, PreviewModel
from .styles import THUMB_SIZE, thumbnail

__all__ = ["SidePanel", "TransportBar", "pixmap_from_rgb", "transport_icon"]


def pixmap_from_rgb(image: np.ndarray) -> QPixmap:
    """A QPixmap copy of a uint8 RGB array."""
    image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    qimage = QImage(image.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


def transport_icon(kind: str, colour: Any, size: int = 16) -> QIcon:
    """A drawn play (triangle) or pause (two bars) icon: no font needs the ⏸ glyph."""
    from PySide6.QtCore import QPointF, QRectF
    from PySide6.QtGui import QPolygonF

    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    m = size * 0.2
    if kind == "pause":
        bar = (size - 2 * m) * 0.36
        painter.drawRect(QRectF(m, m, bar, size - 2 * m))
        painter.drawRect(QRectF(size - m - bar, m, bar, size - 2 * m))
    else:
        painter.drawPolygon(QPolygonF([QPointF(m, m), QPointF(size - m, size / 2),
                                       QPointF(m, size - m)]))
    painter.end()
    return QIcon(pix)


def _placeholder(name: str) -> QPixmap:
    w, h = THUMB_SIZE
    pix = QPixmap(w, h)
    hue = (sum(map(ord, name)) * 37) % 360
    from PySide6.QtGui import QColor

    pix.fill(QColor.fromHsv(hue, 90, 110))
    painter = QPainter(pix)
    font = QFont()
    font.setPointSize(20)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, (name[:1] or "?").upper())
    painter.end()
    return pix


class TransportBar(QWidget):
    """Play controls and the timecode / frame / strength readouts."""

    def __init__(self, model: PreviewModel, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.controller = controller
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        self.buttons: dict[str, QToolButton] = {}
        for name, text, tip, slot in (
            ("start", "|◀◀", "Go to start (Home)", lambda: model.set_playhead(0)),
            ("back", "◀|", "Previous frame (←)", lambda: model.step(-1)),
            ("play", "▶", "Play / pause (Space; J K L shuttle)", controller.toggle_play),
            ("forward", "|▶", "Next frame (→)", lambda: model.step(1)),
            ("end", "▶▶|", "Go to end (End)", lambda: model.set_playhead(10**12)),
        ):
            button = QToolButton(self)
            button.setText(text)
            if name == "play":
                button.setIcon(self._icon("play"))
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            layout.addWidget(button)
            self.buttons[name] = button
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(11)
        self.timecode = QLabel("--:--:--:--")
        self.frame = QLabel("frame – / –")
        self.strength = QLabel("strength –")
        self.rate = QLabel("")
        for label in (self.timecode, self.frame, self.strength, self.rate):
            label.setFont(mono)
            layout.addSpacing(12)
            layout.addWidget(label)
        layout.addStretch(1)
        model.playheadChanged.connect(self._update)
        model.curveChanged.connect(self._update)
        model.clipChanged.connect(self._update)
        model.playChanged.connect(self._play)
        model.frameChanged.connect(self._frame)

    def _icon(self, kind: str) -> QIcon:
        return transport_icon(kind, self.palette().buttonText().color())

    def _update(self, *_: Any) -> None:
        clip = self.model.clip
        if clip is None:
            return
        n = self.model.playhead
        self.timecode.setText(clip.timecode(n))
        self.frame.setText(f"frame {n} / {clip.frame_count - 1}")
        self.strength.setText(f"strength {self.model.strength:.2f}")

    def _play(self) -> None:
        rate = self.model.play_rate
        kind = "pause" if rate else "play"
        self.buttons["play"].setIcon(self._icon(kind))
        self.buttons["play"].setProperty("kind", kind)
        self.rate.setText("" if rate == 0 else f"{rate:+g}×")

    def _frame(self) -> None:
        if self.model.playing:
            fps = self.controller.displayed_fps
            if fps:
                self.rate.setText(f"{self.model.play_rate:+g}×  {fps:4.1f} fps shown")


class SidePanel(QWidget):
    """Style picker with thumbnails, temporal toggle, preview resolution, A/B wipe, zoom, export."""

    exportRequested = Signal()

    def __init__(self, model: PreviewModel, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.controller = controller
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(230)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)

        style_box = QGroupBox("Style")
        style_layout = QVBoxLayout(style_box)
        self.style_combo = QComboBox()
        self.style_combo.setIconSize(QPixmap(*THUMB_SIZE).size() / 2)
        self.style_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.thumb = QLabel()
        self.thumb.setFixedSize(*THUMB_SIZE)
        self.thumb.setScaledContents(True)
        self.style_state = QLabel("")
        self.style_state.setWordWrap(True)
        style_layout.addWidget(self.style_combo)
        row = QHBoxLayout()
        row.addWidget(self.thumb)
        row.addWidget(self.style_state, 1)
        style_layout.addLayout(row)
        outer.addWidget(style_box)

        view_box = QGroupBox("Preview")
        form = QFormLayout(view_box)
        self.temporal = QCheckBox("Stable (in playback)")
        self.temporal.setToolTip("Temporal stabilisation as in the render, applied while playing; "
                                 "a paused or scrubbed frame shows the per-frame result.")
        self.temporal.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scale = QComboBox()
        for divisor, label in SCALES.items():
            self.scale.addItem(label, divisor)
        self.scale.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.split = QPushButton("A/B wipe")
        self.split.setCheckable(True)
        self.split.setToolTip("Original left of the divider, styled right (W)")
        zoom_row = QHBoxLayout()
        self.fit = QPushButton("Fit")
        self.one = QPushButton("100 %")
        zoom_row.addWidget(self.fit)
        zoom_row.addWidget(self.one)
        for button in (self.split, self.fit, self.one):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        form.addRow("Temporal", self.temporal)
        form.addRow("Resolution", self.scale)
        form.addRow(self.split)
        form.addRow("Zoom", zoom_row)
        outer.addWidget(view_box)

        self.export_button = QPushButton("Export…")
        self.export_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        outer.addWidget(self.export_button)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        outer.addWidget(self.info)
        outer.addStretch(1)

        self._icons: dict[str, QPixmap] = {}
        self.style_combo.activated.connect(self._style_chosen)
        self.temporal.toggled.connect(
            lambda on: model.set_temporal(TemporalMode.STABLE if on else TemporalMode.OFF))
        self.scale.activated.connect(lambda i: model.set_scale(int(self.scale.itemData(i))))
        self.split.toggled.connect(lambda on: model.set_split(0.5 if on else None))
        self.fit.clicked.connect(lambda: model.set_zoom("fit"))
        self.one.clicked.connect(lambda: model.set_zoom("100"))
        self.export_button.clicked.connect(self.exportRequested.emit)
        model.settingsChanged.connect(self._settings)
        model.styleStateChanged.connect(self._style_state)
        model.proxyChanged.connect(self._info)
        model.clipChanged.connect(self._info)
        self._populate()
        self._settings("temporal")

    def _pixmap(self, name: str, path: Any) -> QPixmap:
        if name not in self._icons:
            image = thumbnail(path)
            self._icons[name] = pixmap_from_rgb(image) if image is not None else _placeholder(name)
        return self._icons[name]

    def _populate(self) -> None:
        self.style_combo.blockSignals(True)
        self.style_combo.clear()
        self.style_combo.addItem("None (original)", None)
        for entry in self.model.styles:
            icon = QIcon(self._pixmap(entry.name, entry.thumbnail_path))
            label = entry.name + ("  (user)" if entry.user else "")
            self.style_combo.addItem(icon, label, entry.name)
            self.style_combo.setItemData(self.style_combo.count() - 1, entry.description or entry.name,
                                         Qt.ItemDataRole.ToolTipRole)
        self.style_combo.blockSignals(False)
        self._select_style()

    def _select_style(self) -> None:
        index = self.style_combo.findData(self.model.style) if self.model.style else 0
        self.style_combo.setCurrentIndex(max(index, 0))
        entry = next((e for e in self.model.styles if e.name == self.model.style), None)
        if entry is None:
            self.thumb.clear()
        else:
            self.thumb.setPixmap(self._pixmap(entry.name, entry.thumbnail_path))

    def _style_chosen(self, index: int) -> None:
        name = self.style_combo.itemData(index)
        self.model.set_style(name)

    def _settings(self, what: str) -> None:
        if what == "styles":
            self._populate()
        elif what == "style":
            self._select_style()
        elif what == "temporal":
            self.temporal.blockSignals(True)
            self.temporal.setChecked(self.model.temporal is TemporalMode.STABLE)
            self.temporal.blockSignals(False)
        elif what == "scale":
            self.scale.setCurrentIndex(self.scale.findData(self.model.scale))
        elif what == "split":
            self.split.blockSignals(True)
            self.split.setChecked(self.model.split is not None)
            self.split.setText("A/B wipe: on" if self.model.split is not None else "A/B wipe")
            self.split.blockSignals(False)

    def _style_state(self) -> None:
        state = self.model.style_state
        text = {"none": "No style: showing the original", "loading": "Loading style…",
                "ready": "Ready", "error": self.model.style_error or "Error"}.get(state, state)
        self.style_state.setText(text)
        self.style_state.setStyleSheet("color: #e66" if state == "error" else "")

    def _info(self) -> None:
        clip = self.model.clip
        if clip is None:
            self.info.setText("")
            return
        v = clip.info.video
        proxy = {"building": f"building {self.model.proxy_progress * 100:.0f}%", "ready": "ready",
                 "failed": "failed (using the original)", "off": "off", "none": "–"}[self.model.proxy_state]
        pw, ph = clip.preview_size
        self.info.setText(f"{clip.path.name}\n{v.width}×{v.height} {v.codec}, {float(v.fps):.3f} fps, "
                          f"{clip.frame_count} frames\npreview {pw}×{ph}, proxy {proxy}")
