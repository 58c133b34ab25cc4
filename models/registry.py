"""Installed styles: ``<name>.weights.h5`` plus a ``<name>.json`` card.

Listing reads only the JSON cards (no Keras import); loading a style's weights is done by
the generator code when a style is used.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from stylecut.core.errors import ModelError, StyleNotFoundError

__all__ = [
    "CardSummary", "StyleCard", "default_style", "find_style", "list_styles", "load_stylizer", "save_style",
    "shipped_styles_dir", "user_styles_dir",
]

CARD_FORMAT = "stylecut.style"
CARD_VERSION = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

Warn = Callable[[str], None]


def shipped_styles_dir() -> Path:
    """Folder of the styles that ship with the package."""
    return Path(__file__).resolve().parent / "styles"


def user_styles_dir() -> Path:
    """Folder for user-trained styles: ``$STYLECUT_STYLES``, else ``styles`` in the platform's
    user data folder (Linux: ``$XDG_DATA_HOME/stylecut/styles``, i.e.
    ``~/.local/share/stylecut/styles``; macOS: ``~/Library/Application Support/stylecut/styles``;
    Windows: ``%LOCALAPPDATA%\\stylecut\\styles``)."""
    env = os.environ.get("STYLECUT_STYLES")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("stylecut", appauthor=False)) / "styles"


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _numbers(table: object, keys: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(table, dict):
        return {}
    return {k: v for k in keys if (v := _number(table.get(k))) is not None}


@dataclass(frozen=True)
class CardSummary:
    """What ``stylecut styles`` shows of a card, typed: training steps and ``--init``, training
    minutes, the evaluation's ratios to Reinhard (texture/colour/stroke) and its structure and
    diversity, the tone anchor. Missing or malformed entries are None or left out."""

    steps: int | None = None
    init: str | None = None
    wall_time_s: float | None = None
    wall_time_with_init_s: float | None = None
    ratios: dict[str, float] = field(default_factory=dict)
    output: dict[str, float] = field(default_factory=dict)
    tone_anchor: float | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CardSummary:
        """The summary of a card's JSON object (lenient: what is not there is not shown)."""
        training, evaluation = _table(data, "training"), _table(data, "evaluation")
        config = _table(training, "config")
        ratios = evaluation.get("ratios")
        anchor = data.get("tone_anchor")
        steps = training.get("steps")
        return cls(
            steps=steps if isinstance(steps, int) and not isinstance(steps, bool) else None,
            init=config.get("init") if isinstance(config.get("init"), str) else None,
            wall_time_s=_number(training.get("wall_time_s")),
            wall_time_with_init_s=_number(training.get("wall_time_with_init_s")),
            ratios=_numbers(ratios.get("reinhard") if isinstance(ratios, dict) else None,
                            ("texture", "colour", "stroke")),
            output=_numbers(evaluation.get("output"), ("structure", "diversity")),
            tone_anchor=_number(anchor.get("strength")) if isinstance(anchor, dict) else None,
        )


@dataclass(frozen=True)
class StyleCard:
    """A style's card: name, weights path and the JSON metadata (architecture, source, licence)."""

    name: str
    card_path: Path
    weights_path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str:
        source = self.data.get("style_source", {})
        if isinstance(source, dict):
            title = source.get("title") or source.get("file") or ""
            licence = source.get("licence") or source.get("license") or ""
            return ", ".join(x for x in (title, licence) if x)
        return str(source)

    @property
    def summary(self) -> CardSummary:
        """The card's training and evaluation summary (:class:`CardSummary`)."""
        return CardSummary.from_data(self.data)

    @classmethod
    def from_json(cls, card_path: Path) -> StyleCard:
        try:
            data = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(
                f"Style card {card_path} cannot be read: {exc}. Received: card={str(card_path)!r}"
            ) from exc
        if not isinstance(data, dict):
            raise ModelError(
                f"Style card {card_path} must hold a JSON object. Received: card={str(card_path)!r}"
            )
        name = card_path.name.removesuffix(".json")
        weights = card_path.with_name(f"{name}.weights.h5")
        return cls(name=str(data.get("name", name)), card_path=card_path, weights_path=weights,
                   data=data)


def _cards_in(folder: Path, bad: dict[str, ModelError]) -> list[StyleCard]:
    """The readable cards in ``folder``; each unreadable one goes into ``bad`` (by file name)."""
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
    """Shipped cards, then user cards not shadowing a shipped name; and the unreadable cards."""
    bad: dict[str, ModelError] = {}
    cards = _cards_in(shipped_styles_dir(), bad)
    names = {c.name for c in cards}
    cards += [c for c in _cards_in(user_styles_dir(), bad) if c.name not in names]
    return cards, bad


def _report(bad: dict[str, ModelError], warn: Warn | None) -> None:
    if warn is not None:
        for name, exc in bad.items():
            warn(f"skipping style {name!r}: {exc}")


def list_styles(*, warn: Warn | None = None) -> list[StyleCard]:
    """Shipped styles, then user styles (a user style may not shadow a shipped name).

    A card that cannot be read is skipped (so one corrupt ``.json`` in the user styles folder does
    not hide every other style); each is reported through ``warn`` when given, as
    ``skipping style 'name': <error>``.
    """
    cards, bad = _scan()
    _report(bad, warn)
    return cards


def default_style(cards: list[StyleCard]) -> StyleCard | None:
    """Of ``cards`` (e.g. :func:`list_styles`), the one whose card says ``"default": true``, else
    the first; None if there are none."""
    return next((c for c in cards if c.data.get("default")), cards[0] if cards else None)


def find_style(name_or_path: str, *, warn: Warn | None = None) -> StyleCard:
    """The installed style called ``name_or_path``, or the style whose card/weights are at
    that path. Raises ``StyleNotFoundError`` listing the installed names.

    Unreadable cards of other styles are skipped as in :func:`list_styles` (reported through
    ``warn`` when the style is found); asking for the style whose card cannot be read (by its file
    name, when no readable card has that name) raises that card's ``ModelError``.
    """
    path = Path(name_or_path).expanduser()
    if path.suffix in (".json", ".h5") or os.sep in name_or_path:
        card = path if path.suffix == ".json" else path.with_name(
            path.name.removesuffix(".h5").removesuffix(".weights") + ".json")
        if not card.exists():
            raise StyleNotFoundError(
                f"No style card at {card} (a style is <name>.weights.h5 with <name>.json beside "
                f"it). Received: style={name_or_path!r}"
            )
        found = StyleCard.from_json(card)
        if not found.weights_path.exists():
            raise ModelError(
                f"Style card {card} has no weights file {found.weights_path.name} beside it. "
                f"Received: style={name_or_path!r}"
            )
        return found
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


def load_stylizer(card: StyleCard) -> Any:
    """A Stylizer running ``card``'s generator (imports Keras lazily)."""
    from .backend_import import import_backend_quietly

    import_backend_quietly()
    try:
        from . import keras_stylizer
    except ImportError as exc:
        raise ModelError(
            f"Style {card.name!r} cannot be loaded: this installation has no generator "
            f"implementations ({exc}). Received: style={card.name!r}"
        ) from exc
    return keras_stylizer.KerasStylizer.from_card(card)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_style(folder: Path, name: str, generator: Any, config: Any, card: dict[str, Any]) -> StyleCard:
    """Write ``<name>.weights.h5`` and ``<name>.json`` into ``folder`` (each atomically: temp file
    + ``os.replace``; the card last, so a listed style always has its weights).

    ``config`` is the generator's ``GeneratorConfig``; ``card`` adds style_source {file, title,
    artist, licence}, training {...}, evaluation {...}. Returns the saved style's card.
    """
    from .generators import build_generator

    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.endswith((".json", ".h5")):
        raise ModelError(
            "Style name must be letters, digits, '.', '_' or '-' (starting with a letter or digit). "
            f"Received: name={name!r}"
        )
    expected = sorted(tuple(w.shape) for w in build_generator(config).weights)
    if sorted(tuple(w.shape) for w in generator.weights) != expected:
        raise ModelError(
            f"The generator's weights do not match its config {config.to_dict()}. "
            f"Received: generator={generator.name!r}"
        )
    data: dict[str, Any] = {"name": name, "format": CARD_FORMAT, "version": CARD_VERSION,
                            "generator": config.to_dict()}
    for key, value in card.items():
        if key in data and value != data[key]:
            raise ModelError(f"Card field {key!r} conflicts with the saved style ({data[key]!r}). "
                             f"Received: {key}={value!r}")
        data[key] = value
    text = json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.weights.h5"
    card_path = folder / f"{name}.json"
    tmp_weights = folder / f".{name}.partial.weights.h5"  # Keras insists on the .weights.h5 suffix
    tmp_card = folder / f".{name}.json.partial"
    try:
        generator.save_weights(str(tmp_weights))
        os.replace(tmp_weights, weights)
        tmp_card.write_text(text, encoding="utf-8")
        os.replace(tmp_card, card_path)
    finally:
        tmp_weights.unlink(missing_ok=True)
        tmp_card.unlink(missing_ok=True)
    return StyleCard.from_json(card_path)
