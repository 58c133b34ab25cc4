"""Quality metrics that need no pretrained network (see DESIGN.md, "Quality").

Every tool in the project reports these numbers, so the definitions follow the design exactly:

- **style distance**: sliced Wasserstein-1 distance between 7×7×3 patches of a 3-level Laplacian
  pyramid at short side 256, split into *texture* (two band-pass levels) and *colour* (low-pass);
- **stroke distance**: Wasserstein-1 distance between structure-tensor coherence distributions of
  the most textured half of the pixels;
- **structure score**: SSIM (Wang 2004) of blurred BT.601 luminance;
- **diversity ratio**: mean pairwise distance of 32×32 thumbnails, outputs ÷ inputs;
- **grid pattern ratio**: spectral peaks at the bins of a 2/4-px lattice fixed to the pixel raster
  (checkerboard, pixel-shuffle "screen door"), outputs ÷ inputs (:func:`grid_pattern_ratio`);
- **shift equivariance**: how much a stylizer's output fails to move with its input for 1–3 px
  shifts, beside a 4-px shift (:func:`shift_equivariance_error`);
- **static-region flicker**: mean frame-to-frame luma change of a video's output where its input
  does not move, beside the input's own on the same pixels (:func:`static_flicker`).

Images are ``uint8`` RGB arrays ``(H, W, 3)``; a batch may be a sequence of them or one
``(N, H, W, 3)`` array. Bad images raise :class:`~stylecut.core.errors.MediaError` (a
``ValueError``); bad parameters raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .colour import BT601_LUMA
from .errors import MediaError
from .flow import FlowEstimator, FlowSettings, backward_warp, occlusion_mask
from .stylizer import check_stylized

__all__ = [
    "QualityReport",
    "ShiftEquivariance",
    "StaticFlicker",
    "StyleDistance",
    "diversity_ratio",
    "evaluate_outputs",
    "grid_pattern_ratio",
    "mean_structure_score",
    "resize_short_side",
    "shift_equivariance_error",
    "static_flicker",
    "stroke_distance",
    "structure_score",
    "style_distance",
    "warping_error",
]

_SHORT_SIDE = 256
_PATCH = 7
_PYRAMID_LEVELS = 3  # two band-pass levels + the low-pass residual
_STRUCTURE_SIGMA = 2.0  # Gaussian blur of the structure tensor / of the luminance before SSIM
_SSIM_WINDOW = 11
_SSIM_SIGMA = 1.5
_SSIM_C1 = (0.01 * 255.0) ** 2
_SSIM_C2 = (0.03 * 255.0) ** 2
_COHERENCE_EPS = 1e-6  # trace (gradient energy, [0, 1] luma units) below which coherence is 0
_THUMB = 32

ImageBatch = Sequence[np.ndarray] | np.ndarray


# --------------------------------------------------------------------------- validation


def _check_image(image: object, name: str) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise MediaError(
            f"{name} must be a uint8 RGB numpy array of shape (H, W, 3). "
            f"Received: {name}={type(image).__name__}"
        )
    if image.dtype != np.uint8:
        raise MediaError(
            f"{name} must be a uint8 RGB array of shape (H, W, 3). "
            f"Received: {name}.dtype={image.dtype}"
        )
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise MediaError(
            f"{name} must be a uint8 RGB array of shape (H, W, 3) with H, W >= 1. "
            f"Received: {name}.shape={image.shape}"
        )
    return image


def _check_images(images: object, name: str) -> list[np.ndarray]:
    if isinstance(images, np.ndarray):
        if images.ndim == 3:
            return [_check_image(images, name)]
        if images.ndim == 4:
            if images.shape[0] == 0:
                raise MediaError(
                    f"{name} must hold at least one image. Received: {name}.shape={images.shape}"
                )
            return [_check_image(img, f"{name}[{i}]") for i, img in enumerate(images)]
        raise MediaError(
            f"{name} must be a uint8 RGB image (H, W, 3), a batch (N, H, W, 3) or a sequence "
            f"of images. Received: {name}.shape={images.shape}"
        )
    if isinstance(images, (str, bytes)) or not isinstance(images, Sequence):
        raise MediaError(
            f"{name} must be a uint8 RGB image (H, W, 3), a batch (N, H, W, 3) or a sequence "
            f"of images. Received: {name}={type(images).__name__}"
        )
    if len(images) == 0:
        raise MediaError(f"{name} must hold at least one image. Received: {name}=[]")
    return [_check_image(img, f"{name}[{i}]") for i, img in enumerate(images)]


def _check_pairs(
    inputs: ImageBatch, outputs: ImageBatch
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    ins = _check_images(inputs, "inputs")
    outs = _check_images(outputs, "outputs")
    if len(ins) != len(outs):
        raise ValueError(
            "inputs and outputs must hold the same number of images. "
            f"Received: len(inputs)={len(ins)}, len(outputs)={len(outs)}"
        )
    return ins, outs


def _check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


# --------------------------------------------------------------------------- resizing


def _resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    shrinking = width <= w and height <= h
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)


def _short_side_size(height: int, width: int, short: int) -> tuple[int, int]:
    """(width, height) with the short side exactly ``short`` and the aspect ratio kept."""
    scale = short / min(height, width)
    if height <= width:
        return max(1, round(width * scale)), short
    return short, max(1, round(height * scale))


def _resize_short(image: np.ndarray, short: int) -> np.ndarray:
    width, height = _short_side_size(image.shape[0], image.shape[1], short)
    return _resize_to(image, width, height)


def resize_short_side(image: np.ndarray, short: int = _SHORT_SIDE) -> np.ndarray:
    """Resize so the short side is ``short`` (INTER_AREA shrinking, INTER_CUBIC enlarging)."""
    image = _check_image(image, "image")
    short = _check_positive_int(short, "short")
    return _resize_short(image, short).copy()


def _luma(image: np.ndarray) -> np.ndarray:
    """BT.601 luma as float64 in [0, 255], at the image's own size."""
    rgb = image.astype(np.float64)
    r, g, b = BT601_LUMA
    return r * rgb[..., 0] + g * rgb[..., 1] + b * rgb[..., 2]


def _luma_short(image: np.ndarray) -> np.ndarray:
    """BT.601 luma as float64 in [0, 255], resized to short side 256."""
    return _resize_short(_luma(image), _SHORT_SIDE)


# --------------------------------------------------------------------------- Wasserstein-1


def _quantiles(sorted_values: np.ndarray, n: int) -> np.ndarray:
    """Resample sorted values (along axis 0) to ``n`` equally spaced quantiles."""
    m = sorted_values.shape[0]
    if m == n:
        return sorted_values
    positions = (np.arange(n) + 0.5) * (m / n) - 0.5
    positions = np.clip(positions, 0.0, m - 1)
    lo = np.floor(positions).astype(np.intp)
    hi = np.minimum(lo + 1, m - 1)
    frac = positions - lo
    if sorted_values.ndim > 1:
        frac = frac.reshape((n,) + (1,) * (sorted_values.ndim - 1))
    return sorted_values[lo] * (1.0 - frac) + sorted_values[hi] * frac


def _wasserstein1_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1-D W1 per column of two arrays already sorted along axis 0."""
    n = max(a.shape[0], b.shape[0])
    return np.mean(np.abs(_quantiles(a, n) - _quantiles(b, n)), axis=0)


# --------------------------------------------------------------------------- style distance


@dataclass(frozen=True)
class StyleDistance:
    """Sliced-Wasserstein patch distance to the style; lower is closer."""

    texture: float
    colour: float
    total: float


def _laplacian_pyramid(image: np.ndarray) -> list[np.ndarray]:
    """Two band-pass levels and the low-pass residual of a float32 [0, 1] image."""
    levels: list[np.ndarray] = []
    current = image
    for _ in range(_PYRAMID_LEVELS - 1):
        h, w = current.shape[:2]
        down = cv2.pyrDown(current)
        levels.append(current - cv2.pyrUp(down, dstsize=(w, h)))
        current = down
    levels.append(current)
    return levels


def _sample_patches(pool: list[np.ndarray], count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random 7×7×3 patches drawn uniformly over every patch position of the pool."""
    valid = []
    for img in pool:
        h, w = img.shape[:2]
        valid.append((max(h - _PATCH + 1, 0), max(w - _PATCH + 1, 0)))
    sizes = np.array([vh * vw for vh, vw in valid], dtype=np.int64)
    total = int(sizes.sum())
    if total == 0:
        raise MediaError(
            f"images are too small for {_PATCH}x{_PATCH} patches at every pyramid level. "
            f"Received: shape={pool[0].shape}"
        )
    flat = rng.integers(0, total, size=count)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    which = np.searchsorted(starts, flat, side="right") - 1
    out = np.empty((count, _PATCH * _PATCH * 3), dtype=np.float64)
    for index in np.unique(which):
        rows = np.nonzero(which == index)[0]
        local = flat[rows] - starts[index]
        vw = valid[index][1]
        ys, xs = local // vw, local % vw
        windows = np.lib.stride_tricks.sliding_window_view(pool[index], (_PATCH, _PATCH), (0, 1))
        out[rows] = windows[ys, xs].reshape(len(rows), -1)
    return out


def _pyramids(images: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Per level, the pyramid level of every image (short side 256, float32 [0, 1])."""
    per_level: list[list[np.ndarray]] = [[] for _ in range(_PYRAMID_LEVELS)]
    for img in images:
        small = _resize_short(img, _SHORT_SIDE).astype(np.float32) / np.float32(255.0)
        for level, band in enumerate(_laplacian_pyramid(small)):
            per_level[level].append(band)
    return per_level


def style_distance(
    outputs: Sequence[np.ndarray] | np.ndarray,
    style: np.ndarray | Sequence[np.ndarray],
    *,
    patches_per_level: int = 4096,
    directions: int = 256,
    seed: int = 0,
) -> StyleDistance:
    """Sliced-W1 distance between Laplacian-pyramid patches of the outputs and of the style."""
    outs = _check_images(outputs, "outputs")
    styles = _check_images(style, "style")
    patches_per_level = _check_positive_int(patches_per_level, "patches_per_level")
    directions = _check_positive_int(directions, "directions")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    seed = int(seed)

    out_levels = _pyramids(outs)
    style_levels = _pyramids(styles)
    dim = _PATCH * _PATCH * 3
    distances = []
    for level in range(_PYRAMID_LEVELS):
        dirs = np.random.default_rng((seed, 0, level)).standard_normal((dim, directions))
        dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
        # The same sampling stream for both sides: identical pools give identical patches.
        a = _sample_patches(
            out_levels[level], patches_per_level, np.random.default_rng((seed, 1, level))
        )
        b = _sample_patches(
            style_levels[level], patches_per_level, np.random.default_rng((seed, 1, level))
        )
        proj_a = np.sort(a @ dirs, axis=0)
        proj_b = np.sort(b @ dirs, axis=0)
        distances.append(float(np.mean(_wasserstein1_sorted(proj_a, proj_b))))
    texture = distances[0] + distances[1]
    colour = distances[2]
    return StyleDistance(texture=texture, colour=colour, total=texture + colour)


# --------------------------------------------------------------------------- stroke distance


def _coherence_top_half(image: np.ndarray) -> np.ndarray:
    """Structure-tensor coherence of the half of the pixels with the most gradient energy."""
    grey = _luma_short(image) / 255.0
    gx = cv2.Sobel(grey, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_64F, 0, 1, ksize=3)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), _STRUCTURE_SIGMA)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), _STRUCTURE_SIGMA)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), _STRUCTURE_SIGMA)
    trace = (jxx + jyy).ravel()  # λ1 + λ2
    spread = np.sqrt((jxx - jyy) ** 2 + 4.0 * jxy**2).ravel()  # λ1 − λ2
    coherence = np.zeros_like(trace)
    ok = trace > _COHERENCE_EPS
    coherence[ok] = np.clip(spread[ok] / trace[ok], 0.0, 1.0)
    keep = max(1, trace.size // 2)
    top = np.argsort(trace, kind="stable")[trace.size - keep :]
    return coherence[top]


def stroke_distance(
    outputs: Sequence[np.ndarray] | np.ndarray, style: np.ndarray | Sequence[np.ndarray]
) -> float:
    """W1 distance between the coherence distributions of the outputs and of the style."""
    outs = _check_images(outputs, "outputs")
    styles = _check_images(style, "style")
    a = np.sort(np.concatenate([_coherence_top_half(img) for img in outs]))
    b = np.sort(np.concatenate([_coherence_top_half(img) for img in styles]))
    return float(_wasserstein1_sorted(a, b))


# --------------------------------------------------------------------------- structure score


def _ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM (Wang 2004, 11×11 Gaussian window σ = 1.5, 'valid' region) of float64 images."""

    def window(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (_SSIM_WINDOW, _SSIM_WINDOW), _SSIM_SIGMA)

    mu_x, mu_y = window(x), window(y)
    var_x = window(x * x) - mu_x * mu_x
    var_y = window(y * y) - mu_y * mu_y
    cov = window(x * y) - mu_x * mu_y
    ssim_map = ((2.0 * mu_x * mu_y + _SSIM_C1) * (2.0 * cov + _SSIM_C2)) / (
        (mu_x * mu_x + mu_y * mu_y + _SSIM_C1) * (var_x + var_y + _SSIM_C2)
    )
    pad = _SSIM_WINDOW // 2
    if ssim_map.shape[0] > 2 * pad and ssim_map.shape[1] > 2 * pad:
        ssim_map = ssim_map[pad:-pad, pad:-pad]
    return float(np.mean(ssim_map))


def _structure(input_image: np.ndarray, output_image: np.ndarray) -> float:
    x = _luma_short(input_image)
    y = output_image
    if y.shape != input_image.shape:
        y = _resize_to(_luma(y), x.shape[1], x.shape[0])
    else:
        y = _luma_short(y)
    x = cv2.GaussianBlur(x, (0, 0), _STRUCTURE_SIGMA)
    y = cv2.GaussianBlur(y, (0, 0), _STRUCTURE_SIGMA)
    return _ssim(x, y)


def structure_score(input_image: np.ndarray, output_image: np.ndarray) -> float:
    """SSIM of the blurred BT.601 luminance of input and output (1.0 = identical)."""
    return _structure(
        _check_image(input_image, "input_image"), _check_image(output_image, "output_image")
    )


def mean_structure_score(inputs: ImageBatch, outputs: ImageBatch) -> float:
    """Mean :func:`structure_score` over input/output pairs."""
    ins, outs = _check_pairs(inputs, outputs)
    return float(np.mean([_structure(i, o) for i, o in zip(ins, outs, strict=True)]))


# --------------------------------------------------------------------------- diversity


def _mean_pairwise_distance(images: list[np.ndarray]) -> float:
    thumbs = np.stack(
        [_resize_to(img, _THUMB, _THUMB).astype(np.float64).ravel() / 255.0 for img in images]
    )
    total = 0.0
    for i in range(len(thumbs) - 1):
        total += float(np.linalg.norm(thumbs[i + 1 :] - thumbs[i], axis=1).sum())
    pairs = len(thumbs) * (len(thumbs) - 1) // 2
    return total / pairs


def diversity_ratio(inputs: ImageBatch, outputs: ImageBatch) -> float:
    """Mean pairwise 32×32 thumbnail distance of outputs ÷ that of inputs (≈0: mode collapse)."""
    ins, outs = _check_pairs(inputs, outputs)
    if len(ins) < 2:
        raise ValueError(
            f"diversity needs at least 2 input/output pairs. Received: len(outputs)={len(outs)}"
        )
    denominator = _mean_pairwise_distance(ins)
    if denominator == 0.0:
        raise ValueError(
            "diversity is undefined when all inputs are identical (their mean pairwise distance "
            f"is 0). Received: inputs_distance={denominator}"
        )
    return _mean_pairwise_distance(outs) / denominator


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class QualityReport:
    """All no-pretrained-network quality numbers for one set of outputs.

    ``diversity`` is ``None`` when it is undefined (fewer than 2 pairs, identical inputs).
    """

    texture: float
    colour: float
    total: float
    stroke: float
    structure: float
    diversity: float | None

    def to_dict(self) -> dict[str, float | None]:
        """The report as a JSON-friendly dict."""
        return asdict(self)


def evaluate_outputs(
    inputs: ImageBatch,
    outputs: ImageBatch,
    style: np.ndarray | Sequence[np.ndarray],
    *,
    seed: int = 0,
) -> QualityReport:
    """Compute style, stroke, structure and diversity metrics for stylized outputs."""
    ins, outs = _check_pairs(inputs, outputs)
    styles = _check_images(style, "style")
    dist = style_distance(outs, styles, seed=seed)
    try:
        diversity: float | None = diversity_ratio(ins, outs)
    except ValueError:  # undefined: fewer than 2 pairs, or identical inputs
        diversity = None
    structure = float(np.mean([_structure(i, o) for i, o in zip(ins, outs, strict=True)]))
    return QualityReport(
        texture=dist.texture,
        colour=dist.colour,
        total=dist.total,
        stroke=stroke_distance(outs, styles),
        structure=structure,
        diversity=diversity,
    )


# --------------------------------------------------------------------------- warping error


def warping_error(
    inputs: ImageBatch,
    outputs: ImageBatch,
    *,
    flow: FlowEstimator | None = None,
) -> float:
    """Warping error (Lai et al. 2018) of ``outputs`` along the motion of ``inputs``; lower is steadier.

    For each pair of consecutive frames: DIS flow ``F`` from input *t* to *t+1* (and back), output
    *t+1* warped back to *t* along ``F``, and the mean over non-occluded pixels and channels of
    ``(O_t − warp(O_{t+1}))²`` with pixels in [0, 1] (occlusion: :func:`~.flow.occlusion_mask`);
    the result is the mean over the pairs that have any non-occluded pixel (NaN if none has).
    Report it next to ``warping_error(inputs, inputs)`` and the per-frame output's.

    ``flow`` defaults to DIS MEDIUM at full resolution. Outputs of another size than the inputs
    are resized to the input size; all inputs must share one size.
    """
    ins, outs = _check_pairs(inputs, outputs)
    if len(ins) < 2:
        raise ValueError(
            f"warping error needs at least 2 consecutive frames. Received: len(inputs)={len(ins)}"
        )
    for i, img in enumerate(ins):
        if img.shape != ins[0].shape:
            raise MediaError(
                "all inputs must have the same size. "
                f"Received: inputs[0].shape={ins[0].shape}, inputs[{i}].shape={img.shape}"
            )
    if flow is None:
        flow = FlowEstimator(FlowSettings(scale=1.0, preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM))
    elif not isinstance(flow, FlowEstimator):
        raise ValueError(f"flow must be a FlowEstimator or None. Received: flow={type(flow).__name__}")
    height, width = ins[0].shape[:2]

    def unit(image: np.ndarray) -> np.ndarray:
        return _resize_to(image, width, height).astype(np.float32) * np.float32(1.0 / 255.0)

    errors = []
    grey, frame = flow.prepare(ins[0]), unit(outs[0])  # one pair at a time: memory stays flat
    for t in range(len(ins) - 1):
        next_grey, next_frame = flow.prepare(ins[t + 1]), unit(outs[t + 1])
        forward = flow.flow_prepared(grey, next_grey, ins[t].shape)
        backward = flow.flow_prepared(next_grey, grey, ins[t].shape)
        valid = ~occlusion_mask(forward, backward)
        count = int(valid.sum())
        if count > 0:
            diff = frame - backward_warp(next_frame, forward)
            errors.append(float(np.sum(np.square(diff[valid], dtype=np.float64))) / (3 * count))
        grey, frame = next_grey, next_frame
    return float(np.mean(errors)) if errors else float("nan")


# --------------------------------------------------------------------------- static flicker

_FLICKER_SIGMA = 1.5  # Gaussian blur of the input luma before the stillness test
_FLICKER_THRESHOLD = 1.5  # grey levels: |G(Y_in,t) − G(Y_in,t−1)| below this is static
_FLICKER_ERODE = 5  # side of the box the static mask is eroded by


@dataclass(frozen=True)
class StaticFlicker:
    """Static-region flicker of a video, in grey levels (0–255); see :func:`static_flicker`.

    ``output``: mean ``|Y_out,t − Y_out,t−1|`` over the static pixels; ``input``: the same for the
    input on the same pixels (its own noise, compression, grain); both NaN when no pixel is static.
    ``static_fraction``: static pixels ÷ all pixels of all frame pairs (0–1).
    """

    output: float
    input: float
    static_fraction: float

    @property
    def ratio(self) -> float:
        """``output ÷ input``; inf when only ``input`` is 0, NaN when both are 0 (or NaN)."""
        if self.input > 0.0:
            return self.output / self.input
        return float("inf") if self.output > 0.0 else float("nan")

    def to_dict(self) -> dict[str, float]:
        """The numbers as a JSON-friendly dict (``ratio`` included)."""
        return {"output": self.output, "input": self.input, "ratio": self.ratio,
                "static_fraction": self.static_fraction}


def _check_video_pair(
    inputs: ImageBatch, outputs: ImageBatch, what: str
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Input and output frames: the same count (at least 2), every frame of one size."""
    ins, outs = _check_pairs(inputs, outputs)
    if len(ins) < 2:
        raise ValueError(
            f"{what} needs at least 2 consecutive frames. Received: len(inputs)={len(ins)}"
        )
    for name, frames in (("inputs", ins), ("outputs", outs)):
        for i, img in enumerate(frames):
            if img.shape != ins[0].shape:
                raise MediaError(
                    "all inputs and outputs must have the same size. "
                    f"Received: inputs[0].shape={ins[0].shape}, {name}[{i}].shape={img.shape}"
                )
    return ins, outs


def static_flicker(inputs: ImageBatch, outputs: ImageBatch) -> StaticFlicker:
    """How much a video's output changes where its input does not move ("boiling"); lower is stiller.

    Needs no optical flow, so flat footage cannot fool it (DESIGN.md, "Quality"). With ``Y`` the
    BT.601 luma ``0.299 R + 0.587 G + 0.114 B`` as floats in grey levels 0–255 (not rounded) and
    ``G`` a Gaussian blur σ = 1.5 px (OpenCV, 13-tap kernel, reflected border), for each pair of
    consecutive frames ``t − 1, t`` (t = 1 … N − 1):

    1. a pixel is *static* when ``|G(Y_in,t) − G(Y_in,t−1)| < 1.5``;
    2. that mask is eroded by a 5×5 box (a pixel stays static only if its whole 5×5 neighbourhood
       is; outside the image counts as static, so the border itself does not erode);
    3. the pair's flicker is ``|Y_out,t − Y_out,t−1|`` summed over its static pixels, and the
       same for ``Y_in`` on the same pixels.

    ``output`` (``input``) is the sum over all pairs ÷ the number of static pixels of all pairs:
    the per-pair means averaged over ``t`` weighted by each pair's static pixel count, in grey
    levels (0–255); NaN when no pixel is static. ``static_fraction`` = static pixels ÷
    ``(N − 1)·H·W``; ``ratio`` = ``output ÷ input`` (1: the output changes as much as the
    footage's own noise; a painting that is repainted every frame scores ≫ 1).

    ``inputs`` and ``outputs``: sequences (or ``(N, H, W, 3)`` arrays) of uint8 RGB frames, the
    same number (at least 2) and all of one size.
    """
    ins, outs = _check_video_pair(inputs, outputs, "static flicker")
    kernel = np.ones((_FLICKER_ERODE, _FLICKER_ERODE), np.uint8)
    total_out = total_in = 0.0
    static_count = 0
    y_in, y_out = _luma(ins[0]), _luma(outs[0])
    blurred = cv2.GaussianBlur(y_in, (0, 0), _FLICKER_SIGMA)
    for t in range(1, len(ins)):
        next_in, next_out = _luma(ins[t]), _luma(outs[t])
        next_blurred = cv2.GaussianBlur(next_in, (0, 0), _FLICKER_SIGMA)
        still = (np.abs(next_blurred - blurred) < _FLICKER_THRESHOLD).astype(np.uint8)
        still = cv2.erode(still, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=1) > 0
        static_count += int(np.count_nonzero(still))
        total_out += float(np.sum(np.abs(next_out - y_out)[still]))
        total_in += float(np.sum(np.abs(next_in - y_in)[still]))
        y_in, y_out, blurred = next_in, next_out, next_blurred
    pixels = (len(ins) - 1) * ins[0].shape[0] * ins[0].shape[1]
    if static_count == 0:
        return StaticFlicker(output=float("nan"), input=float("nan"), static_fraction=0.0)
    return StaticFlicker(
        output=total_out / static_count,
        input=total_in / static_count,
        static_fraction=static_count / pixels,
    )


# --------------------------------------------------------------------------- grid pattern

_GRID_MIN_TILE = 64  # Welch tile side: the smallest multiple of lcm(periods) >= this
_GRID_MAX_LCM = 64
_GRID_HIGHPASS_SIGMA = 2.0
_GRID_RING = (2, 4)  # Chebyshev distances (in bins) of the background ring around a lattice bin
_UINT8_ROUNDING_VARIANCE = 1.0 / 12.0


def _check_periods(periods: object) -> tuple[int, ...]:
    message = (
        "periods must be a non-empty sequence of integers from 2 to 16 whose least common "
        f"multiple is at most {_GRID_MAX_LCM}. Received: periods={periods!r}"
    )
    if isinstance(periods, (str, bytes)) or not isinstance(periods, Sequence) or len(periods) == 0:
        raise ValueError(message)
    out = []
    for p in periods:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 2 <= p <= 16:
            raise ValueError(message)
        out.append(int(p))
    if math.lcm(*out) > _GRID_MAX_LCM:
        raise ValueError(message)
    return tuple(out)


def _grid_bins(tile: int, periods: tuple[int, ...]) -> list[tuple[int, int]]:
    """The (ky, kx) bins of every lattice with those periods, one per conjugate pair, no DC."""
    steps = sorted({(j * tile // p) % tile for p in periods for j in range(p)})
    bins: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for ky in steps:
        for kx in steps:
            if (ky, kx) == (0, 0) or (ky, kx) in seen:
                continue
            seen.add((ky, kx))
            seen.add(((-ky) % tile, (-kx) % tile))
            bins.append((ky, kx))
    return bins


def _hann(tile: int) -> np.ndarray:
    n = np.arange(tile)
    h = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / tile)  # periodic: leaks an exact bin into ±1 only
    return np.outer(h, h)


def _grid_score(image: np.ndarray, tile: int, bins: list[tuple[int, int]]) -> float:
    """Mean peak-to-ring power ratio at the lattice bins of one image (see grid_pattern_ratio)."""
    luma = _luma(image)
    residual = luma - cv2.GaussianBlur(luma, (0, 0), _GRID_HIGHPASS_SIGMA)
    step = tile // 2
    windows = np.lib.stride_tricks.sliding_window_view(residual, (tile, tile))[::step, ::step]
    window = _hann(tile)
    tiles = windows.reshape(-1, tile, tile) * window
    power = np.mean(np.abs(np.fft.fft2(tiles)) ** 2, axis=0)
    power += _UINT8_ROUNDING_VARIANCE * float(np.sum(window**2))
    near, far = _GRID_RING
    offsets = np.arange(-far, far + 1)
    ring = np.maximum(np.abs(offsets)[:, None], np.abs(offsets)[None, :]) >= near
    ratios = []
    for ky, kx in bins:
        block = power[np.ix_((ky + offsets) % tile, (kx + offsets) % tile)]
        ratios.append(power[ky, kx] / float(np.median(block[ring])))
    return float(np.mean(ratios))


def grid_pattern_ratio(
    inputs: ImageBatch, outputs: ImageBatch, periods: Sequence[int] = (2, 4)
) -> float:
    """How much more a pattern fixed to the pixel raster stands out in the outputs than in the inputs.

    Catches checkerboard, pixel-shuffle and 4×4 "screen door" lattices: a pattern that repeats
    every 2 or 4 pixels *of the image grid*, whatever the content. Each image, output and input,
    is measured on its own at its own size (never resized: resampling would blur or alias the
    lattice):

    1. ``Y``: BT.601 luma, float, grey levels 0–255.
    2. High-pass: ``R = Y − G(Y)``, ``G`` a Gaussian blur σ = 2 px (OpenCV, reflected border);
       a period-≤4 lattice keeps ≥ 99 % of its amplitude, the content's low frequencies (which
       would leak into the lattice bins) go.
    3. Power spectrum (Welch): ``T × T`` tiles of ``R``, ``T`` = the smallest multiple of
       lcm(``periods``) ≥ 64 (64 for the default periods), taken every ``T/2`` px from the
       top-left corner (a rest too small for a tile at the right or bottom is dropped); each tile
       times a periodic 2-D Hann window ``w(m, n) = h(m)·h(n)``, ``h(n) = ½ − ½·cos(2πn/T)``;
       ``P`` = the mean over tiles of ``|FFT2|²``, plus ``(1/12)·Σw²`` (the power uint8 rounding
       noise puts in one bin, so a flat image scores 1 rather than 0/0). As ``T`` is a multiple
       of every period, a lattice fixed to the raster puts all its power on exact bins (and,
       through the window, on their 8 neighbours).
    4. Lattice bins: every ``(ky, kx)`` with ``ky, kx ∈ {j·T/p mod T}`` for a ``p`` in
       ``periods`` and any integer ``j`` — the periods in x, in y and their combinations —
       except ``(0, 0)``, one of each conjugate pair ``k, −k`` (equal power): for the default
       (2, 4), the 9 bins ``(0, T/4), (0, T/2), (T/4, 0), (T/4, ±T/4), (T/4, T/2), (T/2, 0),
       (T/2, T/4), (T/2, T/2)``.
    5. Peak-to-background ratio of a bin: ``P(k)`` ÷ the median of ``P`` over the ring of bins
       at Chebyshev distance 2 to 4 from ``k`` (72 bins, indices modulo ``T``; the 3×3 core
       holding the window's leakage is left out). The image's score is the mean over the bins.

    The result is the mean over input/output pairs of ``score(output) ÷ score(input)``: ≈ 1 when
    the output adds no raster-fixed pattern (an output equal to its input scores exactly 1;
    content that merely moved, e.g. a shifted image, stays near 1), ≫ 1 when it does. On 8
    photos at about 640×360 (``benchmarks/bench_grid.py``): a fixed 4×4 tile of ±6 grey levels
    scores 39–714 per photo; the photo shifted by (1, 2) px, blurred (σ 1), sharpened, with
    Gaussian noise (σ 5) or JPEG at quality 75–95 scores 0.95–1.06. Outputs
    may differ in size from their inputs. ``periods``: integers 2–16 whose least common multiple
    is at most 64. Every image must be at least ``T × T`` pixels.
    """
    ins, outs = _check_pairs(inputs, outputs)
    periods = _check_periods(periods)
    lcm = math.lcm(*periods)
    tile = lcm * -(-_GRID_MIN_TILE // lcm)
    for name, images in (("inputs", ins), ("outputs", outs)):
        for i, img in enumerate(images):
            if img.shape[0] < tile or img.shape[1] < tile:
                raise MediaError(
                    f"grid_pattern_ratio needs images of at least {tile}x{tile} pixels. "
                    f"Received: {name}[{i}].shape={img.shape}"
                )
    bins = _grid_bins(tile, periods)
    ratios = [
        _grid_score(o, tile, bins) / _grid_score(i, tile, bins)
        for i, o in zip(ins, outs, strict=True)
    ]
    return float(np.mean(ratios))


# --------------------------------------------------------------------------- shift equivariance


@dataclass(frozen=True)
class ShiftEquivariance:
    """How far a stylizer's output fails to move with its input, in grey levels (0–255).

    ``error``: mean over the small shifts (1–3 px by default, in x and in y); ``reference``: the
    same for the reference shift (4 px); ``per_shift``: ``error`` for each small shift, in order.
    """

    error: float
    reference: float
    per_shift: tuple[float, ...]

    @property
    def ratio(self) -> float:
        """``error ÷ reference`` (> 1 flags a lattice whose period divides the reference shift);
        inf when only ``reference`` is 0, NaN when both are."""
        if self.reference > 0.0:
            return self.error / self.reference
        return float("inf") if self.error > 0.0 else float("nan")

    def to_dict(self) -> dict[str, float | list[float]]:
        """The numbers as a JSON-friendly dict (``ratio`` included)."""
        return {"error": self.error, "reference": self.reference,
                "per_shift": list(self.per_shift), "ratio": self.ratio}


def _check_shifts(shifts: object) -> tuple[int, ...]:
    if isinstance(shifts, (str, bytes)) or not isinstance(shifts, Sequence) or len(shifts) == 0:
        raise ValueError(
            f"shifts must be a non-empty sequence of positive integers. Received: shifts={shifts!r}"
        )
    for s in shifts:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(
                f"shifts must be a non-empty sequence of positive integers. Received: shifts={shifts!r}"
            )
    return tuple(int(s) for s in shifts)


def shift_equivariance_error(
    stylize: Callable[[np.ndarray], np.ndarray],
    images: ImageBatch,
    shifts: Sequence[int] = (1, 2, 3),
    *,
    reference_shift: int = 4,
    margin: int = 16,
) -> ShiftEquivariance:
    """Mean ``|S(shift(x)) − shift(S(x))|`` for small shifts, beside the same for a reference shift.

    ``stylize`` maps uint8 frames ``(N, H, W, 3)`` to uint8 frames of the same shape. A pattern
    fixed to the pixel raster does not move with the content: a period-4 lattice (pixel shuffle
    ×4, stride-4 "screen door") is unchanged by a 4-px shift but not by 1–3 px, so
    ``ratio = error ÷ reference > 1`` flags it, while a stylizer whose output simply moves with
    its input has both near 0 (an identity: exactly 0).

    For each image (``m`` = the largest of ``shifts`` and ``reference_shift``): the base frame
    ``B`` = the image without its first ``m`` rows and columns, and for each shift ``d`` the
    same-size crop starting ``d`` px earlier in x (then in y), which is ``B`` with its content
    moved ``d`` px right (down) and real picture, not padding, coming in at the edge. All of
    them go through ``stylize`` in one batch. The error of a shift is the mean absolute
    difference, over pixels and RGB channels, in grey levels (0–255), between the stylized
    shifted crop and the stylized base moved by ``d``, over the interior (``margin`` px left
    out on every side, so border effects do not count). ``error`` is the mean over ``shifts``,
    both directions and all images; ``reference`` the same for ``reference_shift``.

    A net with a stride-8 stage is equivariant only to multiples of 8 px, so its ``reference``
    at 4 px holds that stage's period-8 part too; ``reference_shift=8`` measures the whole net.
    Every image must be larger than ``m + 2·margin`` in both dimensions; ``margin`` must be at
    least ``m``.
    """
    if not callable(stylize):
        raise ValueError(
            "stylize must be a callable taking uint8 frames (N, H, W, 3). "
            f"Received: stylize={type(stylize).__name__}"
        )
    imgs = _check_images(images, "images")
    shifts = _check_shifts(shifts)
    reference_shift = _check_positive_int(reference_shift, "reference_shift")
    largest = max((*shifts, reference_shift))
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < largest:
        raise ValueError(
            f"margin must be an integer at least the largest shift ({largest}). "
            f"Received: margin={margin!r}"
        )
    margin = int(margin)
    for i, img in enumerate(imgs):
        if min(img.shape[:2]) <= largest + 2 * margin:
            raise MediaError(
                f"shift_equivariance_error needs images larger than {largest + 2 * margin} px "
                f"(the largest shift + 2 x margin) in both dimensions. "
                f"Received: images[{i}].shape={img.shape}"
            )
    all_shifts = (*shifts, reference_shift)
    moves = [(0, d) for d in all_shifts] + [(d, 0) for d in all_shifts]  # (dy, dx)
    errors: dict[int, list[float]] = {d: [] for d in all_shifts}
    for img in imgs:
        h, w = img.shape[0] - largest, img.shape[1] - largest
        frames = [img[largest:, largest:]]
        frames += [img[largest - dy : largest - dy + h, largest - dx : largest - dx + w]
                   for dy, dx in moves]
        batch = np.ascontiguousarray(np.stack(frames))
        result = check_stylized(stylize(batch), batch, "stylize")
        base = result[0].astype(np.float32)
        for k, (dy, dx) in enumerate(moves, start=1):
            moved = base[margin - dy : h - margin - dy, margin - dx : w - margin - dx]
            shifted = result[k, margin : h - margin, margin : w - margin].astype(np.float32)
            errors[dy + dx].append(float(np.mean(np.abs(shifted - moved), dtype=np.float64)))
    per_shift = tuple(float(np.mean(errors[d])) for d in shifts)
    return ShiftEquivariance(
        error=float(np.mean([e for d in shifts for e in errors[d]])),
        reference=float(np.mean(errors[reference_shift])),
        per_shift=per_shift,
    )
