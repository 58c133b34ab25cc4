"""Benchmark: what the adversarial loss adds. Two styles of one painting, compared in one run.

``--ours`` (e.g. trained with the discriminator and the perceptual losses) and ``--baseline``
(e.g. the perceptual-only Johnson-2016 recipe: ``stylecut train --w-adv 0``, same generator, same
``--max-minutes``) stylise the same photos: by default ``--ours``'s held-out photos, the
``--split`` half of them (``test``: never used to choose anything). For each, in the same run:

* the metrics of ``stylecut evaluate`` (texture, colour, stroke distance to the painting, each
  also ÷ Reinhard colour transfer's; structure; diversity), and ours ÷ baseline;
* ``grid``: ``grid_pattern_ratio`` (periods 2 and 4 px; ~1: nothing fixed to the pixel raster)
  and ``shift 1-3 / 4``: ``shift_equivariance_error``'s ratio (> 1 flags a period-4 lattice).

It writes into ``--out`` (default ``stylecut-eval/ablation-<ours>``): ``ablation.json``,
``ablation.md`` (the table) and ``sheet.png``: per photo input | baseline | ours | painting,
then 1:1 crops (no resize) of the photo's flattest 128×128 region (sky, snow, wall) in the
input, baseline and ours, and a 1:1 crop of the painting.

    .venv/bin/python benchmarks/bench_ablation.py --ours starry_night --baseline runs/x/x.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from bench_grid import CROP, flattest_crop  # noqa: E402  (a sibling script)
from stylecut.core import contact_sheet, save_png  # noqa: E402
from stylecut.core.evaluation import evaluate_images  # noqa: E402
from stylecut.core.metrics import grid_pattern_ratio, shift_equivariance_error  # noqa: E402

METRICS = ("texture", "colour", "stroke", "structure", "diversity")


def measure(card, contents: list[np.ndarray], styles: list[np.ndarray], seed: int) -> tuple[dict, list]:
    from stylecut.models.registry import load_stylizer

    stylizer = load_stylizer(card)

    def stylize(frames: np.ndarray) -> np.ndarray:
        return stylizer.stylize(frames, np.ones(len(frames), np.float32))

    outputs = [stylize(img[None])[0] for img in contents]
    result = evaluate_images(contents, outputs, styles, seed=seed)
    big = [img for img in contents if min(img.shape[:2]) >= 96][:8]
    result["grid"] = grid_pattern_ratio(contents, outputs)
    result["shift"] = shift_equivariance_error(stylize, big, (1, 2, 3), reference_shift=4).to_dict()
    return result, outputs


def table(rows: dict[str, dict]) -> str:
    names = list(rows)
    lines = ["| metric | " + " | ".join(names) + f" | {names[0]} ÷ {names[1]} |",
             "|---" * (len(names) + 2) + "|"]
    for m in METRICS:
        vals = [rows[n]["output"][m] for n in names]
        lines.append(f"| {m} | " + " | ".join(f"{v:.4f}" for v in vals) + f" | {vals[0] / vals[1]:.2f} |")
    for m in ("texture", "colour", "stroke"):
        vals = [rows[n]["ratios"]["reinhard"][m] for n in names]
        cells = " | ".join(f"{v:.3f}" for v in vals)
        lines.append(f"| {m} ÷ Reinhard | {cells} | {vals[0] / vals[1]:.2f} |")
    vals = [rows[n]["grid"] for n in names]
    lines.append("| grid (≈1 clean) | " + " | ".join(f"{v:.2f}" for v in vals) + " | |")
    vals = [rows[n]["shift"]["ratio"] for n in names]
    lines.append("| shift 1-3 ÷ 4 | " + " | ".join(f"{v:.2f}" for v in vals) + " | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ours", required=True, metavar="NAME|CARD", help="the style under test")
    parser.add_argument("--baseline", required=True, metavar="NAME|CARD", help="the style compared with")
    parser.add_argument("--split", choices=("all", "val", "test"), default="test",
                        help="half of --ours's held-out photos (default: %(default)s)")
    parser.add_argument("--data-root", type=Path, default=Path("../shared/data"),
                        help="folder the cards' image paths are relative to (default: %(default)s)")
    parser.add_argument("--rows", type=int, default=4, help="photos on the sheet (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    from stylecut.core.errors import StylecutError
    from stylecut.models.data import validation_split
    from stylecut.models.registry import find_style
    from stylecut.plugin.evaluate_cmd import load_image

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        ours, base = find_style(args.ours), find_style(args.baseline)
    except StylecutError as exc:
        parser.error(str(exc))
    held_out = ours.data.get("evaluation", {}).get("held_out") or []
    names = validation_split([Path(n).name for n in held_out], args.split)
    paths = [args.data_root / n for n in held_out if Path(n).name in set(names)]
    style_file = args.data_root / str(ours.data.get("style_source", {}).get("file", ""))
    if not paths or not all(p.is_file() for p in paths) or not style_file.is_file():
        print(f"bench_ablation: {ours.name}'s held-out photos or painting are not under {args.data_root} "
              "(the shared data; or pass --data-root)", file=sys.stderr)
        return 2
    contents = [load_image(p) for p in paths]
    styles = [load_image(style_file)]
    print(f"{ours.name} vs {base.name}: {len(contents)} photos ({args.split} split), "
          f"painting {style_file.name}; {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.2f}", flush=True)
    rows, outputs = {}, {}
    for card in (ours, base):
        rows[card.name], outputs[card.name] = measure(card, contents, styles, args.seed)
        rows[card.name]["recipe"] = card.data.get("training", {}).get("recipe")
    text = table(rows)
    print(text)
    out = args.out or Path("stylecut-eval") / f"ablation-{ours.name}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps({"split": args.split, "photos": [str(p) for p in paths],
                                                   "styles": rows}, indent=2) + "\n")
    (out / "ablation.md").write_text(f"# {ours.name} vs {base.name} ({args.split} split)\n\n{text}")
    painting = styles[0]
    py, px = flattest_crop(painting) if min(painting.shape[:2]) > CROP + 40 else (0, 0)
    grid, labels = [], []
    for i in range(min(args.rows, len(contents))):
        y, x = flattest_crop(contents[i]) if min(contents[i].shape[:2]) > CROP + 40 else (0, 0)
        row = [contents[i], outputs[base.name][i], outputs[ours.name][i]]
        grid.append([*row, painting, *(img[y:y + CROP, x:x + CROP] for img in row),
                     painting[py:py + CROP, px:px + CROP]])
        labels.append(f"{paths[i].name}: input | {base.name} | {ours.name} | painting | 1:1 crops")
    save_png(out / "sheet.png", contact_sheet(grid, row_labels=labels, height=256))
    print(f"wrote {out / 'ablation.md'}, ablation.json, sheet.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
