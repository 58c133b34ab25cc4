"""``stylecut evaluate``: a style's quality numbers against the baselines, a contact sheet, speed."""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

import click
import cv2
import numpy as np
from stylecut.core import MediaError, MediaNotFoundError, OutputDirError, VideoReader, save_png
from stylecut.core.errors import NotMediaError
from stylecut.core.evaluation import evaluate_images, markdown_table, sheet
from stylecut.models import StyleCard, find_style, load_stylizer
from stylecut.models.data import SPLITS, validation_split

from .cli import cli
from .progress import warn_stderr

__all__ = ["IMAGE_SUFFIXES", "evaluate_cmd", "load_image"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_LONG_SIDE = 512
_SPEED_SIZE = (640, 360)
_SPEED_RUNS = 10
_VIDEO_FRAME = re.compile(r"(.+)#(\d+)")  # "clip.mp4#12": frame 12 (held-out names of video frames)


def load_image(path: Path, long_side: int = _LONG_SIDE) -> np.ndarray:
    """An image file (or ``video#N``, frame N of a video) as uint8 RGB, shrunk so its long side is
    at most ``long_side``."""
    frame = _VIDEO_FRAME.fullmatch(str(path))
    if frame and not path.is_file():
        with VideoReader(frame.group(1)) as reader:
            rgb = reader.read(int(frame.group(2)))
    else:
        if not path.is_file():
            raise MediaNotFoundError(f"Image {path} does not exist. Received: image={str(path)!r}")
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise NotMediaError(f"{path} is not an image OpenCV can read ({', '.join(IMAGE_SUFFIXES)}). "
                                f"Received: image={str(path)!r}")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    scale = long_side / max(h, w)
    if scale < 1:
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)


def _image_paths(sources: list[Path], what: str) -> list[Path]:
    paths: list[Path] = []
    for src in sources:
        if src.is_dir():
            found = sorted(p for p in src.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                raise MediaError(f"{what} folder {src} holds no images ({', '.join(IMAGE_SUFFIXES)}). "
                                 f"Received: {what}={str(src)!r}")
            paths += found
        elif src.is_file() or ((m := _VIDEO_FRAME.fullmatch(str(src))) and Path(m.group(1)).is_file()):
            paths.append(src)
        else:
            raise MediaNotFoundError(f"{what} {src} does not exist (give an image file or a folder of "
                                     f"images). Received: {what}={str(src)!r}")
    return paths


def _card_paths(card: StyleCard, key: str, fields: tuple[str, ...], data_root: Path) -> list[Path]:
    section = card.data.get(key)
    value = next((section[f] for f in fields if section.get(f)), None) if isinstance(section, dict) else None
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [Path(p) if Path(p).is_absolute() else data_root / p for p in items]


def _speed(stylizer: Any) -> dict[str, Any]:
    w, h = _SPEED_SIZE
    batch = max(1, int(getattr(stylizer, "preferred_batch", 1)))
    frames = np.random.default_rng(0).integers(0, 256, (batch, h, w, 3), dtype=np.uint8)
    strength = np.ones(batch, np.float32)
    for _ in range(2):  # warm-up: tracing, allocations
        stylizer.stylize(frames, strength)
    times = []
    for _ in range(_SPEED_RUNS):
        t = time.perf_counter()
        stylizer.stylize(frames, strength)
        times.append(time.perf_counter() - t)
    return {"ms_per_frame": 1000 * statistics.median(times) / batch, "width": w, "height": h,
            "batch": batch, "runs": _SPEED_RUNS, "precision": getattr(stylizer, "precision", None)}


@cli.command("evaluate")
@click.option("--style", "style", metavar="NAME|PATH", required=True,
              help="An installed style's name or a style card/weights path.")
@click.option("--content", "content", multiple=True, type=click.Path(path_type=Path),
              help="Content image folder or file (repeatable; default: the card's held-out images).")
@click.option("--style-image", "style_image", multiple=True, type=click.Path(path_type=Path),
              help="Style image file (repeatable; default: the card's style_source path).")
@click.option("--split", type=click.Choice(SPLITS), default="all", show_default=True,
              help="Half of the content images to use: val (choose steps, weights, strengths on it) or "
              "test (report it, never tune on it), a fixed hash of each file name.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use at most N content images.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: ./stylecut-eval/<style>).")
@click.option("--data-root", type=click.Path(path_type=Path), default=Path("../shared/data"),
              show_default=True, envvar="STYLECUT_DATA",
              help="Folder the card's relative image paths (its held-out photos and painting) are "
              "resolved against: the data the style was trained on (env STYLECUT_DATA).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the metrics' random patches/directions and the noise control.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of Markdown.")
def evaluate_cmd(style: str, content: tuple[Path, ...], style_image: tuple[Path, ...], split: str,
                 limit: int | None,
                 out: Path | None, data_root: Path, seed: int, as_json: bool) -> None:
    """Measure a style against the baselines (input, Reinhard, Reinhard + noise) and its speed;
    write evaluation.json, evaluation.md and sheet.png."""
    card = find_style(style, warn=warn_stderr)
    if content:
        content_paths = _image_paths(list(content), "content")
    else:
        content_paths = _card_paths(card, "evaluation", ("held_out",), data_root)
        if not content_paths:
            raise click.UsageError(f"Style {card.name!r} lists no evaluation.held_out images; "
                                   "give --content DIR.")
        if not any(p.exists() for p in content_paths):
            raise click.UsageError(
                f"None of style {card.name!r}'s {len(content_paths)} held-out photos is under "
                f"{data_root} (they are relative to the data it was trained on); give --data-root "
                f"FOLDER (or set STYLECUT_DATA) or --content PHOTOS. Received: data_root={str(data_root)!r}")
        content_paths = _image_paths(content_paths, "content")
    chosen = set(validation_split([p.name for p in content_paths], split))  # names: any data root
    content_paths = [p for p in content_paths if p.name in chosen]
    if limit is not None:
        content_paths = content_paths[:limit]
    style_sources = list(style_image) or _card_paths(card, "style_source", ("path", "file"), data_root)
    style_paths = _image_paths(style_sources, "style image")
    if not style_paths:
        raise click.UsageError(
            f"Style {card.name!r} has no style_source.path (or .file); give --style-image FILE.")
    target = out if out is not None else Path("stylecut-eval") / card.name
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(f"Cannot create the output folder {target}: {exc.strerror}. "
                             f"Received: out={str(target)!r}") from exc

    contents = [load_image(p) for p in content_paths]
    styles = [load_image(p) for p in style_paths]
    stylizer = load_stylizer(card)
    one = np.ones(1, np.float32)
    outputs = [stylizer.stylize(img[None], one)[0] for img in contents]
    result = evaluate_images(contents, outputs, styles, seed=seed)
    result = {"style": card.name, "split": split, **result, "speed": _speed(stylizer),
              "content_files": [str(p) for p in content_paths],
              "style_files": [str(p) for p in style_paths]}
    table = f"# stylecut evaluate: {card.name}\n\n" + markdown_table(result)
    text = json.dumps(result, indent=2) + "\n"
    _write_text(target / "evaluation.json", text)
    _write_text(target / "evaluation.md", table)
    save_png(target / "sheet.png", sheet(contents, outputs, styles, labels=[p.name for p in content_paths]))
    if as_json:
        click.echo(text, nl=False)
    else:
        click.echo(table, nl=False)
        click.echo(f"stylecut: wrote {target / 'evaluation.json'}, evaluation.md, sheet.png", err=True)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
