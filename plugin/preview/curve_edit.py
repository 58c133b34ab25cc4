"""Editing a strength curve with undo/redo (Qt-free; the preview model wraps it).

Keys snap to frame times (``snap``), stay inside the clip (``duration``) and keep their order:
a dragged key stops one frame short of its neighbours. Values are clamped to [0, 1]. Every
edit is one undo step; a drag (``begin`` … ``move`` … ``end``) is one step as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from stylecut.core.keyframes import Curve, Interp, Key

__all__ = ["CurveEdit"]

_UNDO_LIMIT = 200


class CurveEdit:
    """A curve, the selected key and the undo/redo history."""

    def __init__(self, curve: Curve | None = None, *, duration: float = float("inf"),
                 snap: Callable[[float], float] | None = None, step: float = 1e-3) -> None:
        self.curve = curve or Curve.constant(1.0)
        self.duration = duration
        self.snap = snap or (lambda t: t)
        self.step = step  # the smallest gap between two keys (one frame)
        self.selected: int | None = None
        self._undo: list[tuple[Curve, int | None]] = []
        self._redo: list[tuple[Curve, int | None]] = []
        self._drag: tuple[Curve, int | None] | None = None
        self.modified = False

    # --- history ------------------------------------------------------------------------------
    def _push(self) -> None:
        if self._drag is None:
            self._undo.append((self.curve, self.selected))
            del self._undo[:-_UNDO_LIMIT]
            self._redo.clear()
        self.modified = True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        return self._step(self._undo, self._redo)

    def redo(self) -> bool:
        return self._step(self._redo, self._undo)

    def _step(self, source: list[tuple[Curve, int | None]], target: list[tuple[Curve, int | None]]) -> bool:
        """Move to the state on top of ``source``, keeping the current one on ``target``."""
        if not source:
            return False
        target.append((self.curve, self.selected))
        self.curve, self.selected = source.pop()
        self.modified = True
        return True

    def reset(self, curve: Curve) -> None:
        """Replace the curve (e.g. loaded from a file) and forget the history."""
        self.curve = curve
        self.selected = None
        self._undo.clear()
        self._redo.clear()
        self._drag = None
        self.modified = False

    # --- edits --------------------------------------------------------------------------------
    def _clamp_time(self, t: float) -> float:
        return self.snap(min(max(0.0, float(t)), self.duration))

    @staticmethod
    def _clamp_value(v: float) -> float:
        return min(max(0.0, float(v)), 1.0)

    def index_at(self, t: float, tolerance: float = 1e-9) -> int | None:
        for i, key in enumerate(self.curve.keys):
            if abs(key.time - t) <= tolerance:
                return i
        return None

    def add(self, t: float, value: float) -> int:
        """Add a key at time ``t`` (snapped, clamped) with ``value`` (clamped); an existing key at
        that time gets the value instead. Selects and returns the key's index."""
        t = self._clamp_time(t)
        value = self._clamp_value(value)
        keys = list(self.curve.keys)
        self._push()
        existing = self.index_at(t, self.step / 2)
        if existing is not None:
            keys[existing] = replace(keys[existing], value=value)
            self.curve = Curve(tuple(keys))
            self.selected = existing
            return existing
        before = [k for k in keys if k.time < t]
        interp = before[-1].interp if before else (keys[0].interp if keys else Interp.LINEAR)
        handles = before[-1].handles if before else keys[0].handles
        keys.append(Key(t, value, interp, handles))
        self.curve = Curve(tuple(keys))
        self.selected = next(i for i, k in enumerate(self.curve.keys) if k.time == t)
        return self.selected

    def begin(self, index: int) -> None:
        """Start dragging key ``index`` (the whole drag is one undo step)."""
        self._check(index)
        self._undo.append((self.curve, self.selected))
        del self._undo[:-_UNDO_LIMIT]
        self._redo.clear()
        self._drag = (self.curve, index)
        self.selected = index

    def end(self) -> None:
        if self._drag is not None and self._drag[0] == self.curve:
            self._undo.pop()  # nothing changed: no undo step
        self._drag = None

    def move(self, index: int, t: float, value: float) -> None:
        """Move key ``index`` to (``t``, ``value``), clamped to the clip, [0, 1] and its neighbours."""
        self._check(index)
        keys = list(self.curve.keys)
        lo = keys[index - 1].time + self.step if index > 0 else 0.0
        hi = keys[index + 1].time - self.step if index + 1 < len(keys) else self.duration
        eps = self.step / 4
        if lo > hi + eps:
            t = keys[index].time  # no room between the neighbours: only the value moves
        else:
            t = self.snap(min(max(float(t), lo), hi))
            if not lo - eps <= t <= hi + eps:
                t = keys[index].time
        new = replace(keys[index], time=t, value=self._clamp_value(value))
        if new == keys[index]:
            return
        self._push()
        keys[index] = new
        self.curve = Curve(tuple(keys))
        self.selected = index

    def delete(self, index: int | None = None) -> bool:
        """Delete key ``index`` (default: the selected one). The last key cannot be deleted."""
        index = self.selected if index is None else index
        if index is None or len(self.curve.keys) <= 1:
            return False
        self._check(index)
        self._push()
        keys = list(self.curve.keys)
        del keys[index]
        self.curve = Curve(tuple(keys))
        self.selected = None
        return True

    def set_interp(self, index: int, interp: Interp | str) -> None:
        """Set how the segment leaving key ``index`` is interpolated."""
        self._check(index)
        interp = Interp.parse(interp)
        keys = list(self.curve.keys)
        if keys[index].interp is interp:
            return
        self._push()
        keys[index] = replace(keys[index], interp=interp)
        self.curve = Curve(tuple(keys))
        self.selected = index

    def select(self, index: int | None) -> None:
        if index is not None:
            self._check(index)
        self.selected = index

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self.curve.keys):
            raise IndexError(f"Key index {index} is outside 0..{len(self.curve.keys) - 1}. "
                             f"Received: index={index}")
