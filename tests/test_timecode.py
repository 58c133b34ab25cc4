from __future__ import annotations

import math
from fractions import Fraction

import pytest
from stylecut.core.errors import StylecutError, TimecodeError
from stylecut.core.timecode import (
    format_seconds,
    frame_to_seconds,
    frame_to_timecode,
    is_drop_frame_rate,
    nominal_rate,
    parse_fps,
    parse_time,
    seconds_to_frame,
    timecode_to_frame,
)

NTSC = Fraction(30000, 1001)
NTSC60 = Fraction(60000, 1001)
FPS30 = Fraction(30)


# --- frame rates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30000/1001", NTSC),
        ("29.97", NTSC),
        (29.97, NTSC),
        ("23.976", Fraction(24000, 1001)),
        ("23.98", Fraction(24000, 1001)),
        ("59.94", NTSC60),
        ("25", Fraction(25)),
        (25, Fraction(25)),
        ("30", Fraction(30)),
        ("12.5", Fraction(25, 2)),
        (" 24000 / 1001 ", Fraction(24000, 1001)),
        (Fraction(2997, 100), Fraction(2997, 100)),
    ],
)
def test_parse_fps(value: object, expected: Fraction) -> None:
    rate = parse_fps(value)  # type: ignore[arg-type]
    assert rate == expected
    assert isinstance(rate, Fraction)


@pytest.mark.parametrize(
    "value", ["0", "-25", "abc", "", "30/0", "nan", float("nan"), float("inf"), 0, -1, True]
)
def test_parse_fps_rejects(value: object) -> None:
    with pytest.raises(TimecodeError) as info:
        parse_fps(value)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, StylecutError)
    assert f"Received: fps={value!r}" in str(info.value)


def test_nominal_and_drop_frame_rates() -> None:
    assert nominal_rate(NTSC) == 30
    assert nominal_rate(Fraction(24000, 1001)) == 24
    assert nominal_rate(Fraction(25)) == 25
    assert is_drop_frame_rate(NTSC)
    assert is_drop_frame_rate(NTSC60)
    assert not is_drop_frame_rate(Fraction(30))
    assert not is_drop_frame_rate(Fraction(24000, 1001))


# --- frames <-> seconds ----------------------------------------------------------------------


def test_frame_to_seconds_is_exact() -> None:
    assert frame_to_seconds(45, FPS30) == Fraction(3, 2)
    assert frame_to_seconds(30, NTSC) == Fraction(1001, 1000)
    assert isinstance(frame_to_seconds(1, NTSC), Fraction)


@pytest.mark.parametrize(
    ("seconds", "fps", "frame"),
    [
        (1.5, FPS30, 45),
        (0.1, FPS30, 3),
        (Fraction(1, 10), FPS30, 3),
        (Fraction(3, 2), FPS30, 45),
        (0, FPS30, 0),
        (0.0333, FPS30, 0),  # just before frame 1 starts at 1/30 s
        (Fraction(1, 30), FPS30, 1),
        (Fraction(1, 30) - Fraction(1, 10**9), FPS30, 0),
        (1.5015, NTSC, 45),
        (2, Fraction(25), 50),
    ],
)
def test_seconds_to_frame(seconds: Fraction | float, fps: Fraction, frame: int) -> None:
    assert seconds_to_frame(seconds, fps) == frame


def test_seconds_to_frame_round_trips_float_frame_times() -> None:
    # Float start times of frames must land on that frame, not the one before.
    for fps in (NTSC, Fraction(24000, 1001), Fraction(30), Fraction(25), NTSC60):
        for frame in range(0, 5000, 7):
            assert seconds_to_frame(float(frame_to_seconds(frame, fps)), fps) == frame
            assert seconds_to_frame(frame_to_seconds(frame, fps), fps) == frame


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1.5", None])
def test_seconds_to_frame_rejects(bad: object) -> None:
    with pytest.raises(TimecodeError, match="Received: seconds="):
        seconds_to_frame(bad, FPS30)  # type: ignore[arg-type]


def test_bad_fps_argument() -> None:
    with pytest.raises(TimecodeError, match=r"Received: fps=Fraction\(0, 1\)"):
        frame_to_seconds(1, Fraction(0))
    with pytest.raises(TimecodeError, match="Received: fps=29.97"):
        frame_to_seconds(1, 29.97)  # type: ignore[arg-type]


# --- timecode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "fps", "tc"),
    [
        (0, FPS30, "00:00:00:00"),
        (90, FPS30, "00:00:03:00"),
        (29, FPS30, "00:00:00:29"),
        (30 * 3600 + 1, FPS30, "01:00:00:01"),
        (25 * 61 + 3, Fraction(25), "00:01:01:03"),
        (1800, NTSC, "00:01:00:00"),  # non-drop counts at the nominal rate
        (24, Fraction(24000, 1001), "00:00:01:00"),
    ],
)
def test_non_drop_timecode(frame: int, fps: Fraction, tc: str) -> None:
    assert frame_to_timecode(frame, fps) == tc
    assert frame_to_timecode(frame, fps, drop_frame=False) == tc
    assert timecode_to_frame(tc, fps) == frame


@pytest.mark.parametrize(
    ("frame", "tc"),
    [
        (0, "00:00:00;00"),
        (1799, "00:00:59;29"),
        (1800, "00:01:00;02"),
        (1801, "00:01:00;03"),
        (3597, "00:01:59;29"),
        (3598, "00:02:00;02"),
        (17981, "00:09:59;29"),
        (17982, "00:10:00;00"),
        (17983, "00:10:00;01"),
        (19781, "00:10:59;29"),
        (19782, "00:11:00;02"),
        (107892, "01:00:00;00"),
    ],
)
def test_drop_frame_timecode_2997(frame: int, tc: str) -> None:
    assert frame_to_timecode(frame, NTSC, drop_frame=True) == tc
    assert timecode_to_frame(tc, NTSC) == frame


def test_drop_frame_round_trip_many_frames() -> None:
    for fps in (NTSC, NTSC60):
        previous = None
        for frame in [*range(0, 40000, 13), *range(17970, 18000), *range(107880, 107900)]:
            tc = frame_to_timecode(frame, fps, drop_frame=True)
            assert ";" in tc
            assert timecode_to_frame(tc, fps) == frame
            assert tc != previous
            previous = tc


def test_drop_frame_5994_minute_boundary() -> None:
    # Minute 0 keeps all 3600 numbers; minute 1 starts at ;04 (4 numbers dropped at 59.94).
    assert frame_to_timecode(3599, NTSC60, drop_frame=True) == "00:00:59;59"
    assert frame_to_timecode(3600, NTSC60, drop_frame=True) == "00:01:00;04"
    assert timecode_to_frame("00:01:00;04", NTSC60) == 3600
    assert frame_to_timecode(35964, NTSC60, drop_frame=True) == "00:10:00;00"


def test_drop_frame_real_time_after_an_hour() -> None:
    # Drop-frame timecode tracks the clock: one hour of timecode is one hour (to 3.6 ms).
    frame = timecode_to_frame("01:00:00;00", NTSC)
    assert abs(float(frame_to_seconds(frame, NTSC)) - 3600) < 0.004


@pytest.mark.parametrize(
    "tc",
    [
        "00:00:00:30",
        "00:60:00:00",
        "00:00:60:00",
        "00:00:00",
        "1:2",
        "aa:bb:cc:dd",
        "",
        "00:01:00;00",  # dropped number: does not exist in drop-frame
        "00:01:00;01",
        "-1:00:00:00",
    ],
)
def test_timecode_to_frame_rejects(tc: str) -> None:
    with pytest.raises(TimecodeError) as info:
        timecode_to_frame(tc, NTSC)
    assert isinstance(info.value, ValueError)
    assert repr(tc) in str(info.value)
    assert str(info.value).endswith(f"Received: timecode={tc!r}")


def test_drop_frame_needs_ntsc_rate() -> None:
    with pytest.raises(TimecodeError, match="Drop-frame"):
        timecode_to_frame("00:00:01;00", Fraction(25))
    with pytest.raises(TimecodeError, match="Drop-frame"):
        frame_to_timecode(10, Fraction(30), drop_frame=True)


def test_frame_to_timecode_rejects_negative_and_non_integer_frames() -> None:
    with pytest.raises(TimecodeError, match="Received: frame=-1"):
        frame_to_timecode(-1, FPS30)
    with pytest.raises(TimecodeError, match="Received: frame=1.5"):
        frame_to_timecode(1.5, FPS30)  # type: ignore[arg-type]


# --- command-line time -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fps", "seconds"),
    [
        ("90", FPS30, Fraction(3)),
        ("0", FPS30, Fraction(0)),
        ("45", FPS30, Fraction(3, 2)),
        ("30", NTSC, Fraction(1001, 1000)),
        ("3s", FPS30, Fraction(3)),
        ("1.5s", FPS30, Fraction(3, 2)),
        ("0.25s", FPS30, Fraction(1, 4)),
        ("0.1s", FPS30, Fraction(1, 10)),
        (" 2s ", FPS30, Fraction(2)),
        ("00:00:03:00", FPS30, Fraction(3)),
        ("00:00:01:15", FPS30, Fraction(3, 2)),
        ("00:01:00;02", NTSC, Fraction(1800) / NTSC),
    ],
)
def test_parse_time(text: str, fps: Fraction, seconds: Fraction) -> None:
    value = parse_time(text, fps)
    assert value == seconds
    assert isinstance(value, Fraction)


def test_parse_time_is_exact_for_frames() -> None:
    assert seconds_to_frame(parse_time("1.5s", FPS30), FPS30) == 45
    assert seconds_to_frame(parse_time("0.1s", FPS30), FPS30) == 3
    assert seconds_to_frame(parse_time("1.5015s", NTSC), NTSC) == 45
    assert seconds_to_frame(parse_time("00:00:59;29", NTSC), NTSC) == 1799


@pytest.mark.parametrize(
    ("text", "fps", "seconds"),
    [
        # a variable-frame-rate clip's fps is an average: its timecode is clock time
        ("00:00:10:00", Fraction(31600, 1000), Fraction(10)),
        ("00:00:10:00", Fraction(30400, 1000), Fraction(10)),
        ("00:00:01:10", Fraction(10080, 319), Fraction(1) + Fraction(10, 32)),
        ("01:02:03:15", Fraction(30400, 1000), Fraction(3723) + Fraction(15, 30)),
        ("00:00:10;00", Fraction(30400, 1000), Fraction(10)),  # ';' reads the same
        # frames and seconds are as on a constant-rate clip
        ("45", Fraction(30400, 1000), Fraction(45) / Fraction(30400, 1000)),
        ("1.5s", Fraction(30400, 1000), Fraction(3, 2)),
    ],
)
def test_parse_time_vfr_timecode_is_clock_time(text: str, fps: Fraction, seconds: Fraction) -> None:
    value = parse_time(text, fps, vfr=True)
    assert value == seconds and isinstance(value, Fraction)


def test_parse_time_vfr_timecode_checks_its_ranges() -> None:
    with pytest.raises(TimecodeError, match="frames must be below 30.*Received: timecode='00:00:01:30'"):
        parse_time("00:00:01:30", Fraction(30400, 1000), vfr=True)
    with pytest.raises(TimecodeError, match="below 60.*Received: timecode='00:61:00;00'"):
        parse_time("00:61:00;00", Fraction(30400, 1000), vfr=True)


@pytest.mark.parametrize("text", ["1.5", "-1", "-1s", "", "  ", "abc", "3m", "1.5.2s", "s", "1e3s"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(TimecodeError) as info:
        parse_time(text, FPS30)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert repr(text) in message
    assert "frame number (90)" in message
    assert "seconds (3s, 1.5s)" in message
    assert "timecode (00:00:03:00)" in message
    assert message.endswith(f"Received: time={text!r}")


def test_parse_time_error_message_exact() -> None:
    with pytest.raises(ValueError) as info:
        parse_time("1.5", FPS30)
    assert str(info.value) == (
        "Cannot parse time '1.5': use a frame number (90), seconds (3s, 1.5s) or a timecode "
        "(00:00:03:00). Received: time='1.5'"
    )


def test_parse_time_out_of_range_timecode() -> None:
    with pytest.raises(TimecodeError, match="frames must be below 30"):
        parse_time("00:00:01:30", FPS30)


# --- formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (Fraction(12345, 1000), "12.345s"),
        (12.345, "12.345s"),
        (0, "0.000s"),
        (Fraction(1, 3), "0.333s"),
        (Fraction(1001, 1000), "1.001s"),
        (59.9996, "60.000s"),
        (-1.5, "-1.500s"),
    ],
)
def test_format_seconds(seconds: Fraction | float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_format_seconds_rejects_nan() -> None:
    with pytest.raises(TimecodeError, match="nan"):
        format_seconds(math.nan)


class _FakeIndex:
    """30 fps, 90 frames; ``is_vfr`` as given."""

    def __init__(self, is_vfr: bool = False) -> None:
        self.duration, self.is_vfr = Fraction(3), is_vfr

    def __len__(self) -> int:
        return 90

    def frame_at(self, seconds: Fraction) -> int:
        return min(89, int(seconds * 30))

    def first_at_or_after(self, seconds: Fraction) -> int:
        return min(90, -(-seconds * 30 // 1))


def test_frame_range_reads_frames_seconds_and_timecodes():
    from stylecut.core import frame_range

    index = _FakeIndex()
    assert frame_range(index, Fraction(30), None, None) == (None, None)
    assert frame_range(index, Fraction(30), "15", "1.5s") == (15, 45)
    assert frame_range(index, Fraction(30), "00:00:01:00", None) == (30, None)
    assert frame_range(index, Fraction(30), None, "90") == (None, 90)
    with pytest.raises(TimecodeError, match=r"--in '90' is outside clip.mp4 \(frames 0\.\.89"):
        frame_range(index, Fraction(30), "90", None, source="clip.mp4")
    with pytest.raises(TimecodeError, match="--out must come after --in"):
        frame_range(index, Fraction(30), "2s", "1s")
