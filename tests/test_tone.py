"""ToneAnchor: coarse luma moves toward the source; strokes and chroma stay as painted."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from stylecut.core import ToneAnchor


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A source with a dark left half and a bright right half; a "stylized" output in flat
    mid-grey with fine stripes (strokes) and a colour cast."""
    rng = np.random.default_rng(seed)
    source = np.full((2, 90, 160, 3), 40, np.uint8)
    source[:, :, 80:] = 210
    source = np.clip(source + rng.normal(0, 4, source.shape), 0, 255).astype(np.uint8)
    stripes = (np.arange(160) % 4 < 2) * 30
    output = np.full((2, 90, 160, 3), (110, 120, 150), np.int16) + stripes[None, None, :, None]
    return source, output.astype(np.uint8)


def _coarse_luma(images: np.ndarray, cells: int = 21) -> np.ndarray:
    h, w = images.shape[1:3]
    grid = (round(w * cells / min(h, w)), round(h * cells / min(h, w)))
    return np.stack([cv2.resize(cv2.cvtColor(i, cv2.COLOR_RGB2GRAY), grid, interpolation=cv2.INTER_AREA)
                     for i in images]).astype(np.float64)


def test_zero_strength_returns_the_output_unchanged() -> None:
    source, output = _pair()
    assert ToneAnchor().apply(source, output) is output


def test_coarse_luma_moves_by_strength() -> None:
    source, output = _pair()
    gap = np.abs(_coarse_luma(source) - _coarse_luma(output)).mean()
    for strength in (0.3, 1.0):
        anchored = ToneAnchor(strength).apply(source, output)
        left = np.abs(_coarse_luma(source) - _coarse_luma(anchored)).mean()
        assert abs(left - (1 - strength) * gap) < 0.1 * gap + 2.0, (strength, left, gap)


def test_strokes_and_chroma_are_kept() -> None:
    source, output = _pair()
    anchored = ToneAnchor(0.5).apply(source, output).astype(np.int16)
    # fine stripes: the column-to-column difference away from the source's edge is unchanged
    for far in (slice(0, 60), slice(100, 160)):
        painted = np.diff(output[:, 20:70, far].astype(np.int16), axis=2)
        kept = np.diff(anchored[:, 20:70, far], axis=2)
        assert np.abs(kept - painted).max() <= 2
    # the same offset on R, G and B: channel differences (chroma) stay (but for clipping)
    chroma = lambda a: a[..., 2].astype(np.int16) - a[..., 0]  # noqa: E731
    assert np.abs(chroma(anchored) - chroma(output)).max() <= 1


def test_dict_round_trip_and_bad_values() -> None:
    anchor = ToneAnchor(0.3, cells=12)
    assert ToneAnchor.from_dict(anchor.to_dict()) == anchor
    assert ToneAnchor.from_dict(None) == ToneAnchor()
    for bad in (-0.1, 1.5, True, "0.3"):
        with pytest.raises(ValueError, match=f"Received: strength={bad!r}"):
            ToneAnchor(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Received: cells=0"):
        ToneAnchor(0.3, cells=0)
    with pytest.raises(ValueError, match="Received: tone_anchor="):
        ToneAnchor.from_dict({"strength": 0.3, "radius": 4})
    with pytest.raises(ValueError, match="same shape"):
        ToneAnchor(0.3).apply(np.zeros((1, 8, 8, 3), np.uint8), np.zeros((1, 8, 9, 3), np.uint8))
