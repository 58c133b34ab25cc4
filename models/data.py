"""Training data: content photos/videos, style images or a style video, random crops."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from stylecut.core import VideoReader
from stylecut.core.errors import MediaError, MediaNotFoundError

__all__ = [
    "SPLITS", "ImageSet", "load_images", "manifest_entry", "random_crops", "split_held_out",
    "validation_split",
]

SPLITS = ("all", "val", "test")

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}


@dataclass(frozen=True)
class ImageSet:
    """Decoded uint8 RGB images and the names they came from."""

    images: tuple[np.ndarray, ...]
    names: tuple[str, ...]


def _read_image(path: Path, max_side: int) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise MediaError(f"Cannot read image {path}. Received: path={str(path)!r}")
    img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    if max(h, w) > max_side:
        s = max_side / max(h, w)
        img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return img


def _video_frames(path: Path, count: int, max_side: int) -> list[tuple[np.ndarray, str]]:
    with VideoReader(path) as reader:
        picks = np.unique(np.linspace(0, len(reader) - 1, min(count, len(reader))).round().astype(int))
        out = []
        for i in picks:
            img = reader.read(int(i))
            h, w = img.shape[:2]
            if max(h, w) > max_side:
                s = max_side / max(h, w)
                img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
            out.append((img, f"{path.name}#{i}"))
    return out


def load_images(
    paths: list[Path], *, max_side: int = 1024, video_frames: int = 32, root: Path | None = None
) -> ImageSet:
    """Images from files and folders (photos, and frames sampled evenly across videos).

    ``root``: names are stored relative to it (portable in style cards)."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise MediaNotFoundError(f"Training data not found: {p}. Received: path={str(p)!r}")
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS)
        else:
            files.append(p)
    images: list[np.ndarray] = []
    names: list[str] = []
    for f in files:
        full, base = f.resolve(), root.resolve() if root is not None else None
        name = str(full.relative_to(base)) if base is not None and full.is_relative_to(base) else f.name
        if f.suffix.lower() in VIDEO_EXTS:
            for img, label in _video_frames(f, video_frames, max_side):
                images.append(img)
                names.append(f"{name}#{label.rsplit('#', 1)[1]}")
        else:
            images.append(_read_image(f, max_side))
            names.append(name)
    if not images:
        raise MediaError(
            f"No images or videos found in {[str(p) for p in paths]}. "
            f"Accepted: {sorted(IMAGE_EXTS | VIDEO_EXTS)}. Received: paths={[str(p) for p in paths]}"
        )
    return ImageSet(tuple(images), tuple(names))


def validation_split(names: list[str], split: str) -> list[str]:
    """The ``split`` half of held-out ``names``: "val" (for choosing steps, weights and strengths)
    or "test" (reported, never tuned on) by a fixed hash of each name; "all" keeps every name.
    Order is kept; "val" gets the extra name of an odd count."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}. Received: split={split!r}")
    if split == "all":
        return list(names)
    order = sorted(names, key=lambda n: hashlib.sha1(f"val:{n}".encode()).hexdigest())
    val = set(order[: (len(order) + 1) // 2])
    return [n for n in names if (n in val) == (split == "val")]


def split_held_out(data: ImageSet, held_out: int) -> tuple[ImageSet, ImageSet]:
    """(train, held-out): a fixed split by a hash of each name, independent of the seed."""
    if held_out >= len(data.images):
        raise MediaError(
            f"Cannot hold out {held_out} of {len(data.images)} content images. Received: held_out={held_out}"
        )
    order = sorted(range(len(data.names)), key=lambda i: hashlib.sha1(data.names[i].encode()).hexdigest())
    test = set(order[:held_out])
    pick = lambda keep: ImageSet(  # noqa: E731
        tuple(im for i, im in enumerate(data.images) if (i in test) == keep),
        tuple(n for i, n in enumerate(data.names) if (i in test) == keep),
    )
    return pick(False), pick(True)


def random_crops(
    images: tuple[np.ndarray, ...],
    n: int,
    size: int,
    rng: np.random.Generator,
    *,
    short_side: tuple[int, int],
    rotate: bool = False,
) -> np.ndarray:
    """``n`` random ``size``² crops in [-1, 1] float32: each image rescaled so its short side is
    uniform in ``short_side``, cropped, flipped; ``rotate`` adds 90° turns (style crops)."""
    out = np.empty((n, size, size, 3), np.float32)
    for k in range(n):
        img = images[int(rng.integers(len(images)))]
        h, w = img.shape[:2]
        target = float(rng.uniform(*short_side))
        s = max(target / min(h, w), size / min(h, w))
        nh, nw = max(size, round(h * s)), max(size, round(w * s))
        scaled = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        y = int(rng.integers(nh - size + 1))
        x = int(rng.integers(nw - size + 1))
        crop = scaled[y : y + size, x : x + size]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        if rotate and rng.random() < 0.5:
            crop = np.rot90(crop, int(rng.integers(1, 4)))
        out[k] = crop.astype(np.float32) / 127.5 - 1.0
    return out


def manifest_entry(image: Path) -> dict[str, str]:
    """Source and licence of a file from a ``MANIFEST.tsv`` in its data root, if one exists."""
    for root in (image.parent.parent, image.parent):
        manifest = root / "MANIFEST.tsv"
        if manifest.exists():
            rel = (
                str(image.resolve().relative_to(root.resolve()))
                if image.resolve().is_relative_to(root.resolve())
                else image.name
            )
            with manifest.open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh, delimiter="\t"):
                    if row.get("path") == rel:
                        return {
                            "file": rel,
                            "licence": row.get("licence", ""),
                            "title": row.get("notes", "").split(";")[0],
                            "source": f"{row.get('source_repo', '')}/{row.get('source_path', '')}",
                        }
    return {"file": image.name}
