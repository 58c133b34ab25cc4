"""The main window: viewer + side panel, transport, timeline/curve editor, menus and keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .controller import PreviewController
from .error_area import ErrorArea
from .export_dialog import ExportDialog
from .model import PreviewModel, sidecar_path
from .panels import SidePanel, TransportBar
from .timeline import TimelineWidget
from .viewer import ViewerWidget

__all__ = ["MainWindow"]

KEYS_HELP = """<b>Keys</b><br>
Space play/pause · J / K / L shuttle back / pause / forward (again: faster)<br>
← / → step a frame · Home / End · I / O mark in / out · Alt+X clear marks<br>
W A/B wipe · F fit · 1 100 % · Delete remove the selected key<br>
Ctrl+Z / Ctrl+Shift+Z undo / redo · Ctrl+S save keyframes · Ctrl+E export<br><br>
<b>Curve</b>: double-click adds a key, drag moves it, right-click sets its interpolation
(hold / linear / ease / bezier). Click or drag the ruler to scrub."""


class MainWindow(QMainWindow):
    def __init__(self, model: PreviewModel, controller: PreviewController) -> None:
        super().__init__()
        self.model = model
        self.controller = controller
        self.setWindowTitle("stylecut preview")
        self.viewer = ViewerWidget(model)
        self.side = SidePanel(model, controller)
        self.transport = TransportBar(model, controller)
        self.timeline = TimelineWidget(model)
        self.export_dialog: ExportDialog | None = None
        self.error_area = ErrorArea()  # errors: one non-modal, rate-limited line, no dialogs
        self.ask_to_save = True  # closing with unsaved keyframes asks first (tests turn it off)

        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.viewer, 1)
        top_layout.addWidget(self.side)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(top, 1)
        upper_layout.addWidget(self.error_area)
        upper_layout.addWidget(self.transport)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.timeline)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([560, 220])
        self.setCentralWidget(splitter)

        self.status_text = QLabel("")
        self.proxy_bar = QProgressBar()
        self.proxy_bar.setMaximumWidth(180)
        self.proxy_bar.setRange(0, 100)
        self.proxy_bar.setFormat("proxy %p%")
        self.proxy_bar.hide()
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.proxy_bar)
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.timeout.connect(lambda: self.status_text.setText(""))

        self._build_actions()
        self.side.exportRequested.connect(self.show_export)
        model.message.connect(self._message)
        model.proxyChanged.connect(self._proxy)
        model.curveChanged.connect(self._title)
        model.clipChanged.connect(self._title)
        self.resize(1180, 820)

    # --- actions --------------------------------------------------------------------------
    def _action(self, menu: Any, text: str, keys: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        if keys:
            seqs = keys if isinstance(keys, list) else [keys]
            action.setShortcuts([QKeySequence(k) for k in seqs])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        m, c = self.model, self.controller
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&Open clip…", QKeySequence.StandardKey.Open, self.open_dialog)
        self._action(file, "&Load keyframes…", "Ctrl+L", self.load_keyframes_dialog)
        self._action(file, "&Save keyframes", QKeySequence.StandardKey.Save, lambda: c.save_curve())
        self._action(file, "Save keyframes &as…", "Ctrl+Shift+S", self.save_keyframes_dialog)
        file.addSeparator()
        self._action(file, "&Export…", "Ctrl+E", self.show_export)
        file.addSeparator()
        self._action(file, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", QKeySequence.StandardKey.Undo, m.undo)
        self.redo_action = self._action(edit, "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], m.redo)
        self._action(edit, "&Delete key", [Qt.Key.Key_Delete, Qt.Key.Key_Backspace], lambda: m.delete_key())
        view = bar.addMenu("&View")
        self._action(view, "A/B &wipe", "W", lambda: m.set_split(None if m.split is not None else 0.5))
        self._action(view, "&Fit", "F", lambda: m.set_zoom("fit"))
        self._action(view, "&100 %", "1", lambda: m.set_zoom("100"))
        for divisor, label in ((1, "Full"), (2, "½"), (4, "¼")):
            self._action(view, f"Resolution {label}", None, lambda _=False, d=divisor: m.set_scale(d))
        play = bar.addMenu("&Playback")
        self._action(play, "Play / pause", Qt.Key.Key_Space, c.toggle_play)
        self._action(play, "Shuttle backward", "J", lambda: c.shuttle(-1))
        self._action(play, "Pause", "K", lambda: c.shuttle(0))
        self._action(play, "Shuttle forward", "L", lambda: c.shuttle(1))
        self._action(play, "Previous frame", Qt.Key.Key_Left, lambda: self._stop_and_step(-1))
        self._action(play, "Next frame", Qt.Key.Key_Right, lambda: self._stop_and_step(1))
        self._action(play, "Go to start", Qt.Key.Key_Home, lambda: self._stop_and_seek(0))
        self._action(play, "Go to end", Qt.Key.Key_End, lambda: self._stop_and_seek(10**12))
        play.addSeparator()
        self._action(play, "Mark in", "I", m.mark_in)
        self._action(play, "Mark out", "O", m.mark_out)
        self._action(play, "Clear marks", "Alt+X", lambda: m.set_marks(None, None))
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keys", "F1", lambda: QMessageBox.information(self, "Keys", KEYS_HELP))

    def _stop_and_step(self, delta: int) -> None:
        """Stop playback, then move the playhead ``delta`` frames (the arrow keys)."""
        self.controller.stop()
        self.model.step(delta)

    def _stop_and_seek(self, frame: int) -> None:
        """Stop playback, then put the playhead on ``frame`` (Home / End; clamped by the model)."""
        self.controller.stop()
        self.model.set_playhead(frame)

    # --- dialogs --------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open clip", "", "Video (*.mp4 *.mov *.mkv *.webm *.avi *.m4v);;All files (*)")
        if path:
            self.controller.open(Path(path))

    def load_keyframes_dialog(self) -> None:
        start = str(self.model.curve_path or "")
        path, _ = QFileDialog.getOpenFileName(self, "Load keyframes", start, "Keyframes (*.json)")
        if path:
            self.controller.load_curve(Path(path))

    def save_keyframes_dialog(self) -> None:
        clip = self.model.clip
        start = str(self.model.curve_path or (sidecar_path(clip.path) if clip else ""))
        path, _ = QFileDialog.getSaveFileName(self, "Save keyframes", start, "Keyframes (*.json)")
        if path:
            self.controller.save_curve(Path(path))

    def show_export(self) -> ExportDialog | None:
        if self.model.clip is None:
            self.model.notify("warning", "Open a clip first.")
            return None
        if self.export_dialog is None:
            self.export_dialog = ExportDialog(self.model, self.controller, self)
        self.export_dialog.refresh()
        self.export_dialog.show()
        self.export_dialog.raise_()
        return self.export_dialog

    # --- bindings -------------------------------------------------------------------------
    def _message(self, level: str, text: str) -> None:
        self.status_text.setText(text)
        self._status_timer.start(10000)
        if level == "error":
            self.error_area.show_error(text)

    def _proxy(self) -> None:
        state = self.model.proxy_state
        self.proxy_bar.setVisible(state == "building")
        self.proxy_bar.setValue(int(self.model.proxy_progress * 100))

    def _title(self) -> None:
        clip = self.model.clip
        name = clip.path.name if clip is not None else "no clip"
        dirty = " *" if self.model.edit.modified else ""
        self.setWindowTitle(f"{name}{dirty} — stylecut preview")
        self.undo_action.setEnabled(self.model.edit.can_undo)
        self.redo_action.setEnabled(self.model.edit.can_redo)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt naming
        if self.ask_to_save and self.model.edit.modified and self.model.clip is not None:
            answer = QMessageBox.question(
                self, "Unsaved keyframes", "Save the strength curve next to the clip before closing?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save and not self.controller.save_curve():
                event.ignore()
                return
        self.controller.close()
        event.accept()
