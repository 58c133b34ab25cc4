"""Benchmark: patterns fixed to the pixel raster (checkerboard, pixel-shuffle, 4x4 "screen door") per style.

Measured in one run, for every style in the registry (``list_styles()``: shipped, then user
styles; ``--styles`` picks some) at strength 1 (the card's tone anchor on, the precision
``load_stylizer`` picks), and for two baselines on the same frames:

* ``identity``: the input itself (grid ratio exactly 1, shift errors exactly 0);
* ``lattice``: the input plus a fixed 4x4 tile of +-6 grey levels (6/255; 8 of each sign, zero
  mean) repeated from the top-left pixel on R, G and B: what a faint screen door scores.

The frames: ``PHOTOS``, a fixed list of 8 content photos from ``../shared/data/content`` picked
for this measure only (each has a flat region, sky, snow or a wall, where a lattice shows; all 8
are in the held-out evaluation set of every shipped style), each scaled with INTER_AREA to fit
640x360 (aspect kept, even sides: 240x360 for the one portrait photo, 480x360 to 640x336 for
the others). Per style and baseline it prints

* ``grid``: ``grid_pattern_ratio(inputs, outputs)`` (periods 2 and 4 px): the mean over photos of
  the output's spectral peak-to-background ratio at the lattice bins / the input's; ~1: nothing
  fixed to the raster, >> 1: a lattice (see ``stylecut.core.metrics.grid_pattern_ratio``);
* ``shift 1-3`` and ``shift 4``: ``shift_equivariance_error`` (grey levels 0-255, 16-px border
  left out): mean |S(shift(x)) - shift(S(x))| for content shifts of 1, 2, 3 px in x and in y,
  and for 4 px; a period-4 lattice moves with a 4-px shift but not with 1-3 px, so
  ``1-3 / 4`` > 1 flags it, whatever the style's other shift errors (its real reaction to
  moved content, the tone anchor's frame-fixed grid) are; then the error of each small shift;
* ``grid range``: the smallest and largest per-photo grid ratio;
* ``shift 8``: the same error for an 8-px shift, for reference: the "s2d" generator has a
  1/8-resolution branch, so only a shift by a multiple of 8 px is a symmetry of the whole net
  and ``shift 4`` holds that branch's period-8 part as well (``1-3 / 4`` understates a period-4
  lattice; ``shift 8`` shows how far the output moves with its input at all).

It writes into ``--out`` (default ``stylecut-eval/grid``):

* ``grid-crops.png``: per photo, the 128x128 crop with the least input gradient energy (Sobel,
  luma 16-240 where possible, 16 px from the border), 1:1, no resize: input | each style |
  lattice baseline;
* ``grid-crops-highpass.png``: the same crops' high-pass (crop - Gaussian blur sigma 2) x4 + 128,
  where a lattice shows as a regular weave;
* ``grid.json``: the printed numbers.

Run from the repository root (about a minute per style on 2 CPU cores):

    .venv/bin/python benchmarks/bench_grid.py
    .venv/bin/python benchmarks/bench_grid.py --styles starry_night --photos 4 --out /tmp/grid

Exit status 0 (it is a report); 2 on bad arguments or when the shared photos are missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from bench_temporal import DATA, fit_size  # noqa: E402  (a sibling script)
from stylecut.core import contact_sheet, save_png  # noqa: E402
from stylecut.core.metrics import (  # noqa: E402
    ShiftEquivariance,
    grid_pattern_ratio,
    shift_equivariance_error,
)

PHOTOS = (  # for this measure only; each in every shipped style's evaluation.held_out
    "coco_000000000081.jpg",  # airliner in a cloudy sky
    "coco_000000000471.jpg",  # school bus under a clear sky
    "cbsd68_167062.jpg",  # wolf on snow
    "coco_000000000109.jpg",  # river, sky
    "coco_000000010977.jpg",  # bathroom, painted walls
    "neuralstyle_hoovertowernight.jpg",  # tower against a deep blue sky
    "coco_000000007511.jpg",  # beach and sky
    "coco_000000006818.jpg",  # bathroom, white tiles and wall
)
BOX = (640, 360)
CROP = 128
MARGIN = 16
LATTICE_AMPLITUDE = 6.0  # grey levels (6/255)


def lattice_tile(amplitude: float = LATTICE_AMPLITUDE) -> np.ndarray:
    """A fixed 4x4 tile: 8 cells +amplitude, 8 cells -amplitude (seeded order)."""
    signs = np.random.default_rng(0).permutation(np.repeat([1.0, -1.0], 8))
    return amplitude * signs.reshape(4, 4)


def add_lattice(frames: np.ndarray, tile: np.ndarray) -> np.ndarray:
    """uint8 frames (N, H, W, 3) plus ``tile`` repeated from the top-left pixel, on R, G, B."""
    h, w = frames.shape[1:3]
    pattern = np.tile(tile, (h // 4 + 1, w // 4 + 1))[:h, :w, None].astype(np.float32)
    return np.clip(np.rint(frames.astype(np.float32) + pattern), 0, 255).astype(np.uint8)


def load_photos(folder: Path, names: tuple[str, ...]) -> list[np.ndarray]:
    out = []
    for name in names:
        bgr = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(folder / name)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        w, h = fit_size(rgb.shape[1], rgb.shape[0], BOX)
        interpolation = cv2.INTER_AREA if w <= rgb.shape[1] else cv2.INTER_CUBIC
        out.append(cv2.resize(rgb, (w, h), interpolation=interpolation))
    return out


def flattest_crop(image: np.ndarray) -> tuple[int, int]:
    """Top-left (y, x) of the CROP x CROP window with the least Sobel gradient energy, at least
    MARGIN px from the border, preferring windows whose mean luma is in [16, 240] (not clipped)."""
    luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3)
    energy = cv2.boxFilter(gx * gx + gy * gy, -1, (CROP, CROP), anchor=(0, 0), normalize=True,
                           borderType=cv2.BORDER_CONSTANT)
    mean = cv2.boxFilter(luma, -1, (CROP, CROP), anchor=(0, 0), normalize=True,
                         borderType=cv2.BORDER_CONSTANT)
    h, w = luma.shape
    ys = np.arange(MARGIN, h - CROP - MARGIN + 1, 4)
    xs = np.arange(MARGIN, w - CROP - MARGIN + 1, 4)
    e = energy[np.ix_(ys, xs)].astype(np.float64)
    m = mean[np.ix_(ys, xs)]
    unclipped = (m >= 16) & (m <= 240)
    if unclipped.any():
        e[~unclipped] = np.inf
    iy, ix = np.unravel_index(int(np.argmin(e)), e.shape)
    return int(ys[iy]), int(xs[ix])


def highpass_view(crop: np.ndarray) -> np.ndarray:
    f = crop.astype(np.float32)
    return np.clip((f - cv2.GaussianBlur(f, (0, 0), 2.0)) * 4.0 + 128.0, 0, 255).astype(np.uint8)


def measure(name: str, stylize: Callable[[np.ndarray], np.ndarray], photos: list[np.ndarray]
            ) -> tuple[dict[str, object], list[np.ndarray]]:
    t0 = time.perf_counter()
    outputs = [stylize(p[None])[0] for p in photos]
    grid = grid_pattern_ratio(photos, outputs)
    shift: ShiftEquivariance = shift_equivariance_error(stylize, photos, (1, 2, 3), reference_shift=4,
                                                        margin=MARGIN)
    per_photo = [grid_pattern_ratio(p, o) for p, o in zip(photos, outputs, strict=True)]
    shift8 = shift_equivariance_error(stylize, photos, (8,), reference_shift=8, margin=MARGIN)
    row = {"name": name, "grid": grid, **shift.to_dict(), "grid_per_photo": per_photo,
           "shift8": shift8.error, "seconds": time.perf_counter() - t0}
    return row, outputs


def fmt_ratio(x: float) -> str:
    return f"{x:8.2f}" if math.isfinite(x) else f"{x!s:>8}"


def print_row(row: dict[str, object]) -> None:
    per = "/".join(f"{v:.2f}" for v in row["per_shift"])  # type: ignore[attr-defined]
    span = f"{min(row['grid_per_photo']):.2f}-{max(row['grid_per_photo']):.2f}"  # type: ignore[arg-type]
    print(f"{row['name']:<30} {row['grid']:9.3f} {span:>13} {row['error']:10.3f} {row['reference']:8.3f} "
          f"{fmt_ratio(row['ratio'])} {per:>17} {row['shift8']:8.3f}   ({row['seconds']:.0f} s)",  # type: ignore[arg-type]
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="See the module docstring for what is measured.")
    parser.add_argument("--styles", nargs="+", metavar="NAME",
                        help="installed style names or card paths (default: every style in the registry)")
    parser.add_argument("--photos", type=int, default=len(PHOTOS),
                        help=f"how many of the {len(PHOTOS)} fixed photos to use (default %(default)s)")
    parser.add_argument("--content", type=Path, default=DATA / "content",
                        help="folder holding the photos (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("stylecut-eval") / "grid",
                        help="output folder for the crop sheets and JSON (default: %(default)s)")
    args = parser.parse_args(argv)
    if not 1 <= args.photos <= len(PHOTOS):
        parser.error(f"--photos must be in [1, {len(PHOTOS)}]. Received: --photos {args.photos}")
    names = PHOTOS[:args.photos]
    missing = [n for n in names if not (args.content / n).is_file()]
    if missing:
        where = (f"{args.content} does not exist" if not args.content.is_dir()
                 else f"{len(missing)} of the {len(names)} photos are missing there, e.g. {missing[0]}")
        print(f"bench_grid: no content photos to measure: {where} (the shared data, "
              f"../shared/data/content; or pass --content)", file=sys.stderr)
        return 2
    photos = load_photos(args.content, names)

    from stylecut.core.errors import ModelError, StyleNotFoundError
    from stylecut.models.registry import find_style, list_styles, load_stylizer

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # photos differ in size: retracing notes

    try:
        cards = [find_style(s) for s in args.styles] if args.styles else list_styles()
    except (StyleNotFoundError, ModelError) as exc:
        parser.error(str(exc))
    if not cards:
        parser.error("no style is installed")
    # one label per style; a name given twice (a shipped style and a card of the same name elsewhere)
    # gets its folder added
    counts = {c.name: sum(d.name == c.name for d in cards) for c in cards}
    labels_of = {c.card_path: c.name if counts[c.name] == 1 else f"{c.name} ({c.card_path.parent.name})"
                 for c in cards}
    sizes = sorted({f"{p.shape[1]}x{p.shape[0]}" for p in photos})
    print(f"{len(photos)} photos ({', '.join(sizes)}), {len(cards)} styles, strength 1; "
          f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.2f}")
    print("grid: grid_pattern_ratio, periods 2 and 4 px (~1 clean, >>1 lattice); shift: "
          "mean |S(shift x) - shift S(x)|, grey levels 0-255, 16-px border left out")
    head = (f"{'style / baseline':<30} {'grid':>9} {'grid range':>13} {'shift 1-3':>10} {'shift 4':>8} "
            f"{'1-3 / 4':>8} {'shift 1/2/3':>17} {'shift 8':>8}")
    print(head)
    print("-" * len(head))

    tile = lattice_tile()
    rows = []
    crops: dict[str, list[np.ndarray]] = {}
    spots = [flattest_crop(p) for p in photos]

    def cut(images: list[np.ndarray]) -> list[np.ndarray]:
        return [img[y:y + CROP, x:x + CROP] for img, (y, x) in zip(images, spots, strict=True)]

    crops["input"] = cut(photos)
    baselines: list[tuple[str, Callable[[np.ndarray], np.ndarray]]] = [
        ("identity (input)", lambda f: f),
        (f"lattice 4x4 +-{LATTICE_AMPLITUDE:g}/255", lambda f: add_lattice(f, tile)),
    ]
    for name, fn in baselines:
        row, outputs = measure(name, fn, photos)
        rows.append(row)
        print_row(row)
        if name.startswith("lattice"):
            crops["lattice"] = cut(outputs)
    for card in cards:
        t0 = time.perf_counter()
        stylizer = load_stylizer(card)
        load_s = time.perf_counter() - t0

        def stylize(frames: np.ndarray, stylizer=stylizer) -> np.ndarray:
            return stylizer.stylize(frames, np.ones(len(frames), np.float32))

        row, outputs = measure(labels_of[card.card_path], stylize, photos)
        row["precision"] = getattr(stylizer, "precision", "?")
        row["arch"] = card.data.get("generator", {}).get("arch")
        row["load_seconds"] = load_s
        rows.append(row)
        print_row(row)
        crops[labels_of[card.card_path]] = cut(outputs)

    args.out.mkdir(parents=True, exist_ok=True)
    order = ["input"] + [labels_of[c.card_path] for c in cards] + ["lattice"]
    labels = [n[:13] for n in order]
    grid_rows = [[crops[k][i] for k in order] for i in range(len(photos))]
    sheet = save_png(args.out / "grid-crops.png",
                     contact_sheet(grid_rows, column_labels=labels, row_labels=list(names), height=CROP))
    hp = save_png(args.out / "grid-crops-highpass.png",
                  contact_sheet([[highpass_view(c) for c in r] for r in grid_rows], column_labels=labels,
                                row_labels=list(names), height=CROP))
    report = {"photos": list(names), "sizes": [list(p.shape[:2]) for p in photos],
              "crops_yx": [list(s) for s in spots], "rows": rows}
    (args.out / "grid.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {sheet}, {hp} and {args.out / 'grid.json'} "
          f"(columns: {', '.join(order)}; crops {CROP}x{CROP} at 1:1)")
    print(f"load avg at end {os.getloadavg()[0]:.2f} (the training job shares these cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
