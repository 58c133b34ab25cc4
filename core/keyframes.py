"""Strength curves: keyframes over clip-local seconds, interpolation and (de)serialisation.

A :class:`Curve` maps clip-local seconds to a strength in ``[0, 1]``. Each :class:`Key`
says how the segment that starts at it is interpolated (hold, linear, ease or a CSS-style
cubic bezier). Curves are saved as versioned JSON.
"""

from __future__ import annotations

import enum
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from .errors import KeyframeError, OutputDirError, TimecodeError
from .timecode import parse_time

__all__ = ["FORMAT", "VERSION", "Curve", "Interp", "Key", "parse_strength"]

FORMAT = "stylecut.keyframes"
VERSION = 1
DEFAULT_HANDLES: tuple[float, float, float, float] = (0.42, 0.0, 0.58, 1.0)

_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_BEZIER_NEWTON_STEPS = 8
_BEZIER_BISECT_STEPS = 40
_BEZIER_TOLERANCE = 1e-7


class Interp(str, enum.Enum):
    """How the segment that starts at a key is interpolated."""

    HOLD = "hold"
    LINEAR = "linear"
    EASE = "ease"
    BEZIER = "bezier"

    @classmethod
    def parse(cls, text: str | Interp) -> Interp:
        """The interpolation named ``text`` (case-insensitive)."""
        if isinstance(text, Interp):
            return text
        if isinstance(text, str):
            try:
                return cls(text.strip().lower())
            except ValueError:
                pass
        accepted = ", ".join(item.value for item in cls)
        raise KeyframeError(
            f"Unknown interpolation {text!r}: use one of {accepted}. Received: interp={text!r}"
        )


_KIND = {interp: code for code, interp in enumerate(Interp)}


def _real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise KeyframeError(f"Keyframe {name} must be a number. Received: {name}={value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise KeyframeError(f"Keyframe {name} must be finite. Received: {name}={value!r}")
    return number


@dataclass(frozen=True)
class Key:
    """One keyframe: ``value`` in ``[0, 1]`` at ``time`` seconds (clip-local, ``>= 0``).

    ``interp`` and ``handles`` (normalised ``x1, y1, x2, y2`` cubic-bezier control points,
    used when ``interp`` is BEZIER) describe the segment leaving this key.
    """

    time: float
    value: float
    interp: Interp = Interp.LINEAR
    handles: tuple[float, float, float, float] = DEFAULT_HANDLES

    def __post_init__(self) -> None:
        time = _real(self.time, "time")
        if time < 0:
            raise KeyframeError(
                f"Keyframe times must be >= 0 (clip-local seconds). Received: time={self.time!r}"
            )
        value = _real(self.value, "value")
        if not 0.0 <= value <= 1.0:
            raise KeyframeError(
                f"Keyframe values must be in [0, 1]. Received: value={self.value!r}"
            )
        interp = Interp.parse(self.interp)
        given = self.handles
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise KeyframeError(
                f"Keyframe handles must be 4 numbers (x1, y1, x2, y2). Received: handles={given!r}"
            )
        handles = tuple(given)
        if len(handles) != 4:
            raise KeyframeError(
                "Keyframe handles must be 4 numbers (x1, y1, x2, y2). "
                f"Received: handles={handles!r}"
            )
        if not all(
            isinstance(h, Real) and not isinstance(h, bool) and math.isfinite(float(h))
            for h in handles
        ):
            raise KeyframeError(
                "Keyframe handles must be 4 finite numbers (x1, y1, x2, y2). "
                f"Received: handles={handles!r}"
            )
        x1, y1, x2, y2 = (float(h) for h in handles)
        if not (0.0 <= x1 <= 1.0 and 0.0 <= x2 <= 1.0):
            raise KeyframeError(
                f"Keyframe handle x1 and x2 must be in [0, 1]. Received: handles={handles!r}"
            )
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "interp", interp)
        object.__setattr__(self, "handles", (x1, y1, x2, y2))

    def to_dict(self) -> dict[str, Any]:
        """This key as a JSON-ready dict (``handles`` only for bezier or non-default handles)."""
        data: dict[str, Any] = {"time": self.time, "value": self.value, "interp": self.interp.value}
        if self.interp is Interp.BEZIER or self.handles != DEFAULT_HANDLES:
            data["handles"] = list(self.handles)
        return data


def _bezier_coefficients(p1: np.ndarray, p2: np.ndarray) -> tuple[np.ndarray, ...]:
    # B(u) = ((a*u + b)*u + c)*u for a 1-D cubic bezier with end points 0 and 1.
    c = 3.0 * p1
    b = 3.0 * (p2 - p1) - c
    a = 1.0 - c - b
    return a, b, c


def _bezier_progress(x: np.ndarray, handles: np.ndarray) -> np.ndarray:
    """y(u) where x(u) = x, for normalised progress x in [0, 1]; handles has shape (n, 4)."""
    ax, bx, cx = _bezier_coefficients(handles[:, 0], handles[:, 2])
    ay, by, cy = _bezier_coefficients(handles[:, 1], handles[:, 3])

    def x_of(u: np.ndarray) -> np.ndarray:
        x_u: np.ndarray = ((ax * u + bx) * u + cx) * u
        return x_u

    u = x.copy()
    for _ in range(_BEZIER_NEWTON_STEPS):
        slope = (3.0 * ax * u + 2.0 * bx) * u + cx
        step = np.divide(x_of(u) - x, slope, out=np.zeros_like(u), where=np.abs(slope) > 1e-9)
        u = np.clip(u - step, 0.0, 1.0)
    unsolved = np.abs(x_of(u) - x) > _BEZIER_TOLERANCE
    if np.any(unsolved):
        # x(u) is monotone for x1, x2 in [0, 1], so bisection always converges.
        target, lo, hi = x[unsolved], np.zeros(int(unsolved.sum())), np.ones(int(unsolved.sum()))
        sub = (ax[unsolved], bx[unsolved], cx[unsolved])
        for _ in range(_BEZIER_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            below = ((sub[0] * mid + sub[1]) * mid + sub[2]) * mid < target
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        u[unsolved] = 0.5 * (lo + hi)
    y_u: np.ndarray = ((ay * u + by) * u + cy) * u
    return y_u


def _bezier_y_range(handles: tuple[float, float, float, float]) -> tuple[float, float]:
    """Min and max of y(u) over u in [0, 1] for one bezier segment."""
    c = 3.0 * handles[1]
    b = 3.0 * (handles[3] - handles[1]) - c
    a = 1.0 - c - b
    candidates = [0.0, 1.0]
    # y'(u) = 3a u^2 + 2b u + c
    qa, qb, qc = 3.0 * a, 2.0 * b, c
    if abs(qa) > 1e-12:
        disc = qb * qb - 4.0 * qa * qc
        if disc >= 0:
            root = math.sqrt(disc)
            candidates += [(-qb + root) / (2.0 * qa), (-qb - root) / (2.0 * qa)]
    elif abs(qb) > 1e-12:
        candidates.append(-qc / qb)
    ys = [((a * u + b) * u + c) * u for u in candidates if 0.0 <= u <= 1.0]
    return min(ys), max(ys)


def _check_field(data: Mapping[str, Any], name: str, label: str, where: str = "") -> Any:
    if name not in data:
        raise KeyframeError(
            f"Keyframe data is missing the field {name!r}. "
            f"Received: {label}={_shorten(repr(dict(data)))}{where}"
        )
    return data[name]


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(error: Exception, *, received: bool = True) -> str:
    """An error message as a clause: lower-case start, its 'Received:' part in brackets."""
    message, _, what = str(error).partition(" Received: ")
    message = message.rstrip(".")
    message = message[:1].lower() + message[1:]
    return f"{message} (received {what})" if received and what else message


@dataclass(frozen=True)
class Curve:
    """A strength curve s(t) in ``[0, 1]`` over clip-local seconds; keys are sorted by time.

    Before the first key the curve holds the first value, after the last key the last value.
    """

    keys: tuple[Key, ...]

    def __post_init__(self) -> None:
        keys = self.keys
        if isinstance(keys, Key) or not isinstance(keys, Iterable):
            raise KeyframeError(f"Curve keys must be a sequence of Key. Received: keys={keys!r}")
        keys = tuple(keys)
        if not keys:
            raise KeyframeError("A curve needs at least one key. Received: keys=()")
        for key in keys:
            if not isinstance(key, Key):
                raise KeyframeError(f"Curve keys must be Key objects. Received: key={key!r}")
        keys = tuple(sorted(keys, key=lambda k: k.time))
        for previous, current in zip(keys, keys[1:], strict=False):
            if previous.time == current.time:
                raise KeyframeError(
                    f"Keyframe times must be distinct: two keys at {current.time}s. "
                    f"Received: time={current.time!r}"
                )
        object.__setattr__(self, "keys", keys)
        # Read-only lookup tables for evaluate() (not dataclass fields: no effect on eq/repr).
        tables: dict[str, np.ndarray] = {
            "_times": np.array([key.time for key in keys], dtype=np.float64),
            "_values": np.array([key.value for key in keys], dtype=np.float64),
            "_kinds": np.array([_KIND[key.interp] for key in keys], dtype=np.int8),
            "_handles": np.array([key.handles for key in keys], dtype=np.float64),
        }
        for name, table in tables.items():
            table.flags.writeable = False
            object.__setattr__(self, name, table)

    @classmethod
    def constant(cls, value: float) -> Curve:
        """A curve with the same strength everywhere."""
        return cls((Key(0.0, value),))

    @property
    def is_constant(self) -> bool:
        """True when every key has the same value (so s(t) is that value everywhere)."""
        first = self.keys[0].value
        return all(key.value == first for key in self.keys)

    def _range(self) -> tuple[float, float]:
        lo = min(key.value for key in self.keys)
        hi = max(key.value for key in self.keys)
        for start, end in zip(self.keys, self.keys[1:], strict=False):
            if start.interp is Interp.BEZIER and start.value != end.value:
                y_lo, y_hi = _bezier_y_range(start.handles)
                ends = (start.value + (end.value - start.value) * y for y in (y_lo, y_hi))
                for v in ends:
                    lo, hi = min(lo, v), max(hi, v)
        return max(lo, 0.0), min(hi, 1.0)

    @property
    def min_value(self) -> float:
        """The smallest strength the curve reaches (bezier overshoot included)."""
        return self._range()[0]

    @property
    def max_value(self) -> float:
        """The largest strength the curve reaches (bezier overshoot included)."""
        return self._range()[1]

    def evaluate(self, t: float | np.ndarray) -> np.ndarray:
        """Strength at clip-local seconds ``t`` (scalar or array); float64, same shape as ``t``."""
        times = np.asarray(t, dtype=np.float64)
        if np.isnan(times).any():
            raise KeyframeError(f"Curve times must not be NaN. Received: t={t!r}")
        key_times: np.ndarray = self._times  # type: ignore[attr-defined]
        key_values: np.ndarray = self._values  # type: ignore[attr-defined]
        if self.is_constant:
            return np.full(times.shape, key_values[0])

        flat = times.reshape(-1)
        segment = np.searchsorted(key_times, flat, side="right") - 1
        inside = (segment >= 0) & (segment < len(self.keys) - 1)
        out = np.where(segment < 0, key_values[0], key_values[-1])

        seg = segment[inside]
        t0, t1 = key_times[seg], key_times[seg + 1]
        u = np.clip((flat[inside] - t0) / (t1 - t0), 0.0, 1.0)
        kinds = self._kinds[seg]  # type: ignore[attr-defined]
        progress = np.zeros_like(u)  # HOLD: stay at the start value
        linear = kinds == _KIND[Interp.LINEAR]
        progress[linear] = u[linear]
        ease = kinds == _KIND[Interp.EASE]
        progress[ease] = u[ease] * u[ease] * (3.0 - 2.0 * u[ease])
        bezier = kinds == _KIND[Interp.BEZIER]
        if np.any(bezier):
            handles = self._handles[seg[bezier]]  # type: ignore[attr-defined]
            progress[bezier] = _bezier_progress(u[bezier], handles)
        v0, v1 = key_values[seg], key_values[seg + 1]
        out[inside] = v0 + (v1 - v0) * progress
        result: np.ndarray = np.clip(out, 0.0, 1.0).reshape(times.shape)
        return result

    def __call__(self, t: float | np.ndarray) -> np.ndarray:
        """Same as :meth:`evaluate`."""
        return self.evaluate(t)

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON-ready form ``{"format", "version", "keys": [...]}``."""
        return {"format": FORMAT, "version": VERSION, "keys": [key.to_dict() for key in self.keys]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Curve:
        """Build a curve from :meth:`to_dict` output, validating every field."""
        if not isinstance(data, Mapping):
            raise KeyframeError(
                f"Keyframe data must be a JSON object. Received: data={_shorten(repr(data))}"
            )
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise KeyframeError(
                f"Keyframe data has an unknown format {fmt!r}: expected {FORMAT!r}. "
                f"Received: format={fmt!r}"
            )
        version = _check_field(data, "version", "data")
        if isinstance(version, bool) or version != VERSION:
            raise KeyframeError(
                f"Unsupported keyframe format version {version!r}: this stylecut reads version "
                f"{VERSION}. Received: version={version!r}"
            )
        raw_keys = _check_field(data, "keys", "data")
        if not isinstance(raw_keys, list) or not raw_keys:
            raise KeyframeError(
                f"Keyframe field 'keys' must be a non-empty list. "
                f"Received: keys={_shorten(repr(raw_keys))}"
            )
        keys = []
        for index, raw in enumerate(raw_keys):
            where = f" (key {index})"
            if not isinstance(raw, Mapping):
                raise KeyframeError(
                    f"Each keyframe must be an object with time and value. "
                    f"Received: key={_shorten(repr(raw))}{where}"
                )
            time = _check_field(raw, "time", "key", where)
            value = _check_field(raw, "value", "key", where)
            interp = raw.get("interp", Interp.LINEAR.value)
            handles = raw.get("handles", DEFAULT_HANDLES)
            if not isinstance(interp, str):
                raise KeyframeError(
                    f"Keyframe field 'interp' must be a string. Received: interp={interp!r}{where}"
                )
            if not isinstance(handles, (list, tuple)):
                raise KeyframeError(
                    f"Keyframe field 'handles' must be a list of 4 numbers. "
                    f"Received: handles={handles!r}{where}"
                )
            try:
                keys.append(Key(time, value, Interp.parse(interp), tuple(handles)))
            except KeyframeError as error:
                raise KeyframeError(f"{error}{where}") from None
        return cls(tuple(keys))

    def to_json(self) -> str:
        """The curve as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Curve:
        """Parse JSON text written by :meth:`to_json`."""
        return cls._from_json(text, "Keyframe data")

    @classmethod
    def _from_json(cls, text: str, source: str) -> Curve:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise KeyframeError(
                f"{source} is not valid JSON: {error.msg} at line {error.lineno} column "
                f"{error.colno} (char {error.pos}). Received: text={_shorten(repr(text))}"
            ) from None
        except TypeError:
            raise KeyframeError(
                f"Keyframe JSON must be a string. Received: text={_shorten(repr(text))}"
            ) from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the curve as JSON to ``path`` atomically (temporary file, then rename)."""
        target = Path(path)
        folder = target.parent
        if not folder.is_dir():
            raise OutputDirError(
                f"Cannot save keyframes: folder {str(folder)!r} does not exist. "
                f"Received: path={str(target)!r}"
            )
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Curve:
        """Read a curve saved with :meth:`save`."""
        target = Path(path)
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyframeError(
                f"Keyframe file not found: {str(target)!r}. Received: path={str(target)!r}"
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise KeyframeError(
                f"Cannot read keyframe file {str(target)!r}: {error}. "
                f"Received: path={str(target)!r}"
            ) from None
        return cls._from_json(text, f"Keyframe file {str(target)!r}")


def parse_strength(text: str, fps: Fraction, *, vfr: bool = False) -> Curve:
    """Parse the CLI strength syntax.

    A single number (``0.7``) is a constant curve; otherwise comma-separated
    ``TIME:VALUE[@interp]`` keys, e.g. ``0:0@hold,2s:1,00:00:05:12:0.4``, where TIME is any
    :func:`~stylecut.core.timecode.parse_time` form (split on the last colon; ``vfr`` as there).
    """
    if not isinstance(text, str) or not text.strip():
        raise KeyframeError(
            "Strength must be a number in [0, 1] (0.7) or TIME:VALUE keys (0:0,2s:1,5.5s:0.4). "
            f"Received: strength={text!r}"
        )
    stripped = text.strip()
    if ":" not in stripped and "," not in stripped:
        if not _NUMBER_RE.match(stripped):
            raise KeyframeError(
                f"Bad strength {stripped!r}: use a number in [0, 1] (0.7) or TIME:VALUE keys "
                f"(0:0,2s:1,5.5s:0.4). Received: strength={text!r}"
            )
        try:
            return Curve.constant(float(stripped))
        except KeyframeError as error:
            raise KeyframeError(
                f"Bad strength {stripped!r}: {_reason(error)}. Received: strength={text!r}"
            ) from None

    keys = []
    for raw_piece in stripped.split(","):
        piece = raw_piece.strip()

        def bad(reason: str, piece: str = piece) -> KeyframeError:
            return KeyframeError(
                f"Bad strength key {piece!r}: {reason}. Received: strength={text!r}"
            )

        body, at, interp_text = piece.partition("@")
        time_text, colon, value_text = body.rpartition(":")
        if not colon or not time_text.strip() or not value_text.strip():
            raise bad("use TIME:VALUE or TIME:VALUE@interp (2s:0.5, 90:1@ease)")
        try:
            interp = Interp.parse(interp_text) if at else Interp.LINEAR
        except KeyframeError as error:
            raise bad(_reason(error, received=False)) from None
        value_text = value_text.strip()
        if not _NUMBER_RE.match(value_text):
            raise bad(f"value {value_text!r} must be a number in [0, 1]")
        try:
            seconds = parse_time(time_text.strip(), fps, vfr=vfr)
        except TimecodeError as error:
            raise bad(_reason(error, received=False)) from None
        try:
            keys.append(Key(float(seconds), float(value_text), interp))
        except KeyframeError as error:
            raise bad(_reason(error)) from None
    try:
        return Curve(tuple(keys))
    except KeyframeError as error:
        raise KeyframeError(
            f"Bad strength curve: {_reason(error)}. Received: strength={text!r}"
        ) from None
