"""The Stylizer protocol: a batch of RGB frames and per-frame strengths in, frames out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ModelError

__all__ = ["PassthroughStylizer", "Stylizer", "blend", "check_batch", "check_stylized"]


@runtime_checkable
class Stylizer(Protocol):
    """Anything that restyles frames.

    ``stylize(frames, strength)`` takes uint8 ``(N, H, W, 3)`` frames (any H×W) and a float
    array ``(N,)`` of strengths in [0, 1] and returns uint8 ``(N, H, W, 3)``. ``name`` labels
    the style; ``preferred_batch`` is the batch size it runs fastest with.
    """

    name: str
    preferred_batch: int

    def stylize(self, frames: np.ndarray, strength: np.ndarray) -> np.ndarray: ...


def check_batch(frames: np.ndarray, strength: np.ndarray) -> None:
    """Raise ``ValueError`` unless the arguments follow the Stylizer protocol."""
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 4 \
            or frames.shape[-1] != 3:
        raise ValueError(
            "frames must be a uint8 array of shape (N, H, W, 3). Received: frames="
            f"{getattr(frames, 'dtype', type(frames).__name__)} {getattr(frames, 'shape', '')}"
        )
    if np.shape(strength) != (frames.shape[0],):
        raise ValueError(
            f"strength must have shape ({frames.shape[0]},). Received: strength.shape="
            f"{np.shape(strength)}"
        )


def check_stylized(out: object, frames: np.ndarray, who: str) -> np.ndarray:
    """Return ``out`` if it is uint8 of ``frames``' shape, else raise ``ModelError`` naming ``who``
    (e.g. ``"Stylizer 'x'"``): what a stylizer or stylise function must give back."""
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.shape != frames.shape:
        raise ModelError(
            f"{who} must return uint8 frames of the shape it was given {frames.shape}. "
            f"Received: output={getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}"
        )
    return out


def blend(frames: np.ndarray, stylized: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Mix ``frames`` and ``stylized`` per frame: s=0 gives the input, s=1 the stylized frame."""
    s = np.asarray(strength, dtype=np.float32).reshape(-1, 1, 1, 1)
    if np.all(s >= 1.0):
        return stylized
    mixed = frames.astype(np.float32) + (stylized.astype(np.float32) - frames) * s
    out = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    out[s[:, 0, 0, 0] <= 0.0] = frames[s[:, 0, 0, 0] <= 0.0]
    return out


class PassthroughStylizer:
    """Returns the frames unchanged (the "no style" stylizer)."""

    name = "passthrough"
    preferred_batch = 1

    def stylize(self, frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        check_batch(frames, strength)
        return frames
