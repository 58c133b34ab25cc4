"""Style lookup for the commands that tolerates unreadable cards.

:func:`stylecut.models.list_styles` stops at the first card it cannot read, so one corrupt
``.json`` in the user styles folder would block every render, even with a shipped style. Here a
card that cannot be read is skipped with a one-line warning on stderr; only asking for that very
style (by its file name) fails, with the card's own error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from stylecut.core import ModelError, StyleNotFoundError
from stylecut.models import StyleCard, registry

__all__ = ["find_style", "list_styles", "warn_stderr"]

Warn = Callable[[str], None]


def warn_stderr(text: str) -> None:
    print(f"stylecut: warning: {text}", file=sys.stderr, flush=True)


def _cards_in(folder: Path, bad: dict[str, ModelError]) -> list[StyleCard]:
    if not folder.is_dir():
        return []
    cards = []
    for path in sorted(folder.glob("*.json")):
        try:
            cards.append(StyleCard.from_json(path))
        except ModelError as exc:
            bad.setdefault(path.name.removesuffix(".json"), exc)
    return cards


def _scan() -> tuple[list[StyleCard], dict[str, ModelError]]:
    bad: dict[str, ModelError] = {}
    cards = _cards_in(registry.shipped_styles_dir(), bad)
    names = {c.name for c in cards}
    cards += [c for c in _cards_in(registry.user_styles_dir(), bad) if c.name not in names]
    return cards, bad


def _report(bad: dict[str, ModelError], warn: Warn | None) -> None:
    if warn is not None:
        for name, exc in bad.items():
            warn(f"skipping style {name!r}: {exc}")


def list_styles(warn: Warn | None = warn_stderr) -> list[StyleCard]:
    """Shipped styles, then user styles (as :func:`stylecut.models.list_styles`), skipping cards
    that cannot be read (each reported through ``warn``)."""
    cards, bad = _scan()
    _report(bad, warn)
    return cards


def find_style(name_or_path: str, warn: Warn | None = warn_stderr) -> StyleCard:
    """The installed style called ``name_or_path`` or the style at that path (as
    :func:`stylecut.models.find_style`); unreadable cards of other styles are skipped (reported
    through ``warn``), an unreadable card of the requested one raises its ``ModelError``."""
    path = Path(name_or_path).expanduser()
    if path.suffix in (".json", ".h5") or os.sep in name_or_path:
        return registry.find_style(name_or_path)
    cards, bad = _scan()
    for candidate in cards:
        if candidate.name == name_or_path:
            _report(bad, warn)
            return candidate
    if name_or_path in bad:
        raise bad[name_or_path]
    installed = ", ".join(c.name for c in cards) or "none (no style is installed yet)"
    skipped = f" (unreadable cards skipped: {', '.join(bad)})" if bad else ""
    raise StyleNotFoundError(
        f"Unknown style; installed styles: {installed}{skipped}. Received: style={name_or_path!r}"
    )
