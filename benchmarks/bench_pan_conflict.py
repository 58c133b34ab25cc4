"""Benchmark: where the camera pans over plain surfaces, which output meets which temporal bar?

Issue 18 asks a stabilised render for two things on every real clip: static-region flicker
(``core.metrics.static_flicker``: no optical flow; a pixel is static when its blurred input
luma changes by < 1.5 grey levels) <= 1.0/255, and a warping error (along the metric's DIS flow)
<= 0.5 x the per-frame output's. Where a camera pans over a plain wall or sky, the input hardly
changes, so the flicker measure calls those pixels static while the flow says they move: a
painting that stays on the screen pays in warping error, one that moves with the wall pays in
flicker. This script measures, per clip (first ``--frames`` frames at <= 640x360):

* ``per-frame``: every frame stylised on its own;
* ``stable``: ``--temporal stable`` as the renderer runs it (the steadied input stylised, then
  blended), with the default still hold (held areas stay on the screen);
* ``follow pans``: the same with held areas following camera pans (``--follow-pans``);
* ``dragged``: the first per-frame output carried along the metric's own flow, frame by frame
  (the warping error's best case: near 0 by construction; its strokes blur a little at each
  warp, which lowers its flicker);

and the mixes "stable where the camera is still, X in the pan pairs" (pan pair: the median of
the metric's flow moves >= ``--pan`` px), each as static flicker (/255) and WE ÷ per-frame.

    .venv/bin/python benchmarks/bench_pan_conflict.py --clips iphone_rotated     # ~5 min
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from bench_temporal import (  # noqa: E402  (a sibling script)
    DATA,
    find_clips,
    fit_size,
    load_style_or_default,
    read_frames,
)
from bench_warping_truth import stabilise, stylize  # noqa: E402  (a sibling script)
from stylecut.core import FlowEstimator, FlowSettings, VideoReader  # noqa: E402
from stylecut.core.metrics import static_flicker, warping_error  # noqa: E402
from stylecut.core.temporal import (  # noqa: E402
    DEFAULT_STABILISER,
    FOLLOW_PANS_FROM,
    FOLLOW_PANS_STABILISER,
    backward_warp,
)

BAR_SF, BAR_WE = 1.0, 0.5


def pair_scores(ins: list[np.ndarray], outs: list[np.ndarray]) -> np.ndarray:
    """Per consecutive pair: (flicker sum over static pixels, static fraction, warping error)."""
    rows = []
    for t in range(1, len(ins)):
        sf = static_flicker(ins[t - 1:t + 1], outs[t - 1:t + 1])
        n = sf.static_fraction
        rows.append((sf.output * n if n > 0 else 0.0, n, warping_error(ins[t - 1:t + 1], outs[t - 1:t + 1])))
    return np.array(rows)


def summary(rows: np.ndarray, we_pf: float) -> tuple[float, float]:
    """(static flicker over the clip, warping error ÷ the per-frame output's)."""
    return float(rows[:, 0].sum() / max(rows[:, 1].sum(), 1e-9)), float(rows[:, 2].mean() / we_pf)


def measure(stylizer, ins: list[np.ndarray], pan: float) -> None:
    metric = FlowEstimator(FlowSettings(scale=1.0, preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM))
    per_frame = stylize(stylizer, ins)
    dragged, moves = [per_frame[0]], []
    for t in range(1, len(ins)):
        flow = metric.flow(ins[t], ins[t - 1])
        moves.append(float(np.hypot(np.median(flow[..., 0]), np.median(flow[..., 1]))))
        dragged.append(backward_warp(dragged[-1], flow))
    outputs = {
        "per-frame": per_frame,
        "stable": stabilise(stylizer, ins, DEFAULT_STABILISER),
        "follow pans": stabilise(stylizer, ins, FOLLOW_PANS_STABILISER),
        "dragged": dragged,
    }
    rows = {name: pair_scores(ins, seq) for name, seq in outputs.items()}
    we_pf = float(rows["per-frame"][:, 2].mean())
    panning = np.array(moves) >= pan
    print(f"  pan pairs (median metric flow >= {pan} px): {int(panning.sum())} of {len(panning)}; "
          f"largest {max(moves):.1f} px/frame")
    print(f"  {'output':<40} {'static flicker':>14} {'WE / per-frame':>15}   bars: <= {BAR_SF}, <= {BAR_WE}")
    lines = [(name, rows[name]) for name in outputs]
    if panning.any():
        for name in ("per-frame", "follow pans", "dragged"):
            mixed = rows["stable"].copy()
            mixed[panning] = rows[name][panning]
            lines.append((f"stable, {name} in the pan pairs", mixed))
    for name, r in lines:
        sf, we = summary(r, we_pf)
        verdict = "both" if sf <= BAR_SF and we <= BAR_WE else (
            "flicker only" if sf <= BAR_SF else "WE only" if we <= BAR_WE else "neither")
        print(f"  {name:<40} {sf:14.3f} {we:15.2f}   meets {verdict}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--style", help="installed style name or card path (default: the default style)")
    parser.add_argument("--videos", type=Path, default=DATA / "videos",
                        help="folder of real clips (default: %(default)s)")
    parser.add_argument("--clips", nargs="+", metavar="SUBSTR",
                        help="only clips whose file name contains one of these")
    parser.add_argument("--frames", type=int, default=90, help="frames per clip (default %(default)s)")
    parser.add_argument("--pan", type=float, default=FOLLOW_PANS_FROM,
                        help="camera motion (px/frame) that makes a pair a pan pair (default %(default)s)")
    args = parser.parse_args(argv)
    if args.frames < 3:
        parser.error(f"--frames must be at least 3. Received: --frames {args.frames}")
    if not args.pan > 0:
        parser.error(f"--pan must be a positive number. Received: --pan {args.pan}")
    if not args.videos.is_dir():
        print(f"no clips: {args.videos} is not a folder")
        return 1

    card, stylizer = load_style_or_default(parser, args.style)
    print(f"style: {card.name}; first {args.frames} frames per clip at <= 640x360; "
          f"load avg {os.getloadavg()[0]:.2f}")
    for src in find_clips(args.videos, args.clips, None):
        t0 = time.perf_counter()
        with VideoReader(src) as reader:
            n, size = min(args.frames, len(reader)), fit_size(reader.width, reader.height)
        print(f"\n{src.name} ({n} frames, {size[0]}x{size[1]})")
        measure(stylizer, read_frames(src, n, size), args.pan)
        print(f"  ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
