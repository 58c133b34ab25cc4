"""The styles the preview offers (Qt-free): installed styles plus thumbnails, loaded lazily.

Listing reads only the style cards (no Keras import); :meth:`StyleEntry.load` builds the
stylizer (importing Keras) and is called from a worker thread by the app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from stylecut.core.errors import StyleNotFoundError
from stylecut.core.stylizer import Stylizer

__all__ = ["StyleEntry", "installed_styles", "resolve_style", "thumbnail"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
THUMB_SIZE = (96, 64)


@dataclass(frozen=True)
class StyleEntry:
    """A style the picker lists: ``name``, a one-line ``description``, an optional thumbnail
    image path, and ``loader`` that builds its Stylizer (slow: imports Keras, loads weights)."""

    name: str
    description: str
    loader: Callable[[], Stylizer] = field(compare=False, repr=False)
    thumbnail_path: Path | None = None
    user: bool = False

    def load(self) -> Stylizer:
        return self.loader()


def _thumbnail_path(card: Any) -> Path | None:
    """An image for a style card: ``<name>.png|jpg`` beside the card, else its style source."""
    folder = Path(card.card_path).parent
    for suffix in _IMAGE_SUFFIXES:
        for stem in (f"{card.name}.thumb", card.name):
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    candidates: list[str] = []
    source = card.data.get("style_source")
    if isinstance(source, dict) and isinstance(source.get("file"), str):
        candidates.append(source["file"])
    training = card.data.get("training")
    if isinstance(training, dict) and isinstance(training.get("config"), dict):
        styles = training["config"].get("style")
        if isinstance(styles, list):
            candidates += [s for s in styles if isinstance(s, str)]
    for text in candidates:
        path = Path(text).expanduser()
        for candidate in (path, folder / path):
            if candidate.suffix.lower() in _IMAGE_SUFFIXES and candidate.is_file():
                return candidate
    return None


def installed_styles() -> list[StyleEntry]:
    """Shipped styles, then user styles (``stylecut styles``); unreadable cards are skipped with a
    warning on stderr."""
    from stylecut.models.registry import list_styles, load_stylizer, shipped_styles_dir
    from stylecut.plugin.progress import warn_stderr

    shipped = shipped_styles_dir()
    entries = []
    for card in list_styles(warn=warn_stderr):
        entries.append(StyleEntry(
            name=card.name,
            description=card.description,
            loader=partial(load_stylizer, card),
            thumbnail_path=_thumbnail_path(card),
            user=Path(card.card_path).parent != shipped,
        ))
    return entries


def resolve_style(name: str, entries: Sequence[StyleEntry]) -> StyleEntry:
    """The entry called ``name``, or a style card/weights path; ``StyleNotFoundError`` otherwise."""
    for entry in entries:
        if entry.name == name:
            return entry
    if name.endswith((".json", ".h5")) or "/" in name:
        from stylecut.models.registry import find_style, load_stylizer

        card = find_style(name)
        return StyleEntry(card.name, card.description, lambda: load_stylizer(card), _thumbnail_path(card),
                          user=True)
    installed = ", ".join(e.name for e in entries) or "none (no style is installed yet)"
    raise StyleNotFoundError(f"Unknown style; installed styles: {installed}. Received: style={name!r}")


def thumbnail(path: Path | None, size: tuple[int, int] = THUMB_SIZE) -> np.ndarray | None:
    """The image at ``path`` centre-cropped and shrunk to ``size`` (uint8 RGB), or None."""
    if path is None:
        return None
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    tw, th = size
    scale = max(tw / w, th / h)
    resized = cv2.resize(rgb, (max(tw, round(w * scale)), max(th, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    y = (resized.shape[0] - th) // 2
    x = (resized.shape[1] - tw) // 2
    return np.ascontiguousarray(resized[y:y + th, x:x + tw])
