"""The export dialog: codec preset, quality, range, output path; progress with fps/ETA; Cancel.

Non-modal: the render runs in an :class:`.jobs.ExportJob` (the engine's pipeline, from the
original file) and the rest of the app stays usable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from stylecut.core.codecs import CODEC_PRESETS, EncodeSettings
from stylecut.core.output import check_output_path
from stylecut.core.pipeline import Progress, RenderResult

from ..progress import format_duration
from .jobs import ExportJob, describe_error
from .model import PreviewModel

__all__ = ["ExportDialog", "default_output"]


def default_output(clip: Path, style: str | None) -> Path:
    """``clip.<style>.mp4`` beside the clip, numbered when it exists."""
    stem = f"{clip.stem}.{style or 'original'}"
    candidate = clip.with_name(f"{stem}.mp4")
    n = 2
    while candidate.exists():
        candidate = clip.with_name(f"{stem}-{n}.mp4")
        n += 1
    return candidate


class ExportDialog(QDialog):
    """Bound to the model (range, style) and the controller (``export``)."""

    def __init__(self, model: PreviewModel, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.controller = controller
        self.job: ExportJob | None = None
        self.setWindowTitle("Export styled clip")
        self.setModal(False)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        path_row = QHBoxLayout()
        self.output = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row.addWidget(self.output, 1)
        path_row.addWidget(browse)
        form.addRow("Output", path_row)
        self.codec = QComboBox()
        for preset in CODEC_PRESETS.values():
            self.codec.addItem(f"{preset.name} — {preset.description}", preset.name)
        self.codec.currentIndexChanged.connect(self._codec_changed)
        form.addRow("Codec", self.codec)
        self.quality = QSpinBox()
        self.quality.setToolTip("CRF / quantiser: lower is better quality and a bigger file")
        form.addRow("Quality (CRF)", self.quality)
        self.speed = QComboBox()
        form.addRow("Speed", self.speed)
        range_row = QHBoxLayout()
        self.whole = QRadioButton("Whole clip")
        self.marked = QRadioButton("In/out marks")
        group = QButtonGroup(self)
        group.addButton(self.whole)
        group.addButton(self.marked)
        self.whole.setChecked(True)
        range_row.addWidget(self.whole)
        range_row.addWidget(self.marked)
        form.addRow("Range", range_row)
        self.audio = QCheckBox("Include audio")
        self.audio.setChecked(True)
        self.overwrite = QCheckBox("Replace an existing file")
        form.addRow(self.audio)
        form.addRow(self.overwrite)
        layout.addLayout(form)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        layout.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start_button = QPushButton("Export")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Close")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.resize(560, 0)
        self.refresh()
        self._codec_changed()

    # --- state ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the model: default output path, marks, style."""
        clip = self.model.clip
        if clip is not None and not self.output.text():
            self.output.setText(str(default_output(clip.path, self.model.style)))
        has_marks = self.model.in_mark is not None or self.model.out_mark is not None
        self.marked.setEnabled(has_marks)
        if has_marks:
            self.marked.setChecked(True)
        else:
            self.whole.setChecked(True)
        style = self.model.style if self.controller.stylizer() is not None else None
        parts = [f"Style: {style or 'none — the original is copied unstyled'}",
                 f"temporal: {self.model.temporal}"]
        if clip is not None and has_marks:
            a = self.model.in_mark if self.model.in_mark is not None else 0
            b = self.model.out_mark if self.model.out_mark is not None else clip.frame_count - 1
            parts.append(f"marks: frames {a}–{b} ({clip.timecode(a)} – {clip.timecode(b)})")
        self.summary.setText(";  ".join(parts) + ". Renders from the original file.")

    def _codec_changed(self, *_: Any) -> None:
        preset = CODEC_PRESETS[self.codec.currentData()]
        if preset.crf_range is not None:
            self.quality.setEnabled(True)
            self.quality.setRange(*preset.crf_range)
            self.quality.setValue(preset.default_crf or preset.crf_range[0])
        else:
            self.quality.setEnabled(False)
        self.speed.clear()
        self.speed.setEnabled(bool(preset.speed_presets))
        for name in preset.speed_presets:
            self.speed.addItem(name)
        if preset.default_speed:
            self.speed.setCurrentText(preset.default_speed)
        path = Path(self.output.text()) if self.output.text() else None
        if path is not None and path.suffix.lower() not in preset.containers:
            self.output.setText(str(path.with_suffix(preset.containers[0])))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text(),
                                              "Video (*.mp4 *.mov *.mkv *.webm *.avi)")
        if path:
            self.output.setText(path)

    def settings(self) -> dict[str, Any]:
        codec = self.codec.currentData()
        preset = CODEC_PRESETS[codec]
        return {
            "codec": codec,
            "crf": self.quality.value() if preset.crf_range is not None else None,
            "speed": self.speed.currentText() if preset.speed_presets else None,
            "use_marks": self.marked.isChecked(),
            "audio": self.audio.isChecked(),
            "overwrite": self.overwrite.isChecked(),
        }

    # --- running --------------------------------------------------------------------------
    def start(self) -> ExportJob | None:
        if self.job is not None and self.job.running:
            return self.job
        output = Path(self.output.text()).expanduser()
        options = self.settings()
        clip = self.model.clip
        try:
            if clip is None:
                raise ValueError("No clip is open.")
            encode = EncodeSettings(codec=options["codec"], crf=options["crf"], speed=options["speed"])
            encode.preset_for(output)
            check_output_path(output, source=clip.path, overwrite=options["overwrite"])
            job = self.controller.export(output, **options)
        except Exception as exc:  # noqa: BLE001 - shown in the dialog
            self.status.setText(f"<span style='color:#e66'>{describe_error(exc)}</span>")
            return None
        self.job = job
        job.progress.connect(self._progress)
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        job.note.connect(lambda text: self.status.setText(f"note: {text}"))
        self.progress.setValue(0)
        self.status.setText("Rendering…")
        self.start_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        return job

    def _progress(self, p: Progress) -> None:
        self.progress.setValue(int(1000 * p.done / max(p.total, 1)))
        self.status.setText(f"{p.done} / {p.total} frames   {p.fps:5.1f} fps   ETA {format_duration(p.eta)}")

    def _done(self) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setText("Close")

    def _finished(self, result: RenderResult) -> None:
        self._done()
        self.progress.setValue(1000)
        notes = "".join(f"<br>note: {n}" for n in result.notes)
        self.status.setText(f"Wrote {result.output} ({result.frames} frames in {result.seconds:.1f} s, "
                            f"{result.fps:.1f} fps){notes}")
        self.model.notify("info", f"Exported {result.output.name}")

    def _failed(self, text: str) -> None:
        self._done()
        self.status.setText(f"<span style='color:#e66'>Export failed: {text}</span>")

    def _cancelled(self) -> None:
        self._done()
        self.progress.setValue(0)
        self.status.setText("Cancelled; no file was written.")

    def _cancel_or_close(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.status.setText("Cancelling…")
        else:
            self.close()
