"""The ``stylecut`` CLI through click's CliRunner (stdout and stderr checked apart)."""

from __future__ import annotations

import importlib
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from stylecut.core import FOLLOW_PANS_FROM, ModelError, StyleNotFoundError, probe, render
from stylecut.core.testing import FunctionStylizer, InvertStylizer
from stylecut.models import find_style, list_styles
from stylecut.plugin.cli import cli

cli_module = importlib.import_module("stylecut.plugin.cli")  # the module, not the group


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def fake_style(monkeypatch: pytest.MonkeyPatch) -> InvertStylizer:
    """`--style test` loads the test double instead of a Keras generator."""
    stylizer = InvertStylizer()
    monkeypatch.setattr(cli_module, "_load_style", lambda name: stylizer)
    return stylizer


def run(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args])


def test_help_lists_every_command(runner: CliRunner):
    result = run(runner, "--help")
    assert result.exit_code == 0
    for command in ("render", "probe", "styles", "demo", "codecs"):
        assert command in result.stdout


def test_probe_text_and_json(runner: CliRunner, small_clip: Path):
    result = run(runner, "probe", small_clip)
    assert result.exit_code == 0, result.stderr
    assert "64x48" in result.stdout and "36 frames" in result.stdout and "aac" in result.stdout
    result = run(runner, "probe", small_clip, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # stdout carries only JSON
    assert data["video"]["frame_count"] == 36 and data["audio"][0]["codec"] == "aac"


def test_styles_says_none_installed(runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path):
    monkeypatch.setenv("STYLECUT_STYLES", str(tmp_path))
    monkeypatch.setattr("stylecut.models.registry.shipped_styles_dir", lambda: tmp_path / "none")
    result = run(runner, "styles")
    assert result.exit_code == 0
    assert "No styles are installed" in result.stdout


def test_styles_lists_cards_with_default_and_evaluation(runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path):
    monkeypatch.setenv("STYLECUT_STYLES", str(tmp_path))
    monkeypatch.setattr("stylecut.models.registry.shipped_styles_dir", lambda: tmp_path / "none")
    evaluation = {"output": {"structure": 0.75, "diversity": 0.65},
                  "ratios": {"reinhard": {"texture": 0.34, "colour": 0.55, "stroke": 0.72}}}
    cards = {"alpha": {"style_source": {"title": "A painting", "licence": "PD"}},
             "beta": {"default": True, "training": {"steps": 3000, "wall_time_s": 1764.0},
                      "evaluation": evaluation},
             "gamma": {"training": {"steps": 1000, "wall_time_s": 610.0, "wall_time_with_init_s": 2374.0,
                                    "config": {"init": "beta"}}}}
    for name, data in cards.items():
        (tmp_path / f"{name}.json").write_text(json.dumps({"name": name, **data}))
    result = run(runner, "styles")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "alpha" and "A painting, PD" in lines[1]
    assert "beta  (default)" in lines
    assert "3000 steps; 29 min training; vs Reinhard: texture 0.34x, colour 0.55x, stroke 0.72x; " \
           "structure 0.75, diversity 0.65" in result.stdout
    listed = json.loads(run(runner, "styles", "--json").stdout)
    assert "1000 steps from beta; 10 min training (40 min with its --init)" in result.stdout
    assert [c["name"] for c in listed] == ["alpha", "beta", "gamma"] and listed[1]["default"] is True


def test_render_with_unknown_style_is_a_one_line_error(runner: CliRunner, small_clip: Path,
                                                       tmp_path: Path):
    result = run(runner, "render", small_clip, "-o", tmp_path / "o.mp4", "--style", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("stylecut: error: Unknown style")
    assert "Received: style='nope'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.mp4").exists()


def test_render_with_keyframes_range_and_codec(runner: CliRunner, small_clip: Path,
                                               tmp_path: Path, fake_style: InvertStylizer):
    out = tmp_path / "out.mkv"
    result = run(runner, "render", small_clip, "-o", out, "--style", "test", "--strength",
                 "0:0@hold,0.5s:1", "--in", "6", "--out", "00:00:01:06", "--codec", "ffv1",
                 "--temporal", "off")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out)
    info = probe(out)
    assert info.video.frame_count == 24  # frames 6..29 (1s 6f at 24 fps = frame 30, exclusive)
    from stylecut.core import VideoReader

    with VideoReader(out) as r, VideoReader(small_clip) as s:
        first, src_first = r.read(0), s.read(6)
        np.testing.assert_array_equal(first, src_first)  # s=0 before 0.5 s: untouched
        last = r.read(23).astype(int)
        np.testing.assert_allclose(last, 255 - s.read(29).astype(int), atol=0)
    assert fake_style.frames_seen == 30 - 12  # frames at >= 0.5 s (12..29)


def test_render_follow_pans_sets_the_still_hold(runner: CliRunner, small_clip: Path, tmp_path: Path,
                                                fake_style: InvertStylizer, monkeypatch: pytest.MonkeyPatch):
    cli_module = importlib.import_module("stylecut.plugin.cli")  # the package exports the group as `cli`
    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs["settings"])
        return render(*args, **kwargs)

    monkeypatch.setattr(cli_module, "render", spy)
    for flag in ([], ["--follow-pans"]):
        out = tmp_path / f"out{len(seen)}.mkv"
        result = run(runner, "render", small_clip, "-o", out, "--style", "test", "--out", "8",
                     "--codec", "ffv1", *flag)
        assert result.exit_code == 0, result.stderr
        assert probe(out).video.frame_count == 8
    assert [s.stabiliser.still.pan for s in seen] == [math.inf, FOLLOW_PANS_FROM]


def test_render_seconds_in_point_and_keyframes_file(runner: CliRunner, small_clip: Path,
                                                    tmp_path: Path, fake_style: InvertStylizer):
    curve = tmp_path / "curve.json"
    curve.write_text(json.dumps({"format": "stylecut.keyframes", "version": 1,
                                 "keys": [{"time": 0, "value": 0.25}]}))
    out = tmp_path / "o.mp4"
    result = run(runner, "render", small_clip, "-o", out, "--style", "t", "--keyframes", curve,
                 "--in", "0.5s", "-q")
    assert result.exit_code == 0, result.stderr
    assert probe(out).video.frame_count == 24


@pytest.mark.parametrize(("args", "message"), [
    (["--strength", "2"], "keyframe values must be in [0, 1]"),
    (["--strength", "0:0,0:1"], "distinct"),
    (["--keyframes", "missing.json"], "Keyframe file not found"),
    (["--in", "abc"], "Cannot parse time 'abc'"),
    (["--in", "500"], "is outside"),
    (["--in", "20", "--out", "10"], "--out must come after --in"),
    (["--codec", "prores"], "cannot be written to a .mp4"),
    (["--crf", "99"], "CRF for h264 must be in 0..51"),
])
def test_bad_options_exit_2_with_one_line(runner: CliRunner, small_clip: Path, tmp_path: Path,
                                          fake_style: InvertStylizer, args: list[str],
                                          message: str):
    result = run(runner, "render", small_clip, "-o", tmp_path / "o.mp4", "--style", "t", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.mp4").exists()


def test_bad_inputs_exit_2(runner: CliRunner, small_clip: Path, tmp_path: Path,
                           fake_style: InvertStylizer):
    text = tmp_path / "text.mp4"
    text.write_text("not a video" * 50)
    audio_only = tmp_path / "tone.wav"
    import av

    with av.open(str(audio_only), "w") as c:
        s = c.add_stream("pcm_s16le", rate=8000, layout="mono")
        f = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        f.sample_rate = 8000
        for p in s.encode(f):
            c.mux(p)
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(small_clip.read_bytes()[:3000])
    existing = tmp_path / "exists.mp4"
    existing.write_bytes(b"keep me")
    cases = [
        ([tmp_path / "missing.mp4", "-o", tmp_path / "a.mp4"], "Input file not found"),
        ([text, "-o", tmp_path / "a.mp4"], "not a media file"),
        ([truncated, "-o", tmp_path / "a.mp4"], "truncated or corrupt"),
        ([audio_only, "-o", tmp_path / "a.mp4"], "no video stream"),
        ([small_clip, "-o", tmp_path / "nodir" / "a.mp4"], "Output folder does not exist"),
        ([small_clip, "-o", small_clip, "--overwrite"], "would overwrite the input"),
        ([small_clip, "-o", existing], "already exists"),
        ([small_clip, "-o", tmp_path / "a.xyz"], "cannot be written to a .xyz"),
    ]
    for args, message in cases:
        result = run(runner, "render", *args, "--style", "t")
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (message, result.stderr)
        assert result.stderr.count("\n") == 1
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "exists.mp4", "small.mp4",
                                                          "text.mp4", "tone.wav"]


def test_probe_bad_input_exit_2(runner: CliRunner, tmp_path: Path):
    result = run(runner, "probe", tmp_path / "none.mov")
    assert result.exit_code == 2 and "Input file not found" in result.stderr


def test_ctrl_c_exits_130_and_leaves_nothing(runner: CliRunner, small_clip: Path,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def interrupt(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "_load_style", lambda name: FunctionStylizer(interrupt))
    out = tmp_path / "o.mp4"
    result = run(runner, "render", small_clip, "-o", out, "--style", "t")
    assert result.exit_code == 130
    assert "cancelled" in result.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["small.mp4"]


def test_internal_error_is_one_line_exit_1(runner: CliRunner, small_clip: Path,
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def boom(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        raise RuntimeError("kaput")

    monkeypatch.setattr(cli_module, "_load_style", lambda name: FunctionStylizer(boom))
    result = run(runner, "render", small_clip, "-o", tmp_path / "o.mp4", "--style", "t")
    assert result.exit_code == 1
    assert "internal error: RuntimeError: kaput" in result.stderr
    assert "--debug" in result.stderr


def test_codecs_lists_presets(runner: CliRunner):
    result = run(runner, "codecs")
    assert result.exit_code == 0
    for name in ("h264", "hevc", "prores", "prores4444", "ffv1", "vp9"):
        assert name in result.stdout


def test_demo_renders_a_clip_and_a_sheet(runner: CliRunner, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STYLECUT_STYLES", str(tmp_path / "no-user-styles"))
    result = run(runner, "demo", "-o", tmp_path / "demo", "-q")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "demo" / "demo-styled.mp4").exists()
    assert (tmp_path / "demo" / "demo-sheet.png").exists()
    assert "fps" in result.stdout
    shipped = [c.name for c in list_styles() if c.data.get("default")]
    assert f"style:         {shipped[0]}" in result.stdout if shipped else "unstyled" in result.stdout
    info = probe(tmp_path / "demo" / "demo-styled.mp4")
    assert info.video.frame_count == 120 and info.audio


def test_render_progress_json_lines(runner: CliRunner, small_clip: Path, tmp_path: Path,
                                    fake_style: InvertStylizer):
    result = run(runner, "render", small_clip, "-o", tmp_path / "o.mp4", "--style", "t", "--progress-json")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines and lines[-1]["done"] == lines[-1]["total"] == 36
    assert all(set(line) == {"done", "total", "fps", "eta"} for line in lines)


@pytest.mark.parametrize(("args", "message"), [
    (["render", "{clip}", "-o", "{out}"], "Missing option '--style'"),
    (["render", "-o", "{out}", "--style", "t"], "Missing argument 'SOURCE'"),
    (["render", "{clip}", "-o", "{out}", "--style", "t", "--size", "big"], "Received: size='big'"),
    (["render", "{clip}", "-o", "{out}", "--style", "t", "--crf", "high"], "'high' is not a valid integer"),
    (["render", "{clip}", "-o", "{out}", "--style", "t", "--codec", "xvid"], "'xvid' is not one of 'h264'"),
    (["render", "{clip}", "-o", "{out}", "--style", "t", "--temporal", "on"], "'on' is not one of 'off'"),
    (["render", "{clip}", "-o", "{out}", "--style", "t", "--batch", "0"], "'--batch': 0 is not in the range"),
    (["render", "{clip}", "-o", "{out}", "--style", "t", "--temporal", "off", "--follow-pans"],
     "--follow-pans needs --temporal stable. Received: --temporal off"),
    (["render", "{clip}", "-o", "{out}", "--style", "t", "--bogus"], "No such option '--bogus'"),
    (["rendr", "{clip}"], "No such command 'rendr'"),
    (["--bogus", "render"], "No such option '--bogus'"),
    (["otio", "aply"], "No such command 'aply'"),
])
def test_usage_errors_are_one_stylecut_error_line_exit_2(runner: CliRunner, small_clip: Path, tmp_path: Path,
                                                         fake_style: InvertStylizer, args: list[str],
                                                         message: str):
    out = tmp_path / "o.mp4"
    result = run(runner, *[a.format(clip=small_clip, out=out) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("stylecut: error: ") and message in lines[0], lines[0]
    assert "Usage:" not in result.output and "internal error" not in result.output
    assert not out.exists()


def test_help_and_version_still_work(runner: CliRunner):
    for args in (["--help"], ["render", "--help"], ["otio", "--help"]):
        result = run(runner, *args)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage:")
    assert run(runner, "--version").exit_code == 0


@pytest.fixture()
def broken_user_card(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A user styles folder holding one readable card ('mine') and one corrupt one ('broken')."""
    folder = tmp_path / "user-styles"
    folder.mkdir()
    (folder / "mine.json").write_text(json.dumps({"name": "mine"}))
    (folder / "broken.json").write_text('{"name": "broken", "generator": ')  # truncated
    monkeypatch.setenv("STYLECUT_STYLES", str(folder))
    return folder / "broken.json"


def test_registry_skips_unreadable_cards_and_reports_them(broken_user_card: Path):
    warnings: list[str] = []
    names = [c.name for c in list_styles(warn=warnings.append)]
    assert "mine" in names and "broken" not in names
    assert len(warnings) == 1 and warnings[0].startswith("skipping style 'broken': Style card ")
    assert str(broken_user_card) in warnings[0] and "cannot be read" in warnings[0]
    assert [c.name for c in list_styles()] == names  # without `warn`: skipped silently
    warnings.clear()
    assert find_style("mine", warn=warnings.append).name == "mine"
    assert len(warnings) == 1 and "skipping style 'broken'" in warnings[0]
    warnings.clear()
    # the unreadable style itself: its card's own error (not "unknown style"), and no warning
    with pytest.raises(ModelError, match="cannot be read") as caught:
        find_style("broken", warn=warnings.append)
    assert not isinstance(caught.value, StyleNotFoundError) and warnings == []
    with pytest.raises(StyleNotFoundError, match=r"skipped: broken\)\. Received: style='nope'"):
        find_style("nope", warn=warnings.append)
    assert warnings == []
    # a readable card is looked for first: one named 'broken' wins over the unreadable broken.json
    (broken_user_card.parent / "alias.json").write_text(json.dumps({"name": "broken"}))
    found = find_style("broken", warn=warnings.append)
    assert found.card_path.name == "alias.json" and len(warnings) == 1


def test_a_corrupt_user_card_does_not_block_other_styles(runner: CliRunner, small_clip: Path, tmp_path: Path,
                                                         broken_user_card: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    loaded: list[str] = []

    def load(card):  # noqa: ANN001, ANN202 - records which card the CLI found
        loaded.append(card.name)
        return InvertStylizer()

    monkeypatch.setattr(cli_module, "load_stylizer", load)
    names = [c.name for c in cli_module.list_styles(warn=None)]
    assert "mine" in names and "broken" not in names
    for style in [*names[:1], "mine"]:  # a shipped style (when any ship) and a readable user style
        out = tmp_path / f"{style}.mp4"
        result = run(runner, "render", small_clip, "-o", out, "--style", style, "-q")
        assert result.exit_code == 0, result.output
        assert out.exists() and loaded[-1] == style
        warnings = [line for line in result.stderr.splitlines() if "warning" in line]
        assert len(warnings) == 1 and "skipping style 'broken'" in warnings[0]
        assert str(broken_user_card) in warnings[0]
    # only asking for that very style fails, with the card's own one-line error
    result = run(runner, "render", small_clip, "-o", tmp_path / "b.mp4", "--style", "broken")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stylecut: error: Style card {broken_user_card}")
    assert "cannot be read" in lines[0]
    # `styles` lists the others, with the warning on stderr
    result = run(runner, "styles")
    assert result.exit_code == 0 and "mine" in result.stdout.splitlines()
    assert "skipping style 'broken'" in result.stderr
    result = run(runner, "render", small_clip, "-o", tmp_path / "c.mp4", "--style", "nope")
    assert result.exit_code == 2 and "unreadable cards skipped: broken" in result.stderr


def _vfr_clip(path: Path, fast_rate: int, fast_frames: int) -> Path:
    """20 frames at 20 fps, then ``fast_frames`` at ``fast_rate``: an average rate that is not
    the rate of either part (timecode frames counted at it land off the clock time)."""
    from stylecut.core.testing import make_clip

    times = [Fraction(i, 20) for i in range(20)]
    times += [1 + Fraction(i, fast_rate) for i in range(fast_frames)]
    return make_clip(path, frames=len(times), fps=30, frame_times=times, audio=False, gop=10)


# averages 39.07 fps (timecode frames counted at it started a frame early) and 31.6 fps (late)
@pytest.mark.parametrize(("fast_rate", "fast_frames"), [(60, 64), (40, 64)])
def test_timecode_in_point_on_a_vfr_clip_is_the_frame_of_its_seconds(
    runner: CliRunner, tmp_path: Path, fake_style: InvertStylizer, fast_rate: int, fast_frames: int
):
    from stylecut.core import VideoReader
    from stylecut.core.testing import read_frame_number

    src = _vfr_clip(tmp_path / "vfr.mp4", fast_rate, fast_frames)
    video = probe(src).video
    assert video.vfr
    firsts = {}
    for text in ("2s", "00:00:02:00", "00:00:01:16"):
        out = tmp_path / f"{text.replace(':', '-')}.mkv"
        result = run(runner, "render", src, "-o", out, "--style", "t", "--strength", "0",
                     "--codec", "ffv1", "--in", text, "--no-audio", "-q")
        assert result.exit_code == 0, result.stderr
        with VideoReader(out) as r:
            firsts[text] = read_frame_number(r.read(0))
    assert firsts["2s"] == 20 + fast_rate  # 20 frames in the first second
    assert firsts["00:00:02:00"] == firsts["2s"]
    # 1 s and 16 frames of the nominal rate (the average's, rounded)
    nominal = round(video.fps)
    assert firsts["00:00:01:16"] == 20 + int(Fraction(16, nominal) * fast_rate)


def test_probe_shows_the_exact_rate_of_an_avi_render(runner: CliRunner, tmp_path: Path,
                                                     fake_style: InvertStylizer):
    from stylecut.core.testing import make_clip

    src = make_clip(tmp_path / "ntsc.mp4", frames=30, fps=Fraction(30000, 1001))
    out = tmp_path / "out.avi"
    result = run(runner, "render", src, "-o", out, "--style", "t", "-q")
    assert result.exit_code == 0, result.stderr
    result = run(runner, "probe", out)
    assert result.exit_code == 0, result.stderr
    rate = next(line for line in result.stdout.splitlines() if line.startswith("rate"))
    assert "30000/1001 fps (29.970)" in rate and "30 frames" in rate
    assert rate.endswith("time base 1001/30000"), rate


@pytest.mark.parametrize("args", [["--in", "0"], ["--out", "12"], ["--in", "0", "--out", "0.5s"]])
def test_render_trims_audio_before_a_late_video_start(runner: CliRunner, tmp_path: Path,
                                                      fake_style: InvertStylizer, args: list[str]):
    import av
    from stylecut.core.testing import make_clip

    times = [Fraction(3, 2) + Fraction(i, 24) for i in range(24)]  # video 1.5-2.5 s, audio 0-2.5 s
    src = make_clip(tmp_path / "late.mp4", frames=24, fps=24, frame_times=times)
    out = tmp_path / "out.mp4"
    result = run(runner, "render", src, "-o", out, "--style", "t", "-q", *args)
    assert result.exit_code == 0, result.stderr
    with av.open(str(out)) as c:
        video = [f.time for f in c.decode(video=0)]
    with av.open(str(out)) as c:
        audio = [(f.time, f.samples / f.sample_rate) for f in c.decode(audio=0)]
    frames = 24 if args == ["--in", "0"] else 12
    assert len(video) == frames and min(video) == 0
    packet = 1024 / 48000  # stream copy: trimmed on packet boundaries
    assert 0 <= audio[0][0] < packet + 0.001
    end = audio[-1][0] + audio[-1][1]
    assert frames / 24 <= end < frames / 24 + packet + 0.001


def test_card_summary_is_typed_and_lenient():
    from stylecut.models.registry import CardSummary

    full = CardSummary.from_data({
        "training": {"steps": 300, "wall_time_s": 120.0, "wall_time_with_init_s": 600,
                     "config": {"init": "starry_night"}},
        "evaluation": {"ratios": {"reinhard": {"texture": 0.4, "colour": 1, "stroke": 0.5, "x": 9}},
                       "output": {"structure": 0.8, "diversity": 0.7, "texture": 0.01}},
        "tone_anchor": {"strength": 0.3},
    })
    assert full == CardSummary(steps=300, init="starry_night", wall_time_s=120.0,
                               wall_time_with_init_s=600.0,
                               ratios={"texture": 0.4, "colour": 1.0, "stroke": 0.5},
                               output={"structure": 0.8, "diversity": 0.7}, tone_anchor=0.3)
    # wrong types are left out instead of breaking `stylecut styles`
    bad = CardSummary.from_data({"training": {"steps": True, "wall_time_s": "long", "config": []},
                                 "evaluation": {"ratios": ["x"], "output": {"structure": None}},
                                 "tone_anchor": 0.3})
    assert bad == CardSummary()
    assert CardSummary.from_data({"training": "x", "evaluation": 3}) == CardSummary()


def test_user_styles_folder_follows_the_environment(monkeypatch, tmp_path):
    from stylecut.models import user_styles_dir

    monkeypatch.delenv("STYLECUT_STYLES", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert user_styles_dir() == tmp_path / "data" / "stylecut" / "styles"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_styles_dir() == tmp_path / "home" / ".local" / "share" / "stylecut" / "styles"
    monkeypatch.setenv("STYLECUT_STYLES", str(tmp_path / "mine"))
    assert user_styles_dir() == tmp_path / "mine"
