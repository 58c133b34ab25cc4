"""Baselines and controls for the quality metrics (see DESIGN.md, "Quality").

- :func:`reinhard_transfer`: Reinhard et al. (2001) colour transfer — matches the style's colour
  statistics in Lab but adds no texture;
- :func:`add_gaussian_noise`: the "Reinhard + Gaussian noise (σ = 20/255)" control, which lowers
  texture distance without adding brush strokes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from .errors import MediaError
from .metrics import _check_image, _check_images

__all__ = ["add_gaussian_noise", "reinhard_transfer"]

_STD_EPS = 1e-6


def _to_lab(image: np.ndarray) -> np.ndarray:
    rgb = image.astype(np.float32) / np.float32(255.0)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)


def reinhard_transfer(image: np.ndarray, style: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Match the per-channel Lab mean and std of ``image`` to the style's (uint8 RGB out).

    ``style`` may be one image or several (e.g. video frames); their statistics are pooled.
    """
    image = _check_image(image, "image")
    styles = _check_images(style, "style")
    lab = _to_lab(image).reshape(-1, 3).astype(np.float64)
    style_lab = np.concatenate([_to_lab(s).reshape(-1, 3) for s in styles]).astype(np.float64)
    mean, std = lab.mean(axis=0), lab.std(axis=0)
    style_mean, style_std = style_lab.mean(axis=0), style_lab.std(axis=0)
    scale = np.where(std > _STD_EPS, style_std / np.maximum(std, _STD_EPS), 1.0)
    out_lab = ((lab - mean) * scale + style_mean).astype(np.float32).reshape(image.shape)
    rgb = cv2.cvtColor(out_lab, cv2.COLOR_Lab2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def add_gaussian_noise(image: np.ndarray, sigma: float = 20 / 255, seed: int = 0) -> np.ndarray:
    """Add seeded Gaussian noise (``sigma`` in [0, 1] pixel units) to a uint8 image or batch."""
    if isinstance(image, np.ndarray) and image.ndim == 4:
        if image.dtype != np.uint8 or image.shape[-1] != 3:
            raise MediaError(
                "image must be a uint8 RGB array (H, W, 3) or batch (N, H, W, 3). "
                f"Received: image.shape={image.shape}, image.dtype={image.dtype}"
            )
    else:
        image = _check_image(image, "image")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.floating, np.integer)):
        raise ValueError(f"sigma must be a finite number >= 0. Received: sigma={sigma!r}")
    if not math.isfinite(float(sigma)) or sigma < 0:
        raise ValueError(f"sigma must be a finite number >= 0. Received: sigma={sigma!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    noise = np.random.default_rng(int(seed)).normal(0.0, float(sigma), size=image.shape)
    noisy = image.astype(np.float64) / 255.0 + noise
    return np.clip(np.rint(noisy * 255.0), 0, 255).astype(np.uint8)
