"""Rational time: frame rates, frame <-> seconds <-> SMPTE timecode, and the CLI time syntax.

Time is always exact (``fractions.Fraction``); floats are converted through their shortest
decimal representation so that ``1.5`` seconds at 30 fps is exactly frame 45.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from numbers import Rational, Real
from typing import Protocol

from .errors import TimecodeError

__all__ = [
    "format_seconds",
    "frame_range",
    "frame_to_seconds",
    "frame_to_timecode",
    "is_drop_frame_rate",
    "nominal_rate",
    "parse_fps",
    "parse_time",
    "seconds_to_frame",
    "timecode_to_frame",
]

# The NTSC "1000/1001" rates and how close a decimal rate must be to be read as one of them
# (23.976, 23.98, 29.97, 59.94 ...).
_NTSC_NOMINALS = (24, 30, 48, 60, 120)
_NTSC_TOLERANCE = Fraction(1, 200)
# A float time this close (in frames) to a frame boundary is snapped onto it: float rounding
# must not move an exact frame time into the previous frame.
_FLOAT_SNAP_FRAMES = Fraction(1, 1_000_000)

_FPS_FORMS = "a positive number (25, 29.97) or a ratio (30000/1001)"
_TIME_FORMS = "a frame number (90), seconds (3s, 1.5s) or a timecode (00:00:03:00)"

_RATIO_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_DECIMAL_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*$")
_FRAMES_RE = re.compile(r"^\d+$")
_SECONDS_RE = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)[sS]$")
_TIMECODE_RE = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2})([:;])(\d{1,3})$")


def _snap_ntsc(rate: Fraction) -> Fraction:
    for nominal in _NTSC_NOMINALS:
        ntsc = Fraction(nominal * 1000, 1001)
        if rate != ntsc and abs(rate - ntsc) <= _NTSC_TOLERANCE:
            return ntsc
    return rate


def parse_fps(value: str | float | Fraction) -> Fraction:
    """Parse a frame rate: ``"30000/1001"``, ``"29.97"``, ``"25"``, ``25``, a ``Fraction``.

    Decimal spellings of the NTSC rates (23.976, 29.97, 59.94, ...) become their exact
    ``N*1000/1001`` ratios; a ``Fraction`` or ratio string is taken as given.
    """
    rate: Fraction | None = None
    if isinstance(value, str):
        ratio = _RATIO_RE.match(value)
        decimal = _DECIMAL_RE.match(value)
        if ratio is not None and int(ratio.group(2)) != 0:
            rate = Fraction(int(ratio.group(1)), int(ratio.group(2)))
        elif decimal is not None:
            rate = _snap_ntsc(Fraction(decimal.group(1)))
    elif isinstance(value, bool):
        rate = None
    elif isinstance(value, Rational):
        rate = Fraction(value.numerator, value.denominator)
    elif isinstance(value, (Real, Decimal)) and math.isfinite(float(value)):
        rate = _snap_ntsc(Fraction(repr(float(value))))
    if rate is None or rate <= 0:
        raise TimecodeError(
            f"Invalid frame rate {value!r}: use {_FPS_FORMS}. Received: fps={value!r}"
        )
    return rate


def _check_fps(fps: Fraction) -> Fraction:
    if isinstance(fps, bool) or not isinstance(fps, Rational) or fps <= 0:
        raise TimecodeError(
            f"Frame rate must be a positive Fraction (see parse_fps). Received: fps={fps!r}"
        )
    return Fraction(fps.numerator, fps.denominator)


def _check_frame(frame: int, *, allow_negative: bool = True) -> int:
    if isinstance(frame, bool):
        raise TimecodeError(f"Frame number must be an integer. Received: frame={frame!r}")
    try:
        index = frame.__index__()
    except (AttributeError, TypeError):
        raise TimecodeError(f"Frame number must be an integer. Received: frame={frame!r}") from None
    if not allow_negative and index < 0:
        raise TimecodeError(f"Frame number must be >= 0 for a timecode. Received: frame={frame!r}")
    return index


def _to_fraction(seconds: Fraction | float, name: str = "seconds") -> Fraction:
    if isinstance(seconds, bool):
        raise TimecodeError(f"Time must be a number of seconds. Received: {name}={seconds!r}")
    if isinstance(seconds, Rational):
        return Fraction(seconds.numerator, seconds.denominator)
    if isinstance(seconds, Decimal) and seconds.is_finite():
        return Fraction(seconds)
    if isinstance(seconds, Real) and math.isfinite(float(seconds)):
        return Fraction(repr(float(seconds)))
    raise TimecodeError(f"Time must be a finite number of seconds. Received: {name}={seconds!r}")


def nominal_rate(fps: Fraction) -> int:
    """The integer timecode rate for ``fps`` (30 for 30000/1001, 24 for 23.976, 25 for 25)."""
    fps = _check_fps(fps)
    return max(1, math.floor(fps + Fraction(1, 2)))


def is_drop_frame_rate(fps: Fraction) -> bool:
    """Whether drop-frame timecode exists at ``fps`` (30000/1001, 60000/1001, ...)."""
    fps = _check_fps(fps)
    nominal = nominal_rate(fps)
    return nominal % 30 == 0 and fps == Fraction(nominal * 1000, 1001)


def _drop_per_minute(fps: Fraction, text: object, name: str) -> int:
    if not is_drop_frame_rate(fps):
        raise TimecodeError(
            f"Drop-frame timecode exists only at 30000/1001 and 60000/1001 fps, not at {fps}; "
            f"use non-drop timecode (HH:MM:SS:FF) at this rate. Received: {name}={text!r}"
        )
    return 2 * nominal_rate(fps) // 30


def frame_to_seconds(frame: int, fps: Fraction) -> Fraction:
    """The start time of ``frame`` in seconds (``frame / fps``), exactly."""
    return Fraction(_check_frame(frame)) / _check_fps(fps)


def seconds_to_frame(seconds: Fraction | float, fps: Fraction) -> int:
    """Index ``n`` of the frame whose interval ``[n/fps, (n+1)/fps)`` contains ``seconds``.

    Exact for ``Fraction``/``int``; a float is read through its shortest decimal form and
    snapped onto a frame boundary when within a millionth of a frame of it.
    """
    fps = _check_fps(fps)
    position = _to_fraction(seconds) * fps
    if not isinstance(seconds, (Rational, Decimal)):
        nearest = round(position)
        if abs(position - nearest) <= _FLOAT_SNAP_FRAMES:
            return int(nearest)
    return math.floor(position)


def frame_to_timecode(frame: int, fps: Fraction, drop_frame: bool | None = None) -> str:
    """SMPTE timecode ``HH:MM:SS:FF`` of ``frame`` at the nominal rate of ``fps``.

    ``drop_frame=True`` gives drop-frame timecode ``HH:MM:SS;FF`` (only at 30000/1001 and
    60000/1001); ``None`` or ``False`` gives non-drop timecode. Hours do not wrap at 24.
    """
    fps = _check_fps(fps)
    frame = _check_frame(frame, allow_negative=False)
    nominal = nominal_rate(fps)
    separator = ":"
    if drop_frame:
        drop = _drop_per_minute(fps, fps, "fps")
        per_minute = nominal * 60 - drop
        per_ten_minutes = nominal * 600 - drop * 9
        tens, rest = divmod(frame, per_ten_minutes)
        frame += drop * 9 * tens
        if rest >= drop:
            frame += drop * ((rest - drop) // per_minute)
        separator = ";"
    seconds, ff = divmod(frame, nominal)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    width = len(str(nominal - 1)) if nominal > 100 else 2
    return f"{hh:02d}:{mm:02d}:{ss:02d}{separator}{ff:0{width}d}"


def _check_timecode_ranges(tc: str, minutes: int, secs: int, frames: int, fps: Fraction) -> None:
    nominal = nominal_rate(fps)
    if minutes >= 60 or secs >= 60:
        raise TimecodeError(
            f"Timecode {tc!r} is out of range: minutes and seconds must be below 60. "
            f"Received: timecode={tc!r}"
        )
    if frames >= nominal:
        raise TimecodeError(
            f"Timecode {tc!r} is out of range: frames must be below {nominal} at {fps} fps. "
            f"Received: timecode={tc!r}"
        )


def timecode_to_frame(tc: str, fps: Fraction) -> int:
    """Frame number of the timecode ``HH:MM:SS:FF`` (or drop-frame ``HH:MM:SS;FF``) at ``fps``."""
    fps = _check_fps(fps)
    match = _TIMECODE_RE.match(tc.strip()) if isinstance(tc, str) else None
    if match is None:
        raise TimecodeError(
            f"Cannot parse timecode {tc!r}: use HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame. "
            f"Received: timecode={tc!r}"
        )
    hh, mm, ss, separator, ff = match.groups()
    hours, minutes, secs, frames = int(hh), int(mm), int(ss), int(ff)
    nominal = nominal_rate(fps)
    _check_timecode_ranges(tc, minutes, secs, frames, fps)
    total_minutes = hours * 60 + minutes
    frame = (total_minutes * 60 + secs) * nominal + frames
    if separator == ";":
        drop = _drop_per_minute(fps, tc, "timecode")
        if secs == 0 and minutes % 10 != 0 and frames < drop:
            raise TimecodeError(
                f"Timecode {tc!r} does not exist in drop-frame timecode: frames 0-{drop - 1} "
                f"are skipped at the start of each minute not divisible by 10. "
                f"Received: timecode={tc!r}"
            )
        frame -= drop * (total_minutes - total_minutes // 10)
    return frame


def _timecode_to_clock_seconds(tc: str, fps: Fraction) -> Fraction:
    """``HH:MM:SS:FF`` read as clock time: ``HH:MM:SS`` seconds plus ``FF`` frames of the
    nominal rate (how a variable-frame-rate clip's timecode is meant; ``;`` reads the same)."""
    match = _TIMECODE_RE.match(tc.strip())
    assert match is not None
    hours, minutes, secs, _, frames = match.groups()
    _check_timecode_ranges(tc, int(minutes), int(secs), int(frames), fps)
    clock = int(hours) * 3600 + int(minutes) * 60 + int(secs)
    return clock + Fraction(int(frames), nominal_rate(fps))


def parse_time(text: str, fps: Fraction, *, vfr: bool = False) -> Fraction:
    """Parse the command-line time syntax into seconds.

    Accepts a frame number (``90``), seconds (``3s``, ``1.5s``, parsed exactly) or a timecode
    (``00:00:03:00``, drop-frame ``00:00:03;00``).

    ``vfr=True`` (a variable-frame-rate clip, whose ``fps`` is only an average) reads a
    timecode as clock time, ``HH:MM:SS`` plus ``FF`` frames of the nominal rate, so that
    ``00:00:10:00`` is the same instant as ``10s``; counting frames at the average rate would
    land elsewhere in the clip.
    """
    fps = _check_fps(fps)
    stripped = text.strip() if isinstance(text, str) else ""
    if _FRAMES_RE.match(stripped):
        return Fraction(int(stripped)) / fps
    seconds = _SECONDS_RE.match(stripped)
    if seconds is not None:
        return Fraction(seconds.group(1))
    if _TIMECODE_RE.match(stripped):
        if vfr:
            return _timecode_to_clock_seconds(stripped, fps)
        return Fraction(timecode_to_frame(stripped, fps)) / fps
    raise TimecodeError(f"Cannot parse time {text!r}: use {_TIME_FORMS}. Received: time={text!r}")


def format_seconds(seconds: Fraction | float) -> str:
    """Human-readable seconds rounded to milliseconds, e.g. ``"12.345s"``."""
    millis = round(_to_fraction(seconds) * 1000)
    sign = "-" if millis < 0 else ""
    whole, frac = divmod(abs(millis), 1000)
    return f"{sign}{whole}.{frac:03d}s"


class _Index(Protocol):
    """What :func:`frame_range` needs of a clip's frame index (``core.media.FrameIndex``)."""

    duration: Fraction
    is_vfr: bool

    def __len__(self) -> int: ...
    def frame_at(self, seconds: Fraction) -> int: ...
    def first_at_or_after(self, seconds: Fraction) -> int: ...


def frame_range(
    index: _Index, fps: Fraction, in_text: str | None, out_text: str | None, *, source: str = "the clip"
) -> tuple[int | None, int | None]:
    """``(first, stop)`` frames (stop exclusive) for the CLI's ``--in``/``--out`` texts.

    Each is a frame number, seconds or a timecode (:func:`parse_time`; on a VFR clip a timecode
    is clock time). ``--in`` is the frame shown at that time, ``--out`` the first frame at or after
    it. Raises ``TimecodeError`` naming ``source`` for text outside the clip or ``--out`` ≤ ``--in``.
    """
    n = len(index)

    def one(text: str, what: str, is_out: bool) -> int:
        stripped = text.strip()
        if stripped.isdigit():
            frame = int(stripped)
        else:
            try:
                seconds = parse_time(stripped, fps, vfr=index.is_vfr)
            except TimecodeError as exc:
                raise TimecodeError(f"{what} {exc}") from None
            frame = index.first_at_or_after(seconds) if is_out else index.frame_at(seconds)
            if not is_out and seconds >= index.duration:
                frame = n
        if not 0 <= frame <= (n if is_out else n - 1):
            raise TimecodeError(
                f"{what} {text!r} is outside {source} (frames 0..{n - 1}, "
                f"{float(index.duration):.3f}s). Received: {what.strip('-')}={text!r}"
            )
        return frame

    start = one(in_text, "--in", False) if in_text is not None else None
    stop = one(out_text, "--out", True) if out_text is not None else None
    if start is not None and stop is not None and stop <= start:
        raise TimecodeError(f"--out must come after --in. Received: in={in_text!r}, out={out_text!r}")
    return start, stop
