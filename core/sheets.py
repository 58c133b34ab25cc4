"""Contact sheets: grids of frames saved as PNG so a person can look."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from .errors import OutputDirError

__all__ = ["contact_sheet", "save_png"]


def _fit(image: np.ndarray, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    if h == height:
        return image
    width = max(1, round(w * height / h))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def contact_sheet(
    rows: Sequence[Sequence[np.ndarray]],
    *,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    height: int = 180,
    gap: int = 4,
) -> np.ndarray:
    """Lay out uint8 RGB images in rows (each scaled to ``height``), with optional labels."""
    if not rows or not all(rows):
        raise ValueError(f"contact_sheet needs at least one image per row. Received: rows={rows!r}")
    label_h = 22 if (row_labels or column_labels) else 0
    fitted = [[_fit(img, height) for img in row] for row in rows]
    widths = [sum(i.shape[1] for i in row) + gap * (len(row) - 1) for row in fitted]
    sheet_w = max(widths) + 2 * gap
    sheet_h = len(fitted) * (height + label_h + gap) + gap + (label_h if column_labels else 0)
    sheet = np.full((sheet_h, sheet_w, 3), 24, np.uint8)
    y = gap
    if column_labels:
        x = gap
        for label, img in zip(column_labels, fitted[0], strict=False):
            cv2.putText(sheet, label, (x + 4, y + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (230, 230, 230), 1, cv2.LINE_AA)
            x += img.shape[1] + gap
        y += label_h
    for r, row in enumerate(fitted):
        if row_labels:
            cv2.putText(sheet, row_labels[r], (gap + 4, y + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (230, 230, 230), 1, cv2.LINE_AA)
            y += label_h
        x = gap
        for img in row:
            sheet[y:y + height, x:x + img.shape[1]] = img
            x += img.shape[1] + gap
        y += height + gap
    return sheet


def save_png(path: str | os.PathLike[str], image: np.ndarray) -> Path:
    """Write an RGB image as PNG atomically (temp file + rename)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.partial.png")
    ok = cv2.imwrite(str(tmp), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        tmp.unlink(missing_ok=True)
        raise OutputDirError(f"Cannot write PNG {target}. Received: path={str(target)!r}")
    os.replace(tmp, target)
    return target
