from __future__ import annotations

import json
import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stylecut.core.errors import KeyframeError, StylecutError
from stylecut.core.keyframes import Curve, Interp, Key, parse_strength

FPS30 = Fraction(30)


def two_keys(interp: Interp, handles: tuple[float, float, float, float] | None = None) -> Curve:
    first = Key(0.0, 0.0, interp) if handles is None else Key(0.0, 0.0, interp, handles)
    return Curve((first, Key(2.0, 1.0)))


# --- Interp ----------------------------------------------------------------------------------


def test_interp_parse() -> None:
    assert Interp.parse("hold") is Interp.HOLD
    assert Interp.parse(" Ease ") is Interp.EASE
    assert Interp.parse(Interp.BEZIER) is Interp.BEZIER
    assert Interp("linear") is Interp.LINEAR
    assert Interp.LINEAR == "linear"


def test_interp_parse_unknown() -> None:
    with pytest.raises(KeyframeError) as info:
        Interp.parse("cubic")
    message = str(info.value)
    assert "'cubic'" in message
    assert "hold, linear, ease, bezier" in message
    assert message.endswith("Received: interp='cubic'")


# --- Key -------------------------------------------------------------------------------------


def test_key_coerces_and_defaults() -> None:
    key = Key(1, 1, "ease", [0, 0, 1, 1])  # type: ignore[arg-type]
    assert key == Key(1.0, 1.0, Interp.EASE, (0.0, 0.0, 1.0, 1.0))
    assert isinstance(key.time, float) and isinstance(key.value, float)
    assert key.interp is Interp.EASE
    assert Key(0.0, 0.5).interp is Interp.LINEAR
    assert Key(0.0, 0.5).handles == (0.42, 0.0, 0.58, 1.0)
    with pytest.raises(AttributeError):
        key.value = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"time": 0.0, "value": math.nan}, "value=nan"),
        ({"time": 0.0, "value": 1.5}, "value=1.5"),
        ({"time": 0.0, "value": -0.1}, "value=-0.1"),
        ({"time": 0.0, "value": math.inf}, "value=inf"),
        ({"time": -1.0, "value": 0.5}, "time=-1.0"),
        ({"time": math.nan, "value": 0.5}, "time=nan"),
        ({"time": math.inf, "value": 0.5}, "time=inf"),
        ({"time": "1", "value": 0.5}, "time='1'"),
        ({"time": 0.0, "value": True}, "value=True"),
        ({"time": 0.0, "value": 0.5, "interp": "cubic"}, "interp='cubic'"),
        ({"time": 0.0, "value": 0.5, "handles": (0, 0, 1)}, "handles=(0, 0, 1)"),
        ({"time": 0.0, "value": 0.5, "handles": (1.5, 0, 1, 1)}, "handles=(1.5, 0, 1, 1)"),
        ({"time": 0.0, "value": 0.5, "handles": (0, 0, -0.1, 1)}, "handles=(0, 0, -0.1, 1)"),
        ({"time": 0.0, "value": 0.5, "handles": (0, math.nan, 1, 1)}, "handles=(0, nan, 1, 1)"),
        ({"time": 0.0, "value": 0.5, "handles": "abcd"}, "handles='abcd'"),
    ],
)
def test_key_rejects(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(KeyframeError) as info:
        Key(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, StylecutError)
    assert needle in str(info.value)
    assert "Received: " in str(info.value)


def test_key_value_message() -> None:
    with pytest.raises(KeyframeError) as info:
        Key(0.0, 1.5)
    assert str(info.value) == "Keyframe values must be in [0, 1]. Received: value=1.5"


def test_bezier_y_handles_may_overshoot() -> None:
    Key(0.0, 0.5, Interp.BEZIER, (0.3, -0.5, 0.7, 1.5))


# --- Curve construction ----------------------------------------------------------------------


def test_curve_sorts_keys() -> None:
    curve = Curve((Key(2.0, 1.0), Key(0.0, 0.0), Key(1.0, 0.5)))
    assert [key.time for key in curve.keys] == [0.0, 1.0, 2.0]
    assert isinstance(curve.keys, tuple)
    assert Curve([Key(1.0, 0.5), Key(0.0, 0.0)]) == Curve((Key(0.0, 0.0), Key(1.0, 0.5)))  # type: ignore[arg-type]


def test_curve_is_hashable_and_frozen() -> None:
    curve = Curve((Key(0.0, 0.0), Key(1.0, 1.0)))
    assert hash(curve) == hash(Curve((Key(0.0, 0.0), Key(1.0, 1.0))))
    with pytest.raises(AttributeError):
        curve.keys = ()  # type: ignore[misc]


def test_curve_rejects_duplicate_times() -> None:
    with pytest.raises(KeyframeError) as info:
        Curve((Key(0.0, 0.0), Key(2.5, 1.0), Key(2.5, 0.5)))
    assert "2.5" in str(info.value)
    assert str(info.value).endswith("Received: time=2.5")


@pytest.mark.parametrize("keys", [(), [], None, Key(0.0, 0.5), (Key(0.0, 0.5), 0.3)])
def test_curve_rejects_bad_keys(keys: object) -> None:
    with pytest.raises(KeyframeError, match="Received: "):
        Curve(keys)  # type: ignore[arg-type]


def test_constant_curve() -> None:
    curve = Curve.constant(0.7)
    assert curve.is_constant
    assert curve.min_value == curve.max_value == 0.7
    t = np.linspace(-5.0, 100.0, 17)
    np.testing.assert_array_equal(curve(t), np.full(17, 0.7))
    with pytest.raises(KeyframeError, match="value=1.2"):
        Curve.constant(1.2)


def test_min_max_and_is_constant() -> None:
    curve = Curve((Key(0.0, 0.2), Key(1.0, 0.9), Key(2.0, 0.4)))
    assert not curve.is_constant
    assert curve.min_value == 0.2
    assert curve.max_value == 0.9
    assert Curve((Key(0.0, 0.3), Key(5.0, 0.3, Interp.HOLD))).is_constant


def test_min_max_include_bezier_overshoot() -> None:
    curve = Curve((Key(0.0, 0.0, Interp.BEZIER, (0.3, -0.5, 0.7, 1.6)), Key(1.0, 0.5)))
    sampled = curve(np.linspace(0.0, 1.0, 20001))
    assert curve.max_value > 0.5
    assert curve.max_value == pytest.approx(sampled.max(), abs=1e-6)
    assert curve.min_value == 0.0 == sampled.min()  # undershoot is clamped to 0


# --- evaluation ------------------------------------------------------------------------------


def test_hold_steps() -> None:
    curve = Curve((Key(0.0, 0.2, Interp.HOLD), Key(1.0, 0.8, Interp.HOLD), Key(2.0, 0.4)))
    t = np.array([0.0, 0.5, 0.999, 1.0, 1.5, 1.999, 2.0, 3.0])
    np.testing.assert_allclose(curve(t), [0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.4, 0.4])


def test_linear_midpoints() -> None:
    curve = Curve((Key(0.0, 0.0), Key(2.0, 1.0), Key(4.0, 0.5)))
    np.testing.assert_allclose(curve([0.0, 1.0, 0.5, 2.0, 3.0, 4.0]), [0, 0.5, 0.25, 1, 0.75, 0.5])


def test_ease_is_symmetric_and_smooth() -> None:
    curve = two_keys(Interp.EASE)
    u = np.linspace(0.0, 1.0, 101)
    s = curve(2.0 * u)
    np.testing.assert_allclose(s + s[::-1], 1.0, atol=1e-12)
    assert curve(1.0) == pytest.approx(0.5)
    assert curve(0.2) < 0.1  # slow start
    assert np.all(np.diff(s) >= 0)
    # zero slope at both ends
    assert curve(1e-4) == pytest.approx(0.0, abs=1e-7)
    assert curve(2.0 - 1e-4) == pytest.approx(1.0, abs=1e-7)


def test_bezier_with_linear_handles_is_linear() -> None:
    curve = two_keys(Interp.BEZIER, (0.0, 0.0, 1.0, 1.0))
    t = np.linspace(0.0, 2.0, 1001)
    np.testing.assert_allclose(curve(t), t / 2.0, atol=1e-6)
    curve = two_keys(Interp.BEZIER, (1 / 3, 1 / 3, 2 / 3, 2 / 3))
    np.testing.assert_allclose(curve(t), t / 2.0, atol=1e-6)


def test_bezier_default_handles_monotone_ease() -> None:
    curve = two_keys(Interp.BEZIER)
    t = np.linspace(0.0, 2.0, 2001)
    s = curve(t)
    assert np.all(np.diff(s) >= -1e-12)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert curve(1.0) == pytest.approx(0.5, abs=1e-6)  # (0.42, 0, 0.58, 1) is symmetric
    assert curve(0.2) < 0.1


def test_bezier_matches_reference_solution() -> None:
    # CSS "ease" (0.25, 0.1, 0.25, 1): solve x(u) densely and compare y.
    handles = (0.25, 0.1, 0.25, 1.0)
    u = np.linspace(0.0, 1.0, 200001)
    x = 3 * (1 - u) ** 2 * u * handles[0] + 3 * (1 - u) * u**2 * handles[2] + u**3
    y = 3 * (1 - u) ** 2 * u * handles[1] + 3 * (1 - u) * u**2 * handles[3] + u**3
    probe = np.linspace(0.0, 1.0, 57)
    expected = np.interp(probe, x, y)
    curve = Curve((Key(0.0, 0.0, Interp.BEZIER, handles), Key(1.0, 1.0)))
    np.testing.assert_allclose(curve(probe), expected, atol=1e-5)


def test_bezier_steep_handles_converge() -> None:
    # x1 = x2 = 0 gives a vertical start where Newton alone struggles.
    curve = Curve((Key(0.0, 0.0, Interp.BEZIER, (0.0, 1.0, 0.0, 1.0)), Key(1.0, 1.0)))
    s = curve(np.linspace(0.0, 1.0, 101))
    assert np.all(np.isfinite(s))
    assert np.all(np.diff(s) >= -1e-9)
    curve = Curve((Key(0.0, 0.0, Interp.BEZIER, (1.0, 0.0, 1.0, 0.0)), Key(1.0, 1.0)))
    s = curve(np.linspace(0.0, 1.0, 101))
    assert np.all(np.diff(s) >= -1e-9)


def test_bezier_overshoot_is_clamped() -> None:
    curve = Curve((Key(0.0, 0.2, Interp.BEZIER, (0.2, -3.0, 0.8, 4.0)), Key(1.0, 0.8)))
    s = curve(np.linspace(0.0, 1.0, 501))
    assert s.min() == 0.0 and s.max() == 1.0


def test_clamps_before_first_and_after_last_key() -> None:
    curve = Curve((Key(1.0, 0.3), Key(2.0, 0.9)))
    np.testing.assert_allclose(curve([-10.0, 0.0, 0.99, 2.0, 2.01, 1e9]), [0.3] * 3 + [0.9] * 3)
    assert curve(-np.inf) == 0.3 and curve(np.inf) == 0.9


def test_vectorised_shapes_and_dtype() -> None:
    curve = Curve((Key(0.0, 0.0), Key(1.0, 1.0, Interp.EASE), Key(2.0, 0.0)))
    t = np.linspace(-0.5, 2.5, 24, dtype=np.float32).reshape(2, 3, 4)
    out = curve(t)
    assert out.shape == (2, 3, 4)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.ravel(), curve(t.ravel().astype(np.float64)))
    scalar = curve(0.5)
    assert np.ndim(scalar) == 0
    assert float(scalar) == pytest.approx(0.5)
    assert curve.evaluate([0, 1]).tolist() == [0.0, 1.0]
    assert curve(np.empty((0,))).shape == (0,)
    assert Curve.constant(0.5)(np.zeros((3, 2))).shape == (3, 2)


def test_evaluate_rejects_nan_times() -> None:
    curve = Curve((Key(0.0, 0.0), Key(1.0, 1.0)))
    with pytest.raises(KeyframeError, match="NaN"):
        curve(np.array([0.0, np.nan]))


@settings(max_examples=100, deadline=None)
@given(
    keys=st.dictionaries(
        st.floats(0.0, 1000.0, allow_nan=False),
        st.floats(0.0, 1.0, allow_nan=False),
        min_size=1,
        max_size=8,
    ),
    times=st.lists(st.floats(-100.0, 1100.0, allow_nan=False), min_size=1, max_size=40),
)
def test_linear_curve_stays_within_key_values(keys: dict[float, float], times: list[float]) -> None:
    curve = Curve(tuple(Key(t, v) for t, v in keys.items()))
    out = curve(np.array(times))
    lo, hi = min(keys.values()), max(keys.values())
    assert np.all((out >= 0.0) & (out <= 1.0))
    assert np.all((out >= lo - 1e-12) & (out <= hi + 1e-12))
    assert curve.min_value == lo and curve.max_value == hi


# --- serialisation ---------------------------------------------------------------------------


def sample_curve() -> Curve:
    return Curve(
        (
            Key(0.0, 0.0, Interp.HOLD),
            Key(1 / 3, 0.1 + 0.2),
            Key(1.5, 1.0, Interp.EASE),
            Key(2.25, 0.123456789012345, Interp.BEZIER, (0.1, -0.2, 0.9, 1.3)),
            Key(10.0, 0.4),
        )
    )


def test_to_dict_format() -> None:
    data = sample_curve().to_dict()
    assert data["format"] == "stylecut.keyframes"
    assert data["version"] == 1
    assert data["keys"][0] == {"time": 0.0, "value": 0.0, "interp": "hold"}
    assert data["keys"][1]["interp"] == "linear"
    assert "handles" not in data["keys"][1]
    assert data["keys"][3]["handles"] == [0.1, -0.2, 0.9, 1.3]


def test_json_round_trip_is_exact() -> None:
    curve = sample_curve()
    text = curve.to_json()
    assert json.loads(text)["version"] == 1
    again = Curve.from_json(text)
    assert again == curve
    assert again.keys[1].value == 0.1 + 0.2
    assert Curve.from_dict(curve.to_dict()) == curve
    t = np.linspace(-1.0, 11.0, 301)
    np.testing.assert_array_equal(again(t), curve(t))


def test_round_trip_keeps_non_default_handles_on_other_interps() -> None:
    curve = Curve((Key(0.0, 0.0, Interp.LINEAR, (0.0, 0.0, 1.0, 1.0)), Key(1.0, 1.0)))
    assert Curve.from_json(curve.to_json()) == curve


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "strength.json"
    curve = sample_curve()
    curve.save(path)
    assert Curve.load(path) == curve
    assert Curve.load(str(path)) == curve
    Curve.constant(0.5).save(str(path))  # overwrite in place
    assert Curve.load(path) == Curve.constant(0.5)
    assert sorted(os.listdir(tmp_path)) == ["strength.json"]  # no temp files left


def test_save_is_atomic_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "strength.json"
    Curve.constant(0.25).save(path)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        sample_curve().save(path)
    monkeypatch.undo()
    assert Curve.load(path) == Curve.constant(0.25)
    assert sorted(os.listdir(tmp_path)) == ["strength.json"]


def test_save_to_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "strength.json"
    with pytest.raises(ValueError, match="nope"):
        Curve.constant(0.5).save(target)


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    with pytest.raises(KeyframeError) as info:
        Curve.load(path)
    assert str(info.value).startswith(f"Keyframe file not found: {str(path)!r}")
    assert str(path) in str(info.value)


def test_load_bad_json_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "stylecut.keyframes", "version": 1,\n  "keys": [}', "utf-8")
    with pytest.raises(KeyframeError) as info:
        Curve.load(path)
    assert str(path) in str(info.value)
    assert "line 2 column" in str(info.value)


def test_load_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyframeError, match="Cannot read keyframe file"):
        Curve.load(tmp_path)


@pytest.mark.parametrize("text", ["{", "", "not json", '{"version": 1, "keys": [1,]}'])
def test_from_json_bad_json(text: str) -> None:
    with pytest.raises(KeyframeError) as info:
        Curve.from_json(text)
    message = str(info.value)
    assert "not valid JSON" in message
    assert "line 1 column" in message
    assert f"Received: text={text!r}" in message


def valid() -> dict[str, object]:
    return {
        "format": "stylecut.keyframes",
        "version": 1,
        "keys": [{"time": 0.0, "value": 0.0}, {"time": 1.0, "value": 1.0, "interp": "ease"}],
    }


def with_key(**changes: object) -> dict[str, object]:
    data = valid()
    key = {"time": 1.0, "value": 1.0, "interp": "ease"}
    key.update(changes)
    data["keys"] = [{"time": 0.0, "value": 0.0}, {k: v for k, v in key.items() if v is not ...}]
    return data


@pytest.mark.parametrize(
    ("data", "needles"),
    [
        ({**valid(), "version": 2}, ["version 2", "version=2"]),
        ({**valid(), "version": "1"}, ["version='1'"]),
        ({k: v for k, v in valid().items() if k != "version"}, ["'version'"]),
        ({k: v for k, v in valid().items() if k != "keys"}, ["'keys'"]),
        ({**valid(), "format": "other"}, ["format='other'"]),
        ({**valid(), "keys": []}, ["keys=[]"]),
        ({**valid(), "keys": "0:0"}, ["keys='0:0'"]),
        (with_key(value=math.nan), ["value=nan", "(key 1)"]),
        (with_key(value=1.5), ["value=1.5", "(key 1)"]),
        (with_key(time=-1.0), ["time=-1.0", "(key 1)"]),
        (with_key(time=0.0), ["time=0.0"]),  # duplicate time
        (with_key(time="1s"), ["time='1s'", "(key 1)"]),
        (with_key(value=...), ["'value'", "(key 1)"]),
        (with_key(time=...), ["'time'", "(key 1)"]),
        (with_key(interp="cubic"), ["interp='cubic'", "(key 1)"]),
        (with_key(interp=3), ["interp=3", "(key 1)"]),
        (with_key(handles=[0, 0, 1]), ["handles=(0, 0, 1)", "(key 1)"]),
        (with_key(handles="fast"), ["handles='fast'", "(key 1)"]),
        ([1, 2], ["[1, 2]"]),
    ],
)
def test_from_dict_rejects(data: object, needles: list[str]) -> None:
    with pytest.raises(KeyframeError) as info:
        Curve.from_dict(data)  # type: ignore[arg-type]
    for needle in needles:
        assert needle in str(info.value)
    assert "Received: " in str(info.value)


def test_from_json_nan_value() -> None:
    text = '{"version": 1, "keys": [{"time": 0, "value": NaN}]}'
    with pytest.raises(KeyframeError, match="value=nan"):
        Curve.from_json(text)


def test_from_dict_without_format_field() -> None:
    data = {"version": 1, "keys": [{"time": 0, "value": 0.5}]}
    assert Curve.from_dict(data) == Curve.constant(0.5)


# --- parse_strength --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0.7", " 0.7 ", ".7", "0.70"])
def test_parse_strength_constant(text: str) -> None:
    curve = parse_strength(text, FPS30)
    assert curve == Curve.constant(0.7)
    assert curve.is_constant


def test_parse_strength_zero_and_one() -> None:
    assert parse_strength("0", FPS30) == Curve.constant(0.0)
    assert parse_strength("1", FPS30) == Curve.constant(1.0)


def test_parse_strength_keys() -> None:
    curve = parse_strength("0:0,2s:1,5.5s:0.4", FPS30)
    assert curve == Curve((Key(0.0, 0.0), Key(2.0, 1.0), Key(5.5, 0.4)))
    assert float(curve(1.0)) == pytest.approx(0.5)


def test_parse_strength_time_forms_and_interp() -> None:
    curve = parse_strength("0:0@hold, 60:1@ease ,00:00:05:15:0.4@Bezier,00:00:10:00:0", FPS30)
    assert [key.time for key in curve.keys] == [0.0, 2.0, 5.5, 10.0]
    assert [key.value for key in curve.keys] == [0.0, 1.0, 0.4, 0.0]
    assert [key.interp for key in curve.keys] == [
        Interp.HOLD,
        Interp.EASE,
        Interp.BEZIER,
        Interp.LINEAR,
    ]
    assert float(curve(1.9)) == 0.0  # hold


def test_parse_strength_frame_numbers_use_fps() -> None:
    curve = parse_strength("0:0,45:1", FPS30)
    assert curve.keys[1].time == 1.5
    ntsc = parse_strength("0:0,00:01:00;02:1", Fraction(30000, 1001))
    assert ntsc.keys[1].time == float(Fraction(1800 * 1001, 30000))


def test_parse_strength_sorts_keys() -> None:
    assert parse_strength("2s:1,0:0", FPS30) == parse_strength("0:0,2s:1", FPS30)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("x:1", "Bad strength key 'x:1'"),
        ("0:0,x:1", "Bad strength key 'x:1'"),
        ("0:0,2s", "Bad strength key '2s'"),
        ("0:0,2s:", "Bad strength key '2s:'"),
        ("0:0,:1", "Bad strength key ':1'"),
        ("0:0,,2s:1", "Bad strength key ''"),
        ("0:1.5", "value=1.5"),
        ("0:abc", "'abc'"),
        ("0:nan", "'nan'"),
        ("0:0@cubic", "'cubic'"),
        ("0:0,-1s:1", "'-1s'"),
        ("0:0,1.5:1", "'1.5'"),
        ("0:0,00:00:01:30:1", "00:00:01:30"),
        ("0:0,0:1", "0.0"),
        ("1.5", "value=1.5"),
        ("-0.2", "-0.2"),
        ("abc", "'abc'"),
        ("", "number in [0, 1]"),
    ],
)
def test_parse_strength_rejects(text: str, needle: str) -> None:
    with pytest.raises(KeyframeError) as info:
        parse_strength(text, FPS30)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert needle in message
    assert message.endswith(f"Received: strength={text!r}")
