"""Dense optical flow (OpenCV DIS), backward warping and occlusion masks.

Flow is computed on greyscale frames at reduced size. Conventions:

- a **flow** ``F`` from frame *a* to frame *b* is a float32 ``(H, W, 2)`` array giving, for each
  pixel ``(x, y)`` of *a*, the displacement ``(dx, dy)`` to where that point is in *b*;
- :func:`backward_warp` samples an image at ``(x + dx, y + dy)``, so ``backward_warp(b, F)``
  brings *b* back onto the pixel grid of *a*;
- :func:`occlusion_mask` is True where that warp is not trustworthy (Lai et al. 2018's
  forward–backward check, Ruder et al. 2016's motion boundaries, and flow leaving the frame).

Frames are ``uint8`` RGB ``(H, W, 3)``; bad frames raise
:class:`~stylecut.core.errors.MediaError` (a ``ValueError``), bad parameters ``ValueError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ._checks import check_flow, check_frame, check_same_shape

__all__ = ["FlowEstimator", "FlowSettings", "backward_warp", "occlusion_mask"]

_MIN_FLOW_SHORT = 90  # the reduced frame keeps at least this short side (or the full size)
_MIN_DIS_SIDE = 16  # DIS refuses frames smaller than about 12 px
_PRESETS = (
    cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    cv2.DISOPTICAL_FLOW_PRESET_FAST,
    cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
)

# Occlusion tests (Lai et al. 2018 / Ruder et al. 2016), in full-resolution pixels.
_FB_RELATIVE = 0.01
_FB_ABSOLUTE = 0.5
_MB_RELATIVE = 0.01
_MB_ABSOLUTE = 0.002

_REMAP_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.int16),
                 np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True, kw_only=True)
class FlowSettings:
    """How :class:`FlowEstimator` computes flow.

    ``scale`` is the fraction of the frame size the flow is computed at (the reduced short side
    is kept at 90 px or more, or the full size for smaller frames); the flow is then resized back
    and multiplied by the size ratio. ``preset`` is a ``cv2.DISOPTICAL_FLOW_PRESET_*`` value.
    ULTRAFAST at half size is about 0.6 ms for a 640×360 frame; FAST costs about twice that and
    MEDIUM eight times; the stabiliser uses :data:`~.stabiliser.STABILISER_FLOW` (use MEDIUM at
    scale 1 for metrics).
    """

    scale: float = 0.5
    preset: int = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST

    def __post_init__(self) -> None:
        if (
            isinstance(self.scale, bool)
            or not isinstance(self.scale, (int, float))
            or not math.isfinite(self.scale)
            or not 0.0 < self.scale <= 1.0
        ):
            raise ValueError(f"scale must be a number in (0, 1]. Received: scale={self.scale!r}")
        if isinstance(self.preset, bool) or self.preset not in _PRESETS:
            raise ValueError(
                "preset must be cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST (0), _FAST (1) or _MEDIUM (2). "
                f"Received: preset={self.preset!r}"
            )


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _flow_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """(width, height) of the reduced frame the flow is computed on."""
    short = min(height, width)
    if short <= _MIN_FLOW_SHORT or scale >= 1.0:
        return width, height
    scale = max(scale, _MIN_FLOW_SHORT / short)
    return max(1, round(width * scale)), max(1, round(height * scale))


class FlowEstimator:
    """Dense optical flow with one ``cv2.DISOpticalFlow`` instance (not thread-safe)."""

    def __init__(self, settings: FlowSettings | None = None) -> None:
        self.settings = FlowSettings() if settings is None else settings
        if not isinstance(self.settings, FlowSettings):
            raise ValueError(
                "settings must be a FlowSettings. "
                f"Received: settings={type(self.settings).__name__}"
            )
        self._dis = cv2.DISOpticalFlow.create(self.settings.preset)

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """The reduced greyscale frame flow is computed on (cache it to reuse a frame).

        ``image`` is a uint8 RGB frame, or a uint8 ``(H, W)`` grey one.
        """
        if isinstance(image, np.ndarray) and image.ndim == 2 and image.dtype == np.uint8:
            grey = image
        else:
            grey = _grey(check_frame(image, "image"))
        h, w = grey.shape
        size = _flow_size(h, w, self.settings.scale)
        if size == (w, h):
            return grey
        return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)

    def flow_prepared(
        self, a: np.ndarray, b: np.ndarray, shape: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """Flow between two :meth:`prepare` results, resized to ``shape[:2]`` (default: as is)."""
        if a.shape != b.shape or a.dtype != np.uint8 or a.ndim != 2:
            raise ValueError(
                "a and b must be greyscale uint8 frames of one shape from prepare(). "
                f"Received: a.shape={a.shape}, b.shape={b.shape}"
            )
        h, w = a.shape
        if min(h, w) < _MIN_DIS_SIDE:  # DIS refuses tiny frames: pad them (edge replicated)
            pad = (0, max(_MIN_DIS_SIDE - h, 0), 0, max(_MIN_DIS_SIDE - w, 0))
            a = cv2.copyMakeBorder(a, *pad, cv2.BORDER_REPLICATE)
            b = cv2.copyMakeBorder(b, *pad, cv2.BORDER_REPLICATE)
            small = np.ascontiguousarray(self._calc(a, b)[:h, :w])
        else:
            small = self._calc(a, b)
        if shape is None or tuple(shape[:2]) == (h, w):
            return small
        height, width = int(shape[0]), int(shape[1])
        fx, fy = cv2.split(small)  # to full-frame pixels (per plane: numpy broadcasting is slow)
        small = cv2.merge([fx * np.float32(width / w), fy * np.float32(height / h)])
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)

    def _calc(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._dis.calc(a, b, None)  # type: ignore[call-overload]  # (stubs want a flow)

    def flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow from frame ``a`` to frame ``b``: for each pixel of ``a``, where it is in ``b``.

        Returns float32 ``(H, W, 2)`` in pixels of the full frame.
        """
        a = check_frame(a, "a")
        b = check_frame(b, "b")
        check_same_shape(a, b, "a and b")
        return self.flow_prepared(self.prepare(a), self.prepare(b), a.shape)


# --------------------------------------------------------------------------- warping, occlusion


def _maps(fx: np.ndarray, fy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cv2.remap's sampling maps ``(x + fx, y + fy)`` from the two planes of a flow."""
    h, w = fx.shape
    return fx + np.arange(w, dtype=np.float32), fy + np.arange(h, dtype=np.float32)[:, None]


def backward_warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample ``image`` at ``(x + flow_x, y + flow_y)`` (bilinear, reflected border).

    ``image`` is ``(H, W)`` or ``(H, W, C)``, uint8 or float; the result has its dtype.
    """
    flow = check_flow(flow, "flow")
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.shape[:2] != flow.shape[:2]:
        raise ValueError(
            "image must be an (H, W) or (H, W, C) array the size of the flow. "
            f"Received: image.shape={getattr(image, 'shape', type(image).__name__)}, "
            f"flow.shape={flow.shape}"
        )
    map_x, map_y = _maps(*cv2.split(flow))
    native = image.dtype in _REMAP_DTYPES
    source = image if native else image.astype(np.float32)
    channels = 1 if image.ndim == 2 else image.shape[2]
    if channels > 4:  # OpenCV builds differ on remap's channel limit: do it plane by plane
        planes = [_remap(source[..., c], map_x, map_y) for c in range(channels)]
        warped = np.stack(planes, axis=-1)
    else:
        warped = _remap(source, map_x, map_y)
        if image.ndim == 3 and warped.ndim == 2:
            warped = warped[..., None]
    if native:
        return warped
    if image.dtype == np.bool_:
        return warped >= 0.5
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        return np.clip(np.rint(warped), info.min, info.max).astype(image.dtype)
    return warped.astype(image.dtype)


def _remap(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _occlusion(forward: np.ndarray, backward: np.ndarray, unit: float) -> np.ndarray:
    """Occlusion test for flows given in pixels of a grid ``unit`` times the frame's size."""
    fx, fy = cv2.split(forward)
    return _occlusion_planes(fx, fy, backward, unit)


def _occlusion_planes(fx: np.ndarray, fy: np.ndarray, backward: np.ndarray, unit: float) -> np.ndarray:
    map_x, map_y = _maps(fx, fy)
    bx, by = cv2.split(_remap(backward, map_x, map_y))
    f_sq = fx * fx + fy * fy
    sx, sy = fx + bx, fy + by
    # |F + B_w|² > 0.01 (|F|² + |B_w|²) + 0.5 px² (full-frame pixels: the constant scales by unit²)
    fb_limit = np.float32(_FB_RELATIVE) * (f_sq + bx * bx + by * by) + np.float32(_FB_ABSOLUTE * unit * unit)
    occluded = sx * sx + sy * sy > fb_limit
    occluded |= _boundary_planes(fx, fy, unit, map_x, map_y)
    return occluded


def _boundary_planes(
    fx: np.ndarray, fy: np.ndarray, unit: float, map_x: np.ndarray, map_y: np.ndarray
) -> np.ndarray:
    """Motion boundaries (Ruder et al. 2016) and flow leaving the frame (``map_x``, ``map_y``:
    :func:`_maps` of the flow): the tests that need no reverse flow."""
    h, w = fx.shape
    f_sq = fx * fx + fy * fy
    # |∇F_x|² + |∇F_y|² > 0.01 |F|² + 0.002 (flow gradients are dimensionless, |F|² is in px²)
    grad = np.zeros((h, w), np.float32)
    for channel in (fx, fy):
        for dx, dy in ((1, 0), (0, 1)):
            d = cv2.Sobel(channel, cv2.CV_32F, dx, dy, ksize=1, scale=0.5, borderType=cv2.BORDER_REPLICATE)
            grad += d * d
    boundary = grad > np.float32(_MB_RELATIVE / (unit * unit)) * f_sq + np.float32(_MB_ABSOLUTE)
    boundary |= (map_x < 0) | (map_x > w - 1) | (map_y < 0) | (map_y > h - 1)
    return boundary


def occlusion_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """True where pixels of frame *t* have no reliable match in frame *t+1*.

    ``forward`` is the flow *t → t+1*, ``backward`` the flow *t+1 → t*. A pixel is occluded
    where the forward–backward check fails, ``|F + B_w|² > 0.01 (|F|² + |B_w|²) + 0.5`` with
    ``B_w = backward_warp(backward, forward)`` (Lai et al. 2018); at motion boundaries,
    ``|∇F_x|² + |∇F_y|² > 0.01 |F|² + 0.002`` (Ruder et al. 2016); or where ``x + F`` leaves
    the frame. Returns a bool ``(H, W)`` array.
    """
    forward = check_flow(forward, "forward")
    backward = check_flow(backward, "backward")
    if forward.shape != backward.shape:
        raise ValueError(
            "forward and backward flows must have the same shape. "
            f"Received: forward.shape={forward.shape}, backward.shape={backward.shape}"
        )
    return _occlusion(forward, backward, 1.0)
