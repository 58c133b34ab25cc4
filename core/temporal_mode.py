"""How a render treats time: each frame on its own, or stabilised against the previous output."""

from __future__ import annotations

from enum import Enum

__all__ = ["DEFAULT_TEMPORAL", "TemporalMode"]


class TemporalMode(str, Enum):
    """``off``: each frame is stylised on its own; ``stable``: the previous output is carried
    along the optical flow and held where nothing moves (:class:`~stylecut.core.Stabiliser`).

    A ``str`` enum: ``TemporalMode.STABLE == "stable"``, and it serialises as its value."""

    OFF = "off"
    STABLE = "stable"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def parse(cls, value: object, name: str = "temporal") -> TemporalMode:
        """``value`` (a TemporalMode or its text) as a TemporalMode; ``ValueError`` naming ``name``."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower()) if isinstance(value, str) else cls(value)
        except ValueError:
            raise ValueError(f"{name} must be one of {', '.join(m.value for m in cls)}. "
                             f"Received: {name}={value!r}") from None

    @classmethod
    def choices(cls) -> list[str]:
        """The values, for command-line choices."""
        return [m.value for m in cls]


#: The temporal mode of every layer (Python API, CLI, OTIO, preview export) unless told otherwise.
DEFAULT_TEMPORAL = TemporalMode.STABLE
