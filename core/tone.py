"""Tone anchor: keep part of the source frame's coarse light/dark layout in a stylized frame.

A generator trained against one painting pulls every frame toward the painting's tones: a dark
forest and a bright beach come out in the same mid-tones. :class:`ToneAnchor` moves the output's
luma, on a coarse grid only (``cells`` across the short side, about 16 px at 512×341), a fraction
``strength`` of the way back to the source's, by adding the same smooth offset to R, G and B.
Strokes, edges and chroma are left as the generator painted them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from .colour import BT601_LUMA

__all__ = ["ToneAnchor"]


@dataclass(frozen=True)
class ToneAnchor:
    """``strength`` in [0, 1] (0 = off, 1 = the source's coarse luma); ``cells`` across the short
    side of the frame (the coarser, the less of the source's shapes come back)."""

    strength: float = 0.0
    cells: int = 21

    def __post_init__(self) -> None:
        s = self.strength
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0.0 <= float(s) <= 1.0:
            raise ValueError(f"tone anchor strength must be a number in [0, 1]. Received: strength={s!r}")
        c = self.cells
        if isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= 256:
            raise ValueError(f"tone anchor cells must be an integer in [1, 256]. Received: cells={c!r}")
        object.__setattr__(self, "strength", float(s))

    @classmethod
    def from_dict(cls, data: object) -> ToneAnchor:
        """From a style card's ``tone_anchor`` object (``None``: off)."""
        if data is None:
            return cls()
        if not isinstance(data, dict) or set(data) - {"strength", "cells"}:
            raise ValueError("tone_anchor must be an object with 'strength' and optional 'cells'. "
                             f"Received: tone_anchor={data!r}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def apply(self, sources: np.ndarray, outputs: np.ndarray) -> np.ndarray:
        """``outputs`` (uint8 (N, H, W, 3), stylized ``sources`` of the same shape) with the
        anchor applied; the same array when ``strength`` is 0."""
        if self.strength == 0.0:
            return outputs
        if sources.shape != outputs.shape or sources.ndim != 4 or sources.shape[-1] != 3:
            raise ValueError("sources and outputs must be uint8 arrays of the same shape (N, H, W, 3). "
                             f"Received: sources.shape={sources.shape}, outputs.shape={outputs.shape}")
        h, w = outputs.shape[1:3]
        scale = self.cells / min(h, w)
        grid = (max(1, round(w * scale)), max(1, round(h * scale)))
        result = np.empty_like(outputs)
        luma = np.array(BT601_LUMA, np.float32)
        for i, (src, out) in enumerate(zip(sources, outputs, strict=True)):
            # area means commute with the (linear) luma: average first, on the small grid
            coarse_src = cv2.resize(src, grid, interpolation=cv2.INTER_AREA).astype(np.float32) @ luma
            coarse_out = cv2.resize(out, grid, interpolation=cv2.INTER_AREA).astype(np.float32) @ luma
            offset = np.repeat(((coarse_src - coarse_out) * np.float32(self.strength))[..., None], 3, axis=2)
            full = cv2.resize(offset, (w, h), interpolation=cv2.INTER_LINEAR)
            result[i] = cv2.add(out, full, dtype=cv2.CV_8U)  # rounds, saturates
        return result
