"""``stylecut demo``: a procedural clip rendered with the default style and a strength ramp."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from stylecut.core import (
    Curve,
    Interp,
    Key,
    PassthroughStylizer,
    RenderSettings,
    Stylizer,
    VideoReader,
    contact_sheet,
    render,
    save_png,
)
from stylecut.core.errors import OutputDirError
from stylecut.core.testing import make_clip
from stylecut.models import default_style, find_style, list_styles, load_stylizer

from .progress import ProgressBar, warn_stderr

__all__ = ["demo_frame", "run_demo"]

RAMP = Curve((Key(0.0, 0.0, Interp.EASE), Key(1.5, 1.0, Interp.EASE), Key(3.0, 0.5)))


def demo_frame(n: int, width: int, height: int) -> np.ndarray:
    """A frame of the demo scene: sky gradient, textured ground, moving shapes."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([60 + 80 * y / height, 120 + 60 * y / height, 220 - 40 * y / height], -1)
    rng = np.random.default_rng(7)
    grain = cv2.resize(rng.uniform(-30, 30, (height // 8 + 1, width // 8 + 1)).astype(np.float32),
                       (width, height), interpolation=cv2.INTER_CUBIC)
    ground = np.stack([90 + grain + 20 * np.sin((x + 2 * n) / 9), 140 + grain, 60 + grain / 2], -1)
    horizon = height * 0.62 + 10 * np.sin(x / 60 + n / 20)
    img = np.where((y > horizon)[..., None], ground, sky)
    img = np.clip(img, 0, 255).astype(np.uint8)
    t = n / 30
    cx = int(width * (0.2 + 0.6 * (0.5 + 0.5 * math.sin(t * 1.3))))
    cv2.circle(img, (cx, int(height * 0.3)), height // 9, (250, 210, 60), -1, cv2.LINE_AA)
    bx = int((n * 5) % (width + 120)) - 120
    cv2.rectangle(img, (bx, int(height * 0.55)), (bx + 110, int(height * 0.8)), (200, 40, 50), -1)
    cv2.putText(img, "stylecut", (width // 20, height - height // 12), cv2.FONT_HERSHEY_DUPLEX,
                height / 300, (255, 255, 255), 2, cv2.LINE_AA)
    return img


def _default_stylizer(style: str | None) -> tuple[Stylizer, str | None]:
    if style is not None:
        card = find_style(style, warn=warn_stderr)
        return load_stylizer(card), card.name
    default = default_style(list_styles(warn=warn_stderr))
    if default is None:
        return PassthroughStylizer(), None
    return load_stylizer(default), default.name


def run_demo(
    clip: Path | None,
    output_dir: Path,
    style: str | None,
    *,
    quiet: bool = False,
    echo: Callable[..., None] = print,
) -> dict[str, object]:
    """Make (or use) a clip, render it with the strength ramp, write a contact sheet."""
    output_dir = Path(output_dir).absolute()
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputDirError(f"Demo output is not a folder: {output_dir}. "
                             f"Received: output_dir={str(output_dir)!r}")
    output_dir.mkdir(parents=True, exist_ok=True)
    stylizer, style_name = _default_stylizer(style)
    if clip is None:
        clip = output_dir / "demo-input.mp4"
        echo(f"stylecut demo: generating {clip} (640x360, 4 s, with a tone)", err=True)
        make_clip(clip, frames=120, width=640, height=360, fps=30, image_fn=demo_frame,
                  stamp=False, options={"crf": "18", "preset": "veryfast"})
    if style_name is None:
        echo("stylecut demo: no style is installed yet, so the clip is rendered unstyled "
             "(an engine check: decode → pipeline → encode with audio)", err=True)
    out = output_dir / "demo-styled.mp4"
    t0 = time.perf_counter()
    with ProgressBar("demo", quiet=quiet) as bar:
        result = render(clip, out, stylizer, strength=RAMP,
                        settings=RenderSettings(overwrite=True), progress=bar)
    wall = time.perf_counter() - t0
    with VideoReader(clip) as src, VideoReader(out) as dst:
        picks = np.linspace(0, len(src) - 1, 4).round().astype(int)
        rows = [[src.read(int(i)), dst.read(int(i))] for i in picks]
        labels = [f"t={float(src.index.time_of(int(i))):.2f}s  strength="
                  f"{float(RAMP(float(src.index.time_of(int(i))))):.2f}" for i in picks]
    sheet = save_png(output_dir / "demo-sheet.png",
                     contact_sheet(rows, row_labels=labels, column_labels=["input", "styled"]))
    echo(f"video:         {result.output}")
    echo(f"contact sheet: {sheet}")
    echo(f"style:         {style_name or 'none installed (unstyled)'}")
    echo(f"speed:         {result.frames} frames in {wall:.1f}s = {result.frames / wall:.1f} fps "
         f"(decode + stylize + encode)")
    return {"video": result.output, "sheet": sheet, "fps": result.frames / wall,
            "style": style_name, "duration": Fraction(result.frames, 30)}
