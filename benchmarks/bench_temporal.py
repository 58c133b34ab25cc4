"""Benchmark: temporal coherence of stabilised (``temporal="stable"``) vs per-frame renders.

Measured in one run, on the real clips in ``<repo>/../shared/data/videos`` and on a generated
640x360 clip (a photo panning behind a fast-moving textured disc), each read as its first N
frames scaled to fit 640x360 (aspect kept, even dimensions):

* every clip is rendered through ``stylecut.core.render`` with the style, per-frame
  (``temporal="off"``) and stabilised (``temporal="stable"``), into lossless FFV1 .mkv, so the
  metrics see exactly what the pipeline produced; the renders alternate (off, stable, off, ...)
  ``--repeats`` times after a warm-up render, and the wall-clock median of each mode gives fps;
* the input (decoded at the same size, as the render's decoder does), per-frame and stabilised
  frames are read back; ``warping_error`` (DIS MEDIUM, full resolution) is computed for each,
  and ``style_distance`` / ``stroke_distance`` against the style image on ``--style-frames``
  evenly spaced frames (the same frames for both modes);
* beside the warping error, ``static_flicker`` (no optical flow): the mean frame-to-frame luma
  change (0-255) of each output over the pixels where the input does not move, and the input's
  own change on the same pixels (its noise, grain, compression).

The bars (issue "temporal coherence"):

* WE(stable) <= 0.5 x WE(per-frame)  and  WE(stable) <= 1.5 x WE(input) (the latter retired by
  issue 18, still printed);
* static-region flicker of the stabilised output <= 1.0/255 and <= 3 x the input's own
  (issue 18: where nothing moves, the painting must not boil);
* style distance of the stabilised output (total, texture and colour) <= 1.1 x the per-frame
  output's (the style is not washed out);
* stabilised render fps >= 0.7 x per-frame render fps (at ~640x360);
* no visible ghosting: ``<out>/temporal-sheet.png`` shows the fastest-motion segment (the clip
  and frames with the largest 99th-percentile input flow magnitude) as rows of consecutive
  frames: input | per-frame | stable, then 1:1 crops of the fastest-moving region of the three
  and |stable - per-frame| x8 of that crop (ghost trails show up there as shapes).

A **propagation floor** is reported next to each clip: the first per-frame output dragged along
the input's motion (each frame = the previous one warped by the flow, nothing new blended in),
with the stabiliser's flow (``STABILISER_FLOW``) and with the metric's own flow (DIS MEDIUM, full
size). It is the warping error of a perfectly frozen texture that only moves with that flow:
a stabiliser that takes anything from new frames cannot go below it, so where the floor / input
ratio is above 1.5 the st/in bar is out of reach for that flow.

``benchmarks/bench_warping_truth.py`` checks the st/in bar against ground truth (generated clips
with known motion, and a perfectly stable "ideal" output): on flat or slowly drifting footage
even the ideal output is above 1.5x the input's warping error.

``--style-b`` (ablation, e.g. a style trained without the temporal loss) is rendered the same
way and reported with the same warping errors.

Run from the repository root (a few minutes on 2 CPU cores; --quick is a ~1-minute smoke run):

    .venv/bin/python benchmarks/bench_temporal.py --style starry_night
    .venv/bin/python benchmarks/bench_temporal.py --style /path/to/card.json --quick
    .venv/bin/python benchmarks/bench_temporal.py --style A --style-b B --frames 60 --out /tmp/x

Exit status is 0 whether bars pass or fail (it is a report); non-zero only on a crash or on
bad arguments (unknown style).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from stylecut.core import (  # noqa: E402
    EncodeSettings,
    FlowEstimator,
    FlowSettings,
    PassthroughStylizer,
    RenderSettings,
    VideoReader,
    contact_sheet,
    render,
    save_png,
)
from stylecut.core.metrics import (  # noqa: E402
    static_flicker,
    stroke_distance,
    style_distance,
    warping_error,
)
from stylecut.core.temporal import (  # noqa: E402
    DEFAULT_STABILISER,
    FOLLOW_PANS_STABILISER,
    STABILISER_FLOW,
    Stabiliser,
    StabiliserSettings,
    backward_warp,
)
from stylecut.core.testing import make_clip  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
VIDEO_EXTS = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
BOX = (640, 360)  # frames are scaled to fit this box
BAR_WE_OFF = 0.5
BAR_WE_INPUT = 1.5
BAR_STYLE = 1.1
BAR_SPEED = 0.7
BAR_SF = 1.0  # static-region flicker of the stable output, grey levels (0-255)
BAR_SF_INPUT = 3.0  # ... and x the input's own
BAR_IN_POINT = 3.0  # mean |in-point render - full render|, grey levels
SHEET_FRAMES = 4
CROP = 180  # crop side; the sheet's row height, so crops are shown 1:1


# --- clips ----------------------------------------------------------------------------------
def fit_size(width: int, height: int, box: tuple[int, int] = BOX) -> tuple[int, int]:
    """(w, h) fitting ``box`` with the aspect ratio kept, both even."""
    scale = min(box[0] / width, box[1] / height)
    w = max(2, 2 * round(width * scale / 2))
    h = max(2, 2 * round(height * scale / 2))
    return w, h


def _texture(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A real photo (content set) if one is there, else smoothed coloured noise."""
    content = DATA / "content"
    photos = sorted(content.glob("*.jpg")) if content.is_dir() else []
    if photos:
        img = cv2.imread(str(photos[int(rng.integers(len(photos)))]), cv2.IMREAD_COLOR)
        if img is not None:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            scale = height / img.shape[0]
            img = cv2.resize(img, (max(1, round(img.shape[1] * scale)), height),
                             interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
            if img.shape[1] < width:  # mirror-tile so the pan never runs out of picture
                reps = math.ceil(width / img.shape[1])
                tiles = [img if i % 2 == 0 else img[:, ::-1] for i in range(reps)]
                img = np.concatenate(tiles, axis=1)
            return np.ascontiguousarray(img[:, :width])
    noise = rng.integers(0, 256, (height // 6 + 1, width // 6 + 1, 3), dtype=np.uint8)
    return cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)


def generated_clip(folder: Path, frames: int) -> Path:
    """640x360 H.264: a photo panning 4 px/frame right and 1 px/frame down, and a 100 px textured
    disc crossing it at ~24 px/frame (bouncing), so there are fast motion and disocclusions."""
    w, h = BOX
    path = folder / f"generated-pan-{frames}f-v2.mp4"
    if path.exists() and path.stat().st_size > 0:
        return path
    rng = np.random.default_rng(7)
    pan_x, pan_y = 4, 1
    background = _texture(w + pan_x * frames + 8, h + pan_y * frames + 8, rng)
    radius = 50
    yy, xx = np.mgrid[0:2 * radius, 0:2 * radius]
    mask = (yy - radius + 0.5) ** 2 + (xx - radius + 0.5) ** 2 <= radius**2
    checker = ((yy // 10 + xx // 10) % 2).astype(bool)[..., None]  # high contrast: ghosts show
    disc = np.where(checker, np.array([230, 40, 40], np.uint8), np.array([30, 60, 220], np.uint8))
    grain = _texture(2 * radius, 2 * radius, np.random.default_rng(11)).astype(np.int16) - 128
    disc = np.clip(disc.astype(np.int16) + grain // 3, 0, 255).astype(np.uint8)

    def image_fn(n: int, width: int, height: int) -> np.ndarray:
        img = background[n * pan_y:n * pan_y + height, n * pan_x:n * pan_x + width].copy()
        span = width - 2 * radius
        x = (24 * n) % (2 * span)
        x = x if x < span else 2 * span - x  # bounce
        y = int(height / 2 - radius + 80 * math.sin(n / 6.0))
        y = min(max(y, 0), height - 2 * radius)
        patch = img[y:y + 2 * radius, x:x + 2 * radius]
        patch[mask] = disc[mask]
        return img

    tmp = folder / f".{path.name}.{os.getpid()}.partial.mp4"
    make_clip(tmp, frames=frames, width=w, height=h, fps=30, audio=False, stamp=False,
              image_fn=image_fn, options={"preset": "veryfast", "crf": "16"})
    os.replace(tmp, path)
    return path


# --- rendering and reading ------------------------------------------------------------------
def read_frames(path: Path, n: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    with VideoReader(path) as reader:
        return [f.image for f in reader.frames(0, n, size=size)]


def render_timed(src: Path, dst: Path, stylizer: Any, temporal: str, size: tuple[int, int],
                 n: int, start: int = 0, stabiliser: StabiliserSettings = DEFAULT_STABILISER) -> float:
    settings = RenderSettings(temporal=temporal, size=size, start=start, stop=n, overwrite=True,
                              audio=False, encode=EncodeSettings(codec="ffv1"), stabiliser=stabiliser)
    t0 = time.perf_counter()
    render(src, dst, stylizer, settings=settings)
    return time.perf_counter() - t0


def propagate(ins: list[np.ndarray], first: np.ndarray, settings: FlowSettings) -> list[np.ndarray]:
    """``first`` carried along the motion of ``ins`` (frame t = frame t-1 warped by flow t -> t-1)."""
    flow = FlowEstimator(settings)
    out = [first]
    for prev, cur in zip(ins, ins[1:], strict=False):
        out.append(backward_warp(out[-1], flow.flow(cur, prev)))
    return out


def flow_p99(frames: list[np.ndarray]) -> list[float]:
    """Per consecutive pair, the 99th percentile of the input's flow magnitude (pixels)."""
    est = FlowEstimator()
    out = []
    prev = est.prepare(frames[0])
    for img in frames[1:]:
        cur = est.prepare(img)
        f = est.flow_prepared(prev, cur, img.shape)
        out.append(float(np.percentile(np.hypot(f[..., 0], f[..., 1]), 99)))
        prev = cur
    return out


# --- measuring ------------------------------------------------------------------------------
def measure_warping(ins: list[np.ndarray], offs: list[np.ndarray],
                    stabs: list[np.ndarray]) -> tuple[float, float, float]:
    """Warping error of the input, the per-frame and the stabilised output (printed)."""
    t1 = time.perf_counter()
    we_in = warping_error(ins, ins)
    we_off = warping_error(ins, offs)
    we_st = warping_error(ins, stabs)
    print(f"  warping error x1e3: input {we_in * 1e3:.3f}, per-frame {we_off * 1e3:.3f}, "
          f"stable {we_st * 1e3:.3f} ({time.perf_counter() - t1:.1f} s)", flush=True)
    return we_in, we_off, we_st


def measure_floor(res: ClipResult, ins: list[np.ndarray], offs: list[np.ndarray]) -> None:
    """The propagation floor with the stabiliser's and with the metric's flow (printed)."""
    metric_flow = FlowSettings(scale=1.0, preset=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    res.floor_stabiliser = warping_error(ins, propagate(ins, offs[0], STABILISER_FLOW))
    res.floor_metric = warping_error(ins, propagate(ins, offs[0], metric_flow))
    print(f"  propagation floor x1e3: stabiliser's flow {res.floor_stabiliser * 1e3:.3f}, "
          f"metric's flow {res.floor_metric * 1e3:.3f}", flush=True)


def measure_static_flicker(res: ClipResult, ins: list[np.ndarray], offs: list[np.ndarray],
                           stabs: list[np.ndarray]) -> None:
    """Static-region flicker of the input, the per-frame and the stabilised output (printed)."""
    t1 = time.perf_counter()
    off = static_flicker(ins, offs)
    stable = static_flicker(ins, stabs)  # the same static pixels, so the same input flicker
    res.sf_input, res.sf_off, res.sf_stable = off.input, off.output, stable.output
    res.sf_static_fraction = off.static_fraction
    print(f"  static-region flicker /255: input {off.input:.3f}, per-frame {off.output:.3f}, "
          f"stable {stable.output:.3f} on {off.static_fraction:.0%} of the pixels "
          f"({time.perf_counter() - t1:.1f} s)", flush=True)


def measure_in_point(res: ClipResult, src: Path, stylizer: Any, size: tuple[int, int],
                     out: Path, length: int, stabiliser: StabiliserSettings = DEFAULT_STABILISER) -> None:
    """Stable render from an in-point vs the same frames of a render from frame 0 (printed).

    The in-point is ``warm_up_length + 10`` frames in, so the renderer's warm-up does not reach
    frame 0 (``length``: the clip's frame count; too short a clip is skipped)."""
    k = Stabiliser(stabiliser).warm_up_length
    start, stop = k + 10, k + 20
    if length < stop:
        print(f"  in-point: n/a ({length} frames < warm-up {k} + 20)", flush=True)
        return
    full, part = out / f"{src.stem}.full.mkv", out / f"{src.stem}.inpoint.mkv"
    render_timed(src, full, stylizer, "stable", size, stop, stabiliser=stabiliser)
    render_timed(src, part, stylizer, "stable", size, stop, start=start, stabiliser=stabiliser)
    reference = read_frames(full, stop)[start:]
    diffs = [float(np.mean(cv2.absdiff(a, b))) for a, b in zip(read_frames(part, stop - start),
                                                              reference, strict=True)]
    res.in_point_diff = float(np.mean(diffs))
    print(f"  in-point at frame {start} (warm-up {k}): mean |diff| vs full render "
          f"{res.in_point_diff:.2f}/255 (worst frame {max(diffs):.2f})", flush=True)


# --- results --------------------------------------------------------------------------------
@dataclass
class ClipResult:
    name: str
    size: tuple[int, int]
    frames: int
    we_input: float
    we_off: float
    we_stable: float
    fps_off: float
    fps_stable: float
    times_off: list[float]
    times_stable: list[float]
    style_off: dict[str, float] | None = None
    style_stable: dict[str, float] | None = None
    stroke_off: float | None = None
    stroke_stable: float | None = None
    b_we_off: float | None = None
    b_we_stable: float | None = None
    max_flow_p99: float = 0.0
    floor_stabiliser: float | None = None
    floor_metric: float | None = None
    sf_input: float | None = None  # static-region flicker, grey levels (0-255)
    sf_off: float | None = None
    sf_stable: float | None = None
    sf_static_fraction: float | None = None
    in_point_diff: float | None = None  # mean |in-point render - full render|, 0-255
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def r_off(self) -> float:
        return self.we_stable / self.we_off

    @property
    def r_input(self) -> float:
        return self.we_stable / self.we_input

    @property
    def r_speed(self) -> float:
        return self.fps_stable / self.fps_off

    @property
    def r_sf_input(self) -> float | None:
        """Static-region flicker, stable output / input's own."""
        if self.sf_stable is None or self.sf_input is None or not self.sf_input > 0.0:
            return None
        return self.sf_stable / self.sf_input

    def r_style(self, part: str) -> float | None:
        if self.style_off is None or self.style_stable is None:
            return None
        return self.style_stable[part] / self.style_off[part]


def verdict(value: float | None, bar: float, *, at_least: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "  n/a"
    ok = value >= bar if at_least else value <= bar
    return "PASS" if ok else "FAIL"


def fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None or not math.isfinite(value) else format(value, spec)


def mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


# --- the sheet ------------------------------------------------------------------------------
def _crop_box(frames: list[np.ndarray]) -> tuple[int, int]:
    """Top-left of the CROP x CROP window with the most input motion over the segment."""
    est = FlowEstimator()
    h, w = frames[0].shape[:2]
    energy = np.zeros((h, w), np.float32)
    for a, b in zip(frames, frames[1:], strict=False):
        f = est.flow(a, b)
        energy += np.hypot(f[..., 0], f[..., 1])
    side = min(CROP, h, w)
    box = cv2.boxFilter(energy, -1, (side, side), normalize=True, borderType=cv2.BORDER_CONSTANT)
    cy, cx = np.unravel_index(int(np.argmax(box)), box.shape)
    y0 = int(min(max(cy - side // 2, 0), h - side))
    x0 = int(min(max(cx - side // 2, 0), w - side))
    return y0, x0


def write_sheet(path: Path, seg: dict[str, Any]) -> Path:
    ins, offs, stabs = seg["input"], seg["off"], seg["stable"]
    y0, x0 = _crop_box(ins)
    side = min(CROP, ins[0].shape[0], ins[0].shape[1])
    rows, labels = [], []
    for k, (i, o, s) in enumerate(zip(ins, offs, stabs, strict=True)):
        crops = [im[y0:y0 + side, x0:x0 + side] for im in (i, o, s)]
        diff = np.clip(8 * cv2.absdiff(crops[2], crops[1]).astype(np.int32), 0, 255).astype(np.uint8)
        # outline the crop on the full frames
        full = []
        for im in (i, o, s):
            im = im.copy()
            cv2.rectangle(im, (x0, y0), (x0 + side - 1, y0 + side - 1), (255, 0, 255), 2)
            full.append(im)
        rows.append(full + crops + [diff])
        labels.append(f"{seg['clip']} frame {seg['start'] + k}")
    sheet = contact_sheet(
        rows, row_labels=labels, height=side,
        column_labels=["input", "per-frame", "stable", "input 1:1", "per-frame 1:1",
                       "stable 1:1", "|stable-pf| x8"],
    )
    return save_png(path, sheet)


# --- main -----------------------------------------------------------------------------------
def resolve_style_image(card: Any, override: str | None) -> Path | None:
    if override:
        return Path(override)
    candidates: list[Path] = []
    source = card.data.get("style_source")
    if isinstance(source, dict) and source.get("file"):
        f = Path(str(source["file"]))
        candidates += [f, DATA / f, card.card_path.parent / f, card.card_path.parent / f.name]
    training = card.data.get("training", {})
    styles = training.get("config", {}).get("style") if isinstance(training, dict) else None
    if isinstance(styles, list):
        candidates += [Path(str(s)) for s in styles]
    return next((c for c in candidates if c.is_file()), None)


def load_image(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"Cannot read the style image {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def load_style_or_default(parser: argparse.ArgumentParser, name: str | None) -> tuple[Any, Any]:
    """(card, stylizer) of the style ``name`` (a name or card path), or of the default style when
    None; a usage error (exit 2) when there is none."""
    from stylecut.core.errors import ModelError, StyleNotFoundError
    from stylecut.models.registry import default_style, find_style, list_styles, load_stylizer

    try:
        card = find_style(name) if name else default_style(list_styles())
    except (StyleNotFoundError, ModelError) as exc:
        parser.error(str(exc))
    if card is None:
        parser.error("no style installed: pass --style NAME or a card path")
    return card, load_stylizer(card)


def find_clips(videos: Path, only: list[str] | None, limit: int | None) -> list[Path]:
    if not videos.is_dir():
        print(f"videos folder {videos} is absent: skipping the real clips "
              "(only the generated clip is measured)")
        return []
    clips = sorted(p for p in videos.iterdir() if p.suffix.lower() in VIDEO_EXTS and p.is_file())
    if only:
        clips = [p for p in clips if any(s in p.name for s in only)]
    return clips[:limit] if limit is not None else clips


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="See the module docstring for what is measured.")
    parser.add_argument("--style", required=True, help="installed style name or card path (.json)")
    parser.add_argument("--style-b", help="optional second style (ablation), same warping errors")
    parser.add_argument("--style-image", help="style image for style distance (default: the "
                        "card's style_source file, relative to ../shared/data)")
    parser.add_argument("--videos", type=Path, default=DATA / "videos",
                        help="folder of real clips (default: %(default)s)")
    parser.add_argument("--clips", nargs="+", metavar="SUBSTR",
                        help="only real clips whose file name contains one of these")
    parser.add_argument("--frames", type=int, help="frames per clip (default 60; 16 with --quick)")
    parser.add_argument("--repeats", type=int,
                        help="timed renders per mode, alternating (default 3; 1 with --quick)")
    parser.add_argument("--style-frames", type=int, default=8,
                        help="frames per clip for style distance (default %(default)s)")
    parser.add_argument("--no-generated", action="store_true", help="skip the generated clip")
    parser.add_argument("--no-in-point", dest="in_point", action="store_false",
                        help="skip the in-point check (two more stable renders per clip)")
    parser.add_argument("--follow-pans", action="store_true",
                        help="stable renders as `stylecut render --follow-pans` does them")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 16 frames, 1 real clip + the generated one, 1 repeat")
    parser.add_argument("--out", type=Path, default=Path("/tmp/stylecut-bench-temporal"),
                        help="output folder for renders, sheet and JSON (default: %(default)s)")
    return parser


@dataclass
class _Bench:
    """What every clip is measured with, and what the clips share (warm-ups, the round trip)."""

    args: argparse.Namespace
    frames: int
    repeats: int
    stylizer: Any
    stylizer_b: Any | None
    style_img: np.ndarray | None
    warmed: set[tuple[int, tuple[int, int]]] = field(default_factory=set)
    roundtrip_checked: bool = False

    @property
    def stabiliser(self) -> StabiliserSettings:
        """The stable renders' stabiliser (``--follow-pans``: held areas follow camera pans)."""
        if not self.args.follow_pans:
            return DEFAULT_STABILISER
        return FOLLOW_PANS_STABILISER


def _clip_size(src: Path, frames: int) -> tuple[int, int, tuple[int, int]]:
    """(frames to use, clip length, size at the benchmark's resolution)."""
    with VideoReader(src) as reader:
        length = len(reader)
        size = fit_size(reader.width, reader.height)
    n = min(frames, length)
    if n < 2:
        raise ValueError(f"only {n} frame(s)")
    return n, length, size


def _timed_renders(bench: _Bench, src: Path, off_path: Path, stable_path: Path, size: tuple[int, int],
                   n: int) -> dict[str, list[float]]:
    """Per-frame and stable renders, alternating, after a warm-up of each style at this size."""
    out = bench.args.out
    for s in (bench.stylizer, bench.stylizer_b):
        if s is not None and (id(s), size) not in bench.warmed:  # trace the tf.function first
            render_timed(src, out / "warmup.mkv", s, "off", size, min(n, 6))
            bench.warmed.add((id(s), size))
    times: dict[str, list[float]] = {"off": [], "stable": []}
    for r in range(bench.repeats):
        order = ("off", "stable") if r % 2 == 0 else ("stable", "off")
        for mode in order:
            dst = off_path if mode == "off" else stable_path
            times[mode].append(render_timed(src, dst, bench.stylizer, mode, size, n,
                                            stabiliser=bench.stabiliser))
    return times


def _check_roundtrip(bench: _Bench, src: Path, ins: list[np.ndarray], size: tuple[int, int], n: int) -> None:
    """The FFV1 round trip must be exact for the metric to hold (checked on the first clip)."""
    if bench.roundtrip_checked:
        return
    pt = bench.args.out / "passthrough.mkv"
    render_timed(src, pt, PassthroughStylizer(), "off", size, n)
    back = read_frames(pt, n)
    worst = max(int(cv2.absdiff(a, b).max()) for a, b in zip(ins, back, strict=True))
    print(f"  FFV1 round trip of the input: max |diff| = {worst} (0 = lossless)")
    bench.roundtrip_checked = True


def _measure_style(bench: _Bench, res: ClipResult, offs: list[np.ndarray], stabs: list[np.ndarray],
                   n: int) -> None:
    if bench.style_img is None:
        return
    pick = sorted({int(i) for i in np.linspace(0, n - 1, min(bench.args.style_frames, n))})
    so = style_distance([offs[i] for i in pick], bench.style_img)
    ss = style_distance([stabs[i] for i in pick], bench.style_img)
    res.style_off, res.style_stable = asdict(so), asdict(ss)
    res.stroke_off = stroke_distance([offs[i] for i in pick], bench.style_img)
    res.stroke_stable = stroke_distance([stabs[i] for i in pick], bench.style_img)


def _measure_style_b(bench: _Bench, res: ClipResult, src: Path, stem: Path, ins: list[np.ndarray],
                     size: tuple[int, int], n: int) -> None:
    if bench.stylizer_b is None:
        return
    b_off, b_st = stem.with_suffix(".b-off.mkv"), stem.with_suffix(".b-stable.mkv")
    render_timed(src, b_off, bench.stylizer_b, "off", size, n)
    render_timed(src, b_st, bench.stylizer_b, "stable", size, n, stabiliser=bench.stabiliser)
    res.b_we_off = warping_error(ins, read_frames(b_off, n))
    res.b_we_stable = warping_error(ins, read_frames(b_st, n))
    print(f"  style B warping error x1e3: per-frame {res.b_we_off * 1e3:.3f}, "
          f"stable {res.b_we_stable * 1e3:.3f}", flush=True)


def _fastest_segment(name: str, res: ClipResult, ins: list[np.ndarray], offs: list[np.ndarray],
                     stabs: list[np.ndarray]) -> dict[str, Any]:
    """The SHEET_FRAMES-long segment with the fastest input motion (for the contact sheet)."""
    n = len(ins)
    motion = flow_p99(ins)
    k = min(SHEET_FRAMES, n)
    window = [sum(motion[i:i + k - 1]) / (k - 1) for i in range(n - k + 1)]
    first = min(3, n - k)  # skip the first frames: the stabiliser has no history there yet
    start = first + int(np.argmax(window[first:]))
    res.max_flow_p99 = float(window[start])
    print(f"  input motion (p99 flow, px/frame): mean {np.mean(motion):.1f}, "
          f"fastest {k}-frame segment {window[start]:.1f} at frame {start}", flush=True)
    return {"clip": name, "start": start, "motion": window[start], "input": ins[start:start + k],
            "off": offs[start:start + k], "stable": stabs[start:start + k]}


def measure_clip(bench: _Bench, src: Path, name: str, n: int, length: int,
                 size: tuple[int, int]) -> tuple[ClipResult, dict[str, Any]]:
    """Every measurement of one clip; returns its result and its fastest segment."""
    print(f"\n[{name}] {n} frames at {size[0]}x{size[1]}", flush=True)
    stem = bench.args.out / src.stem
    off_path, stable_path = stem.with_suffix(".off.mkv"), stem.with_suffix(".stable.mkv")
    times = _timed_renders(bench, src, off_path, stable_path, size, n)
    fps_off = n / statistics.median(times["off"])
    fps_stable = n / statistics.median(times["stable"])
    print(f"  render: per-frame {fps_off:.1f} fps, stable {fps_stable:.1f} fps "
          f"(times off {[round(t, 2) for t in times['off']]}, "
          f"stable {[round(t, 2) for t in times['stable']]})", flush=True)
    ins = read_frames(src, n, size)
    offs = read_frames(off_path, n)
    stabs = read_frames(stable_path, n)
    _check_roundtrip(bench, src, ins, size, n)
    res = ClipResult(name, size, n, *measure_warping(ins, offs, stabs), fps_off, fps_stable,
                     times["off"], times["stable"])
    measure_floor(res, ins, offs)
    measure_static_flicker(res, ins, offs, stabs)
    if bench.args.in_point:
        measure_in_point(res, src, bench.stylizer, size, bench.args.out, length, bench.stabiliser)
    res.extra["mean_abs_stable_minus_off"] = float(np.mean(
        [np.mean(cv2.absdiff(a, b)) for a, b in zip(offs, stabs, strict=True)]))
    _measure_style(bench, res, offs, stabs, n)
    _measure_style_b(bench, res, src, stem, ins, size, n)
    return res, _fastest_segment(name, res, ins, offs, stabs)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    frames = args.frames or (16 if args.quick else 60)
    repeats = args.repeats or (1 if args.quick else 3)
    if frames < 2 or repeats < 1 or args.style_frames < 1:
        parser.error("--frames must be >= 2, --repeats and --style-frames >= 1")
    args.out.mkdir(parents=True, exist_ok=True)

    from stylecut.core.errors import ModelError, StyleNotFoundError
    from stylecut.models.registry import find_style, load_stylizer

    try:
        card = find_style(args.style)
        card_b = find_style(args.style_b) if args.style_b else None
    except (StyleNotFoundError, ModelError) as exc:
        parser.error(str(exc))
    t0 = time.perf_counter()
    stylizer = load_stylizer(card)
    stylizer_b = load_stylizer(card_b) if card_b else None
    print(f"style: {card.name} ({card.card_path}) loaded in {time.perf_counter() - t0:.1f} s, "
          f"precision={getattr(stylizer, 'precision', '?')}")
    if card_b:
        print(f"style B: {card_b.name} ({card_b.card_path})")
    style_path = resolve_style_image(card, args.style_image)
    style_img = load_image(style_path) if style_path else None
    print(f"style image: {style_path if style_path else 'not found: style distance skipped'}")
    print(f"frames/clip: {frames}, timed renders per mode: {repeats}, style-distance frames: "
          f"{args.style_frames}, out: {args.out}, cpus: {os.cpu_count()}, "
          f"load avg: {os.getloadavg()[0]:.2f}")
    bench = _Bench(args, frames, repeats, stylizer, stylizer_b, style_img)
    mode = "held areas follow camera pans (--follow-pans)" if args.follow_pans else "default"
    print(f"stable renders: {mode}")

    clips = find_clips(args.videos, args.clips, 1 if args.quick else None)
    if not args.no_generated:
        clips.append(generated_clip(args.out, frames))
    results: list[ClipResult] = []
    skipped: list[str] = []
    best_seg: dict[str, Any] | None = None
    for src in clips:
        name = "generated (pan+disc)" if src.name.startswith("generated-") else src.name
        try:
            n, length, size = _clip_size(src, frames)
        except Exception as exc:  # noqa: BLE001 - report and go on
            msg = f"{name}: skipped ({type(exc).__name__}: {str(exc).split(' Received:')[0][:200]})"
            print(msg, flush=True)
            skipped.append(msg)
            continue
        res, seg = measure_clip(bench, src, name, n, length, size)
        if best_seg is None or seg["motion"] > best_seg["motion"]:
            best_seg = seg
        results.append(res)

    print_report(results, skipped, card.name, card_b.name if card_b else None)
    if best_seg is not None:
        sheet = write_sheet(args.out / "temporal-sheet.png", best_seg)
        print(f"\ncontact sheet (fastest motion: {best_seg['clip']} frames {best_seg['start']}-"
              f"{best_seg['start'] + len(best_seg['input']) - 1}, p99 flow "
              f"{best_seg['motion']:.1f} px/frame): {sheet}")
    report = {"style": card.name, "style_b": card_b.name if card_b else None,
              "frames": frames, "repeats": repeats, "skipped": skipped,
              "clips": [asdict(r) for r in results]}
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {args.out / 'results.json'}")
    return 0


def print_flicker(results: list[ClipResult]) -> None:
    """Static-region flicker (0-255) beside the warping error (x1e3), one row per clip."""
    print("\nstatic-region flicker (SF, mean |dY| 0-255 where the input does not move) beside the "
          "warping error (WE x1e3):")
    head = (f"{'clip':<22} {'WE in':>7} {'WE pf':>7} {'WE st':>7} {'static':>7} {'SF in':>6} "
            f"{'SF pf':>6} {'SF st':>6} {'st<=1.0':>7} {'st/in<=3':>13} {'in-pt<=3':>11}")
    print(head)
    print("-" * len(head))
    for r in results:
        static = None if r.sf_static_fraction is None else 100 * r.sf_static_fraction
        print(f"{r.name[:22]:<22} {r.we_input * 1e3:>7.3f} {r.we_off * 1e3:>7.3f} "
              f"{r.we_stable * 1e3:>7.3f} {fmt(static, '.0f'):>6}% {fmt(r.sf_input):>6} "
              f"{fmt(r.sf_off):>6} {fmt(r.sf_stable):>6} {verdict(r.sf_stable, BAR_SF):>7} "
              f"{fmt(r.r_sf_input, '.2f'):>8} {verdict(r.r_sf_input, BAR_SF_INPUT)} "
              f"{fmt(r.in_point_diff, '.2f'):>6} {verdict(r.in_point_diff, BAR_IN_POINT)}")
    print("(static = share of the pixels of all frame pairs counted as not moving; st/in n/a when "
          "the input's own flicker is 0; in-pt = mean |in-point render - full render| /255)")


def print_report(results: list[ClipResult], skipped: list[str], style: str,
                 style_b: str | None) -> None:
    if not results:
        print("\nno clip was measured")
        return
    print(f"\n=== temporal coherence, style {style} (WE = warping error x1e3; SD = style "
          "distance total) ===")
    head = (f"{'clip':<22} {'size':>7} {'WE in':>7} {'WE pf':>7} {'WE st':>7} "
            f"{'st/pf<=0.5':>11} {'st/in<=1.5':>11} {'SD pf':>6} {'SD st':>6} {'ratio<=1.1':>11} "
            f"{'fps pf':>6} {'fps st':>6} {'speed>=0.7':>11}")
    print(head)
    print("-" * len(head))

    def row(name: str, size: str, we_in: float | None, we_off: float | None,
            we_st: float | None, r_off: float | None, r_in: float | None,
            sd_off: float | None, sd_st: float | None, r_sd: float | None,
            fps_off: float | None, fps_st: float | None, r_sp: float | None) -> None:
        def we(v: float | None) -> str:
            return fmt(None if v is None else v * 1e3)
        print(f"{name[:22]:<22} {size:>7} {we(we_in):>7} {we(we_off):>7} {we(we_st):>7} "
              f"{fmt(r_off, '.2f'):>6} {verdict(r_off, BAR_WE_OFF)} "
              f"{fmt(r_in, '.2f'):>6} {verdict(r_in, BAR_WE_INPUT)} "
              f"{fmt(sd_off):>6} {fmt(sd_st):>6} {fmt(r_sd):>6} {verdict(r_sd, BAR_STYLE)} "
              f"{fmt(fps_off, '.1f'):>6} {fmt(fps_st, '.1f'):>6} "
              f"{fmt(r_sp, '.2f'):>6} {verdict(r_sp, BAR_SPEED, at_least=True)}")

    for r in results:
        row(r.name, f"{r.size[0]}x{r.size[1]}", r.we_input, r.we_off, r.we_stable, r.r_off,
            r.r_input, r.style_off["total"] if r.style_off else None,
            r.style_stable["total"] if r.style_stable else None, r.r_style("total"),
            r.fps_off, r.fps_stable, r.r_speed)
    print("-" * len(head))
    row("mean over clips", "", mean([r.we_input for r in results]),
        mean([r.we_off for r in results]), mean([r.we_stable for r in results]),
        mean([r.r_off for r in results]), mean([r.r_input for r in results]),
        mean([r.style_off["total"] if r.style_off else None for r in results]),
        mean([r.style_stable["total"] if r.style_stable else None for r in results]),
        mean([r.r_style("total") for r in results]), mean([r.fps_off for r in results]),
        mean([r.fps_stable for r in results]), mean([r.r_speed for r in results]))
    print("(ratios in the mean row are means of the per-clip ratios)")
    print_flicker(results)

    if any(r.style_off for r in results):
        print("\nstyle distance parts (stable / per-frame, bar <= 1.1 each) and stroke distance "
              "(info):")
        head2 = (f"{'clip':<22} {'tex pf':>7} {'tex st':>7} {'ratio':>12} {'col pf':>7} "
                 f"{'col st':>7} {'ratio':>12} {'stroke pf':>9} {'stroke st':>9} "
                 f"{'|st-pf|':>8}")
        print(head2)
        for r in results:
            if not r.style_off or not r.style_stable:
                continue
            rt, rc = r.r_style("texture"), r.r_style("colour")
            print(f"{r.name[:22]:<22} {r.style_off['texture']:>7.4f} "
                  f"{r.style_stable['texture']:>7.4f} {fmt(rt):>7} {verdict(rt, BAR_STYLE)} "
                  f"{r.style_off['colour']:>7.4f} {r.style_stable['colour']:>7.4f} "
                  f"{fmt(rc):>7} {verdict(rc, BAR_STYLE)} {fmt(r.stroke_off, '.4f'):>9} "
                  f"{fmt(r.stroke_stable, '.4f'):>9} "
                  f"{r.extra['mean_abs_stable_minus_off']:>8.2f}")
        mt = mean([r.r_style("texture") for r in results])
        mc = mean([r.r_style("colour") for r in results])
        print(f"{'mean ratio':<22} {'':>7} {'':>7} {fmt(mt):>7} {verdict(mt, BAR_STYLE)} "
              f"{'':>7} {'':>7} {fmt(mc):>7} {verdict(mc, BAR_STYLE)}")
        print("(|st-pf| = mean absolute difference stable vs per-frame output, 0-255)")

    print("\npropagation floor (WE of the first output frozen and moved along the flow) / WE input:")
    for r in results:
        if r.floor_stabiliser is not None and r.floor_metric is not None:
            print(f"{r.name[:22]:<22} stabiliser's flow {r.floor_stabiliser / r.we_input:7.2f}   "
                  f"metric's flow {r.floor_metric / r.we_input:7.2f}   "
                  f"(stable / input {r.r_input:.2f})")

    if style_b is not None:
        print(f"\nablation: warping error x1e3, style A = {style} vs style B = {style_b}")
        head3 = (f"{'clip':<22} {'WE in':>7} {'A pf':>7} {'A st':>7} {'A st/pf':>8} "
                 f"{'B pf':>7} {'B st':>7} {'B st/pf':>8} {'B pf/A pf':>9}")
        print(head3)
        for r in results:
            if r.b_we_off is None or r.b_we_stable is None:
                continue
            print(f"{r.name[:22]:<22} {r.we_input * 1e3:>7.3f} {r.we_off * 1e3:>7.3f} "
                  f"{r.we_stable * 1e3:>7.3f} {r.r_off:>8.2f} {r.b_we_off * 1e3:>7.3f} "
                  f"{r.b_we_stable * 1e3:>7.3f} {r.b_we_stable / r.b_we_off:>8.2f} "
                  f"{r.b_we_off / r.we_off:>9.2f}")

    checks = {
        "WE stable <= 0.5x per-frame": [r.r_off <= BAR_WE_OFF for r in results],
        "WE stable <= 1.5x input": [r.r_input <= BAR_WE_INPUT for r in results],
        "style distance (total, texture, colour) <= 1.1x": [
            all((x := r.r_style(p)) is not None and x <= BAR_STYLE
                for p in ("total", "texture", "colour"))
            for r in results if r.style_off],
        "speed stable >= 0.7x per-frame": [r.r_speed >= BAR_SPEED for r in results],
        "static flicker stable <= 1.0/255": [
            r.sf_stable <= BAR_SF for r in results
            if r.sf_stable is not None and math.isfinite(r.sf_stable)],
        "static flicker stable <= 3x input": [
            x <= BAR_SF_INPUT for r in results if (x := r.r_sf_input) is not None],
        "in-point render vs full render <= 3/255": [
            r.in_point_diff <= BAR_IN_POINT for r in results if r.in_point_diff is not None],
    }
    print("\nbars (clips passing / measured):")
    for label, oks in checks.items():
        status = "PASS" if oks and all(oks) else ("n/a" if not oks else "FAIL")
        print(f"  {status:<4} {label}: {sum(oks)}/{len(oks)}")
    print("  (look) no ghosting: see the contact sheet below")
    for s in skipped:
        print(f"  note: {s}")


if __name__ == "__main__":
    sys.exit(main())
