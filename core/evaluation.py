"""Evaluate a style on still images against the baselines of DESIGN.md ("Quality").

For the stylizer's outputs and, on the same content images, for three baselines — ``input``
(unchanged), ``reinhard`` (Reinhard colour transfer to the style) and ``reinhard_noise``
(Reinhard + Gaussian noise σ = 20/255, the control that lowers texture distance without brush
strokes) — report texture, colour, total, stroke, structure and diversity, plus the ratios of the
outputs' texture/colour/stroke distances to the baselines' (below 1: closer to the style).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .colour_transfer import add_gaussian_noise, reinhard_transfer
from .metrics import _check_images, evaluate_outputs
from .sheets import contact_sheet
from .stylizer import check_stylized

__all__ = ["BASELINES", "METRICS", "evaluate_images", "evaluate_style", "markdown_table", "sheet"]

BASELINES = ("input", "reinhard", "reinhard_noise")
METRICS = ("texture", "colour", "total", "stroke", "structure", "diversity")
_RATIO_KEYS = ("texture", "colour", "stroke")
_NOISE_SIGMA = 20 / 255


def _ratios(output: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    return {k: (output[k] / baseline[k] if baseline[k] else None) for k in _RATIO_KEYS}


def evaluate_images(
    content_images: Sequence[np.ndarray],
    outputs: Sequence[np.ndarray],
    style_images: Sequence[np.ndarray],
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics of ``outputs`` (stylized ``content_images``) and of the baselines, as a JSON dict:
    ``{"images", "seed", "output": {metric: value}, "baselines": {name: {metric: value}},
    "ratios": {"reinhard": {texture, colour, stroke}, "reinhard_noise": {...}}}``."""
    contents = _check_images(content_images, "content_images")
    outs = _check_images(outputs, "outputs")
    styles = _check_images(style_images, "style_images")
    if len(contents) != len(outs):
        raise ValueError("content_images and outputs must hold the same number of images. "
                         f"Received: len(content_images)={len(contents)}, len(outputs)={len(outs)}")
    reinhard = [reinhard_transfer(img, styles) for img in contents]
    candidates = {
        "input": contents,
        "reinhard": reinhard,
        "reinhard_noise": [add_gaussian_noise(img, _NOISE_SIGMA, seed=seed + i)
                           for i, img in enumerate(reinhard)],
    }
    report = evaluate_outputs(contents, outs, styles, seed=seed).to_dict()
    baselines = {name: evaluate_outputs(contents, imgs, styles, seed=seed).to_dict()
                 for name, imgs in candidates.items()}
    return {
        "images": len(contents),
        "style_images": len(styles),
        "seed": seed,
        "output": report,
        "baselines": baselines,
        "ratios": {name: _ratios(report, baselines[name]) for name in ("reinhard", "reinhard_noise")},
    }


def evaluate_style(
    stylize_fn: Callable[[np.ndarray], np.ndarray],
    content_images: list[np.ndarray],
    style_images: list[np.ndarray],
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """Stylize each content image with ``stylize_fn`` (uint8 RGB (H, W, 3) -> same shape) and
    return :func:`evaluate_images` of the outputs."""
    contents = _check_images(content_images, "content_images")
    outputs = []
    for i, img in enumerate(contents):
        outputs.append(check_stylized(stylize_fn(img), img, f"stylize_fn (image {i})"))
    return evaluate_images(contents, outputs, style_images, seed=seed)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def markdown_table(result: dict[str, Any]) -> str:
    """The result of :func:`evaluate_images` as a Markdown table (+ ratios and speed lines)."""
    header = "| | " + " | ".join(METRICS) + " |"
    lines = [header, "|---" * (len(METRICS) + 1) + "|"]
    rows = [("**output**", result["output"])] + [(name, result["baselines"][name]) for name in BASELINES]
    for label, row in rows:
        lines.append(f"| {label} | " + " | ".join(_fmt(row.get(k)) for k in METRICS) + " |")
    lines.append("")
    lines.append(f"{result['images']} content images, {result['style_images']} style image(s), "
                 f"seed {result['seed']}. Distances: lower is closer to the style; structure: SSIM "
                 "with the input (1 = identical); diversity: outputs ÷ inputs (≈0: mode collapse).")
    lines.append("")
    for name, ratios in result["ratios"].items():
        lines.append(f"- output ÷ {name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in ratios.items()))
    speed = result.get("speed")
    if speed:
        lines.append(f"- speed: {speed['ms_per_frame']:.1f} ms/frame at {speed['width']}×{speed['height']} "
                     f"(batch {speed['batch']}, {speed.get('precision') or '?'}, "
                     f"median of {speed['runs']} runs)")
    return "\n".join(lines) + "\n"


def _centre_crop(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    ch, cw = min(size, h), min(size, w)
    top, left = (h - ch) // 2, (w - cw) // 2
    return image[top:top + ch, left:left + cw]


def sheet(
    content_images: Sequence[np.ndarray],
    outputs: Sequence[np.ndarray],
    style_images: Sequence[np.ndarray],
    *,
    labels: Sequence[str] | None = None,
    rows: int = 4,
    crop: int = 256,
) -> np.ndarray:
    """Contact sheet: per row input | output | style | a ``crop``×``crop`` centre crop of the
    input and of the output at full resolution (1:1 pixels), for the first ``rows`` images;
    each row is labelled (``labels``, e.g. the file names) with its column order."""
    contents = _check_images(content_images, "content_images")
    outs = _check_images(outputs, "outputs")
    styles = _check_images(style_images, "style_images")
    n = min(rows, len(contents), len(outs))
    if n < 1:
        raise ValueError(f"sheet needs at least one row. Received: rows={rows}")
    grid = [[contents[i], outs[i], styles[i % len(styles)], _centre_crop(contents[i], crop),
             _centre_crop(outs[i], crop)] for i in range(n)]
    names = [labels[i] if labels is not None and i < len(labels) else f"#{i}" for i in range(n)]
    order = "input | output | style | input 1:1 | output 1:1"
    return contact_sheet(grid, row_labels=[f"{name}:  {order}" for name in names], height=crop)
