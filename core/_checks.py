"""Argument checks shared by the flow, scene-cut and stabiliser modules."""

from __future__ import annotations

import math
from typing import TypeGuard

import numpy as np

from .errors import MediaError


def check_frame(image: object, name: str) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise MediaError(
            f"{name} must be a uint8 RGB numpy array of shape (H, W, 3). "
            f"Received: {name}={type(image).__name__}"
        )
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise MediaError(
            f"{name} must be a uint8 RGB array of shape (H, W, 3) with H, W >= 1. "
            f"Received: {name}.dtype={image.dtype}, {name}.shape={image.shape}"
        )
    return image


def check_same_shape(a: np.ndarray, b: np.ndarray, names: str) -> None:
    if a.shape != b.shape:
        raise MediaError(
            f"{names} must have the same shape. Received: shapes={a.shape} and {b.shape}"
        )


def check_flow(flow: object, name: str) -> np.ndarray:
    if not isinstance(flow, np.ndarray) or flow.ndim != 3 or flow.shape[2] != 2 or 0 in flow.shape:
        raise ValueError(
            f"{name} must be a float array of shape (H, W, 2). "
            f"Received: {name}.shape={getattr(flow, 'shape', type(flow).__name__)}"
        )
    if flow.dtype != np.float32:
        flow = flow.astype(np.float32)
    return flow


def is_number(value: object) -> TypeGuard[float]:
    """A real number that is not a bool or NaN (infinity allowed)."""
    return (
        not isinstance(value, (bool, np.bool_))
        and isinstance(value, (int, float, np.integer, np.floating))
        and not math.isnan(value)
    )


def check_strength(strength: object) -> float:
    if not is_number(strength) or not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be a number in [0, 1]. Received: strength={strength!r}")
    return float(strength)


def check_threshold(threshold: object, name: str = "threshold") -> float:
    if not is_number(threshold) or not 0 < threshold < math.inf:
        raise ValueError(f"{name} must be a positive number. Received: {name}={threshold!r}")
    return float(threshold)


def check_fraction(value: object, name: str, why: str) -> float:
    if not is_number(value) or not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be a number in (0, 1) ({why}). Received: {name}={value!r}")
    return float(value)
