"""Benchmark: a style's quality numbers on photos rendered as video, beside the same photos as stills.

An independent check renders unseen photos as 640×360 moving clips through ``stylecut render``
and measures the frames: a style that passes only on still photos does not pass. This does the
same on the style's own held-out photos (``--split``, default ``test``: never tuned on): each
photo covers a 736×456 canvas, a 640×360 view drifts over it (bench_warping_truth's handheld
``drift``, about 0.3 px/frame) for ``--frames`` frames, x264 CRF 23, 30 fps; the clip is
rendered with ``--temporal stable`` (and ``off``) into FFV1, and the middle frame of input and
output is measured. In the same run, the middle view stylised as a still photo (the stylizer
called on it directly) is measured too. Printed: the metrics of ``stylecut evaluate`` (ratios to
Reinhard colour transfer on the same frames) for still, ``off`` and ``stable``.

    .venv/bin/python benchmarks/bench_video_eval.py --style starry_night [--photos 12]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from bench_temporal import read_frames, render_timed  # noqa: E402  (sibling scripts)
from bench_warping_truth import PAD, H, W, cover, encode, motion  # noqa: E402
from stylecut.core.evaluation import evaluate_images  # noqa: E402

CRF = 23


def row(label: str, result: dict) -> str:
    r, o = result["ratios"]["reinhard"], result["output"]
    return (f"{label:<10} {r['texture']:8.3f} {r['colour']:8.3f} {r['stroke']:8.3f} "
            f"{o['structure']:10.3f} {o['diversity']:10.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", required=True, metavar="NAME|CARD")
    parser.add_argument("--split", choices=("all", "val", "test"), default="test")
    parser.add_argument("--photos", type=int, default=12, help="at most this many (default %(default)s)")
    parser.add_argument("--frames", type=int, default=24, help="frames per clip (default %(default)s)")
    parser.add_argument("--data-root", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    if args.photos < 2 or args.frames < 3:
        parser.error(f"--photos must be >= 2 and --frames >= 3. Received: {args.photos}, {args.frames}")

    from stylecut.core.errors import StylecutError
    from stylecut.models.data import validation_split
    from stylecut.models.registry import find_style, load_stylizer
    from stylecut.plugin.evaluate_cmd import load_image

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        card = find_style(args.style)
    except StylecutError as exc:
        parser.error(str(exc))
    held_out = card.data.get("evaluation", {}).get("held_out") or []
    names = set(validation_split([Path(n).name for n in held_out], args.split))
    paths = [args.data_root / n for n in held_out if Path(n).name in names][: args.photos]
    painting = args.data_root / str(card.data.get("style_source", {}).get("file", ""))
    if len(paths) < 2 or not all(p.is_file() for p in paths) or not painting.is_file():
        print(f"bench_video_eval: {card.name}'s held-out photos or painting are not under {args.data_root} "
              "(the shared data; or pass --data-root)", file=sys.stderr)
        return 2
    stylizer = load_stylizer(card)
    one = np.ones(1, np.float32)
    tx, ty = motion("drift", args.frames)
    mid = args.frames // 2
    inputs, still, off, stable = [], [], [], []
    t0 = time.perf_counter()
    print(f"{card.name}: {len(paths)} photos ({args.split} split) as {W}x{H} clips of {args.frames} frames "
          f"(drift, x264 CRF {CRF}); load avg {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(paths):
            canvas = cover(load_image(path, long_side=2048), W + 2 * PAD, H + 2 * PAD)
            clip = Path(tmp) / f"in{i}.mp4"
            frames = encode(clip, canvas, tx, ty, CRF)
            inputs.append(frames[mid])
            still.append(stylizer.stylize(frames[mid][None], one)[0])
            for temporal, outs in (("off", off), ("stable", stable)):
                dst = Path(tmp) / f"out{i}-{temporal}.mkv"
                render_timed(clip, dst, stylizer, temporal, (W, H), args.frames)
                outs.append(read_frames(dst, args.frames)[mid])
    styles = [load_image(painting)]
    print(f"{'frames':<10} {'texture':>8} {'colour':>8} {'stroke':>8} {'structure':>10} {'diversity':>10}"
          "   (texture/colour/stroke: ÷ Reinhard on the same frames)")
    for label, outs in (("still", still), ("off", off), ("stable", stable)):
        print(row(label, evaluate_images(inputs, outs, styles)), flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
