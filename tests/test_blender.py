"""The Blender VSE add-on: bpy-free planning, `stylecut blender install`, and a headless Blender bake.

The headless test runs with Debian's `blender` binary (3.4) where it is on PATH and with Blender
≥ 4.4 as a Python module (`.venv-bpy`, made by .ci/run) where that exists; each skips otherwise.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from stylecut.core import Curve
from stylecut.plugin.blender import bake_plan
from stylecut.plugin.blender.bake_plan import StripInfo
from stylecut.plugin.cli import cli

STYLECUT = Path(sys.executable).with_name("stylecut")


@dataclass
class FakeFCurve:
    """Linear from (f0, v0) to (f1, v1), held outside: what Blender's F-curve.evaluate gives."""

    f0: float
    v0: float
    f1: float
    v1: float

    def evaluate(self, frame: float) -> float:
        u = min(1.0, max(0.0, (frame - self.f0) / (self.f1 - self.f0)))
        return self.v0 + u * (self.v1 - self.v0)


def strip(**kw) -> StripInfo:
    base = dict(name="clip", filepath="/media/a clip.mp4", frame_start=1, frame_final_start=1,
                frame_final_end=25, channel=1)
    return StripInfo(**{**base, **kw})


def test_media_range_untrimmed_and_trimmed():
    assert bake_plan.media_range(strip()) == (0, 24)
    # 5 frames trimmed from the head (frame_offset_start), 3 from the tail
    assert bake_plan.media_range(strip(frame_final_start=6, frame_final_end=22)) == (5, 21)
    # hold offset: media frames before the strip's content start
    assert bake_plan.media_range(strip(animation_offset_start=2)) == (2, 26)
    with pytest.raises(ValueError):
        bake_plan.media_range(strip(frame_final_end=1))


def test_sample_strength_is_clip_local_seconds():
    s = strip(frame_start=101, frame_final_start=111, frame_final_end=121)  # media frames 10..19
    samples = bake_plan.sample_strength(s, 25.0, FakeFCurve(111, 0.0, 120, 1.0))
    assert len(samples) == 10
    assert samples[0] == (pytest.approx(10 / 25), 0.0)
    assert samples[-1] == (pytest.approx(19 / 25), 1.0)
    clamped = bake_plan.sample_strength(s, 25.0, FakeFCurve(111, -1.0, 120, 2.0))
    assert min(v for _, v in clamped) == 0.0 and max(v for _, v in clamped) == 1.0
    assert {v for _, v in bake_plan.sample_strength(s, 25.0, None, 0.4)} == {0.4}


def test_keyframes_json_round_trips_through_the_engine_format():
    samples = [(0.0, 0.0), (0.04, 0.0), (0.08, 0.0), (0.12, 0.5), (0.16, 1.0), (0.2, 1.0), (0.24, 1.0)]
    doc = bake_plan.keyframes_json(samples)
    assert doc["format"] == "stylecut.keyframes" and doc["version"] == 1
    times = [k["time"] for k in doc["keys"]]
    assert times == [0.0, 0.08, 0.12, 0.16, 0.24]  # flat runs collapse to their ends
    curve = Curve.from_dict(doc)
    for t, v in samples:
        assert float(curve.evaluate(t)) == pytest.approx(v)


def test_fcurve_data_paths_cover_old_and_new_blender():
    paths = bake_plan.fcurve_data_paths('my "clip"')
    assert paths == ['sequence_editor.sequences_all["my \\"clip\\""].stylecut_strength',
                     'sequence_editor.strips_all["my \\"clip\\""].stylecut_strength']


def test_plan_and_command(tmp_path: Path):
    plan = bake_plan.make_plan(strip(frame_final_start=3, frame_final_end=13), 24.0,
                               FakeFCurve(3, 0.0, 12, 1.0), 1.0, tmp_path)
    assert plan.output == tmp_path / "a_clip.clip.stylecut.mp4"
    assert (plan.media_in, plan.media_out) == (2, 12)
    cmd = bake_plan.build_command("/venv/bin/stylecut", plan, "hokusai", tmp_path / "k.json", "off")
    assert cmd[:3] == ["/venv/bin/stylecut", "render", "/media/a clip.mp4"]
    assert cmd[cmd.index("--in") + 1] == "2" and cmd[cmd.index("--out") + 1] == "12"
    assert cmd[cmd.index("--temporal") + 1] == "off" and "--overwrite" in cmd
    with pytest.raises(ValueError, match="style"):
        bake_plan.build_command("stylecut", plan, "", tmp_path / "k.json")
    with pytest.raises(ValueError, match="temporal"):
        bake_plan.build_command("stylecut", plan, "hokusai", tmp_path / "k.json", "wobbly")


def test_resolve_stylecut_bin_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / bake_plan.CONFIG_FILE).write_text(json.dumps({"stylecut_bin": "/recorded/stylecut"}))
    assert bake_plan.resolve_stylecut_bin("/pref", {"STYLECUT_BIN": "/env"}, tmp_path) == "/pref"
    assert bake_plan.resolve_stylecut_bin("", {"STYLECUT_BIN": "/env"}, tmp_path) == "/env"
    assert bake_plan.resolve_stylecut_bin("", {}, tmp_path) == "/recorded/stylecut"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ValueError, match="blender install"):
        bake_plan.resolve_stylecut_bin("", {}, tmp_path / "nowhere")


def test_install_target_and_zip(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(cli, ["blender", "install", "--target", str(tmp_path / "addons")])
    assert result.exit_code == 0, result.output
    addon = tmp_path / "addons" / bake_plan.ADDON_NAME
    assert {"__init__.py", "bake_plan.py", "operators.py", "panels.py", "props.py"} <= {
        p.name for p in addon.iterdir()}
    recorded = json.loads((addon / bake_plan.CONFIG_FILE).read_text())["stylecut_bin"]
    assert Path(recorded).is_absolute() and Path(recorded).name == "stylecut"
    result = runner.invoke(cli, ["blender", "install", "--zip", str(tmp_path / "addon.zip")])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(tmp_path / "addon.zip").namelist()
    assert f"{bake_plan.ADDON_NAME}/__init__.py" in names
    assert f"{bake_plan.ADDON_NAME}/{bake_plan.CONFIG_FILE}" in names


def test_install_without_blender_asks_for_target():
    result = CliRunner().invoke(cli, ["blender", "install", "--blender", "no-such-blender-here"])
    assert result.exit_code == 2
    assert "--target" in result.stderr


# --- headless Blender ------------------------------------------------------------------------------

BLENDER_SCRIPT = textwrap.dedent('''
    import json, os, sys
    import bpy
    sys.path.insert(0, os.environ["SC_ADDONS"])
    import stylecut_vse
    stylecut_vse.register()
    from stylecut_vse import operators

    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    ed = scene.sequence_editor_create()
    coll = getattr(ed, "strips", None) or ed.sequences
    movie = coll.new_movie("clip", os.environ["SC_CLIP"], 1, 1)
    movie.stylecut_style = os.environ["SC_STYLE"]
    movie.stylecut_temporal = "off"
    first, last = int(movie.frame_final_start), int(movie.frame_final_end) - 1
    movie.stylecut_strength = 0.0
    movie.keyframe_insert("stylecut_strength", frame=first)
    movie.stylecut_strength = 1.0
    movie.keyframe_insert("stylecut_strength", frame=last)
    fc = operators.strength_fcurve(scene, movie)
    assert fc is not None and fc.evaluate(first) == 0.0 and fc.evaluate(last) == 1.0

    out = {"version": bpy.app.version_string, "baked": []}
    for _ in range(2):  # the second bake replaces the first
        baked = operators.bake_strip(scene, movie, wait=True, stylecut_bin=os.environ["SC_BIN"])
        out["baked"].append(baked.name)
    allstrips = getattr(ed, "strips_all", None) or ed.sequences_all
    out["strips"] = [{"name": s.name, "type": s.type, "channel": s.channel,
                      "frame_start": s.frame_start, "frame_final_start": s.frame_final_start,
                      "duration": s.frame_final_duration, "mute": s.mute,
                      "filepath": bpy.path.abspath(getattr(s, "filepath", "")
                                                   or getattr(getattr(s, "sound", None), "filepath", ""))}
                     for s in allstrips]
    out["stored"] = [movie.stylecut_baked, movie.stylecut_baked_sound]
    trim = coll.new_movie("trim", os.environ["SC_CLIP"], 6, 1)  # not baked: checks the trim mapping
    trim.frame_final_start, trim.frame_final_end = 4, 20
    out["trim_range"] = list(operators.bake_plan.media_range(operators.strip_info(trim)))
    coll.remove(trim)
    other = coll.new_movie("c30", os.environ["SC_CLIP30"], 7, 1)  # 30 fps media in a 24 fps scene
    plan = operators.bake_plan.make_plan(operators.strip_info(other), operators.media_fps(scene, other),
                                         None, 1.0, os.environ["TMPDIR"])
    out["fps30"] = [other.frame_final_duration, plan.keyframes["keys"][-1]["time"]]
    if hasattr(other, "speed_factor"):  # Blender < 4 (>= 4 retimes with keys, not scriptable headless)
        other.speed_factor = 2.0
        try:
            operators.bake_strip(scene, other, wait=True, stylecut_bin=os.environ["SC_BIN"])
        except operators.BakeError as exc:
            out["retimed_error"] = str(exc)
    coll.remove(other)
    out["strip_type"] = stylecut_vse.props.strip_type().__name__  # where the add-on put its props
    with open(os.environ["SC_RESULT"], "w") as f:
        json.dump(out, f)
''')


BPY_PYTHON = Path(
    os.environ.get("STYLECUT_BPY_PYTHON", Path(__file__).parents[1] / ".venv-bpy" / "bin" / "python")
)


def _blender_runners() -> list:
    """Debian's blender binary (3.4: `Sequence` names) and Blender ≥ 4.4 as a Python module
    (`pip install bpy` in .venv-bpy, made by .ci/run: `Strip` names); each skips when absent."""
    return [
        pytest.param(["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python"],
                     marks=pytest.mark.skipif(shutil.which("blender") is None,
                                              reason="blender is not installed"), id="blender-binary"),
        pytest.param([str(BPY_PYTHON)], id="bpy-module",
                     marks=pytest.mark.skipif(not BPY_PYTHON.exists(),
                                              reason=f"no bpy module python at {BPY_PYTHON}")),
    ]


def _style_addon_and_script(tmp_path: Path, preset: str, script_text: str):
    """An untrained style card of ``preset``, the add-on installed into tmp_path/addons and the
    Blender script written out: (card, script path)."""
    from stylecut.models.generators import GENERATOR_PRESETS, build_generator
    from stylecut.models.registry import save_style

    config = GENERATOR_PRESETS[preset]
    card = save_style(tmp_path / "styles", f"{preset}-blender", build_generator(config), config, {})
    installed = CliRunner().invoke(cli, ["blender", "install", "--target", str(tmp_path / "addons")])
    assert installed.exit_code == 0, installed.output
    script = tmp_path / "script.py"
    script.write_text(script_text)
    return card, script


def _run_group(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in its own process group and kill the whole group (xvfb-run, Xvfb, Blender and
    the engine it started) if it outlives ``timeout``: subprocess.run would kill only the first."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{cmd[0]} ran longer than {timeout:.0f} s: {out[-2000:]}{err[-2000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.mark.parametrize("runner", _blender_runners())
def test_headless_blender_bake(tmp_path: Path, runner: list[str]):
    from stylecut.core.testing import make_clip

    clip = make_clip(tmp_path / "clip.mp4", frames=24, width=64, height=48, audio=True)
    clip30 = make_clip(tmp_path / "clip30.mp4", frames=30, width=64, height=48, fps=30)
    card, script = _style_addon_and_script(tmp_path, "tiny", BLENDER_SCRIPT)
    env = {**os.environ, "SC_ADDONS": str(tmp_path / "addons"), "SC_CLIP": str(clip),
           "SC_CLIP30": str(clip30),
           "SC_STYLE": str(card.card_path),
           "SC_BIN": str(STYLECUT), "SC_RESULT": str(tmp_path / "result.json"), "TMPDIR": str(tmp_path)}
    proc = _run_group([*runner, str(script)], env, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads((tmp_path / "result.json").read_text())
    if runner[0] == str(BPY_PYTHON):  # the new names (Strip, strips) are the ones exercised
        assert tuple(int(v) for v in out["version"].split()[0].split(".")[:2]) >= (4, 4), out["version"]
        assert out["strip_type"] == "Strip"
    assert out["trim_range"] == [3, 19]
    # one media frame per timeline frame; strength keys in the clip's own seconds (29/30, not 29/24)
    assert out["fps30"][0] == 30 and out["fps30"][1] == pytest.approx(29 / 30)
    if out["version"].startswith("3."):
        assert "speed change" in out["retimed_error"]
    strips = {s["name"]: s for s in out["strips"]}
    original = strips["clip"]
    assert original["mute"] and original["type"] == "MOVIE"
    assert len(strips) == 3, strips  # original + one baked movie + its sound: re-bake replaced
    baked = strips[out["stored"][0]]
    assert out["baked"][-1] == baked["name"]
    assert baked["type"] == "MOVIE" and baked["channel"] == original["channel"] + 1
    assert baked["frame_start"] == original["frame_start"]
    assert baked["duration"] == original["duration"] == 24
    assert strips[out["stored"][1]]["type"] == "SOUND"
    info = json.loads(subprocess.run([str(STYLECUT), "probe", "--json", baked["filepath"]],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["video"]["frame_count"] == original["duration"], (out["version"], info["video"])


UI_SCRIPT = textwrap.dedent('''
    import json, os, sys, time
    import bpy, addon_utils
    sys.path.insert(0, os.environ["SC_ADDONS"])
    addon_utils.enable("stylecut_vse", default_set=True)
    scene = bpy.context.scene
    scene.render.fps = 24
    ed = scene.sequence_editor_create()
    coll = getattr(ed, "strips", None) or ed.sequences
    strip = coll.new_movie("clip", os.environ["SC_CLIP"], 1, 1)
    ed.active_strip = strip
    strip.stylecut_style = os.environ["SC_STYLE"]
    strip.stylecut_strength = 1.0
    mode = os.environ["SC_MODE"]
    state = {"t0": time.time(), "started": False, "statuses": []}

    def tick():
        wm = bpy.context.window_manager
        if not state["started"]:
            win = wm.windows[0]
            area = win.screen.areas[0]
            area.type = "SEQUENCE_EDITOR"
            region = [r for r in area.regions if r.type == "WINDOW"][0]
            with bpy.context.temp_override(window=win, screen=win.screen, area=area, region=region):
                state["invoke"] = list(bpy.ops.stylecut.bake("INVOKE_DEFAULT"))
            state["started"] = True
            return 0.2
        state["statuses"].append(wm.stylecut_status)
        if mode == "cancel" and wm.stylecut_running and len(state["statuses"]) >= 3:
            bpy.ops.stylecut.cancel()
        if wm.stylecut_running and time.time() - state["t0"] < 120:
            return 0.2
        all_strips = getattr(ed, "strips_all", None) or ed.sequences_all
        out = {"invoke": state["invoke"], "statuses": state["statuses"], "mute": strip.mute,
               "strips": sorted(s.type for s in all_strips)}
        with open(os.environ["SC_RESULT"], "w") as f:
            json.dump(out, f)
        bpy.ops.wm.quit_blender()
        return None

    bpy.app.timers.register(tick, first_interval=1.0)
''')


@pytest.mark.skipif(shutil.which("blender") is None or shutil.which("xvfb-run") is None,
                    reason="blender or xvfb-run is not installed")
@pytest.mark.parametrize("mode", ["finish", "cancel"])
def test_bake_button_in_a_real_blender_window(tmp_path: Path, mode: str):
    """The modal Bake (timer, status updates, Cancel) in Blender's UI on a virtual screen."""
    from stylecut.core.testing import make_clip

    clip = make_clip(tmp_path / "clip.mp4", frames=240, width=160, height=120, audio=True)
    card, script = _style_addon_and_script(tmp_path, "fast", UI_SCRIPT)
    env = {**os.environ, "SC_ADDONS": str(tmp_path / "addons"), "SC_CLIP": str(clip), "SC_MODE": mode,
           "SC_STYLE": str(card.card_path), "STYLECUT_BIN": str(STYLECUT),
           "SC_RESULT": str(tmp_path / "result.json"), "TMPDIR": str(tmp_path)}
    # -a searches for a free display from -n on: a random start keeps two suites run at once (or
    # two test processes) from racing for display :99, which can leave one Blender without a screen.
    server = str(random.randint(100, 30000))
    proc = _run_group(["xvfb-run", "-a", "-n", server, "blender", "--factory-startup", "--python",
                       str(script)], env, timeout=240)
    assert (tmp_path / "result.json").exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads((tmp_path / "result.json").read_text())
    assert out["invoke"] == ["RUNNING_MODAL"]
    assert any(s.startswith("baking…") for s in out["statuses"]), out["statuses"]
    baked_dir = tmp_path / "stylecut_baked"
    if mode == "finish":
        assert out["statuses"][-1].startswith("baked in")
        assert any("%" in s for s in out["statuses"]), out["statuses"]  # the engine's real progress
        assert out["mute"] and out["strips"] == ["MOVIE", "MOVIE", "SOUND"]
    else:
        assert out["statuses"][-1] == "bake cancelled"
        assert not out["mute"] and out["strips"] == ["MOVIE"]
        left = sorted(p.name for p in baked_dir.iterdir()) if baked_dir.exists() else []
        assert not left, (left, proc.stdout[-2000:], proc.stderr[-2000:])  # no partial/lock file


def test_progress_is_read_from_the_engines_json_lines():
    log = ('loading\n{"done": 10, "total": 40, "fps": 20.0, "eta": 1.5}\n'
           '{"done": 30, "total": 40, "fps": 21.0, "eta": 0.5}\n')
    assert bake_plan.last_progress(log) == 0.75
    assert bake_plan.last_progress("no progress yet\n") is None


def test_the_addon_copy_of_the_temporal_modes_matches_core():
    from stylecut.core import DEFAULT_TEMPORAL, TemporalMode

    assert set(bake_plan.TEMPORAL_MODES) == set(TemporalMode.choices())
    assert bake_plan.TEMPORAL_MODES[0] == DEFAULT_TEMPORAL.value  # the add-on's default
