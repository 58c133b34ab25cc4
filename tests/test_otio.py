"""OpenTimelineIO: apply the effect, bake a multi-clip timeline, relink, FCP 7 XML round trip."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

otio = pytest.importorskip("opentimelineio")

from stylecut.core import Curve, VideoReader, build_index  # noqa: E402
from stylecut.core.testing import InvertStylizer, make_clip, read_frame_number  # noqa: E402
from stylecut.models import list_styles  # noqa: E402
from stylecut.plugin import otio as sotio  # noqa: E402
from stylecut.plugin.cli import cli  # noqa: E402

cli_module = importlib.import_module("stylecut.plugin.cli")  # the module, not the group
RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
TC = 86400  # media starting at 01:00:00:00 (24 fps)


def _curve(*keys: dict) -> Curve:
    return Curve.from_dict({"format": "stylecut.keyframes", "version": 1, "keys": list(keys)})


def _r(start: int, frames: int, rate: float = 24) -> otio.opentime.TimeRange:
    return TR(RT(start, rate), RT(frames, rate))


def _clip(name: str, path: Path, start: int, frames: int, *, media_frames: int, tc: int = 0):
    ref = otio.schema.ExternalReference(target_url=path.as_uri(), available_range=_r(tc, media_frames))
    return otio.schema.Clip(name=name, media_reference=ref, source_range=_r(tc + start, frames))


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("otio-media")
    a = make_clip(folder / "a.mp4", frames=48, width=64, height=48, fps=24, gop=12, audio=False)
    b = make_clip(folder / "b.mp4", frames=40, width=64, height=48, fps=24, gop=12, audio=False)
    return a, b


def _timeline(a: Path, b: Path, missing: Path) -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name="edit")
    v1 = otio.schema.Track(name="V1")
    v1.append(_clip("a1", a, 4, 12, media_frames=48, tc=TC))      # timecode-based media range
    v1.append(otio.schema.Gap(source_range=_r(0, 6)))
    v1.append(_clip("a2", a, 20, 12, media_frames=48))             # same source, other range
    v1.append(otio.schema.Transition(in_offset=RT(3, 24), out_offset=RT(3, 24)))
    v1.append(_clip("b1", b, 10, 12, media_frames=40))
    v1.append(_clip("plain", b, 0, 5, media_frames=40))
    warp = _clip("warp", a, 0, 10, media_frames=48)
    warp.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    v1.append(warp)
    v1.append(_clip("missing", missing, 0, 10, media_frames=48))
    v2 = otio.schema.Track(name="V2")
    v2.append(otio.schema.Gap(source_range=_r(0, 3)))
    stack = otio.schema.Stack(name="nest", source_range=_r(0, 10))  # FCP XML needs a range
    inner = otio.schema.Track(name="inner")
    inner.append(_clip("nested", b, 5, 10, media_frames=40))
    stack.append(inner)
    v2.append(stack)
    tl.tracks.extend([v1, v2])
    return tl


def _ranges(tl: otio.schema.Timeline) -> dict[str, tuple]:
    return {c.name: (c.range_in_parent(), c.trimmed_range_in_parent(), c.source_range.duration)
            for c in tl.find_clips()}


def _frame_numbers(path: Path) -> list[int]:
    with VideoReader(path) as reader:
        return [read_frame_number(f.image) for f in reader.frames()]


def test_apply_by_clip_and_track(media: tuple[Path, Path], tmp_path: Path) -> None:
    tl = _timeline(*media, tmp_path / "nope.mp4")
    curve = _curve({"time": 0, "value": 0}, {"time": 1, "value": 1})
    assert sotio.apply_effect(tl, track=2, style="s", curve=curve, temporal="off") == 1
    assert sotio.apply_effect(tl, clip="a1", style="s", curve=curve, temporal="off") == 1
    assert sotio.apply_effect(tl, clip="a1", style="t", curve=curve, temporal="stable") == 1  # replaces
    a1 = next(c for c in tl.find_clips() if c.name == "a1")
    assert [e.effect_name for e in a1.effects] == [sotio.EFFECT_NAME]
    meta = sotio.effect_settings(a1)
    assert meta["style"] == "t" and meta["temporal"] == "stable"
    assert Curve.from_dict(meta["keyframes"]) == curve
    with pytest.raises(sotio.OtioError, match="No clip named"):
        sotio.apply_effect(tl, clip="zzz", style="s", curve=curve)
    with pytest.raises(sotio.OtioError, match="tracks 1..2"):
        sotio.apply_effect(tl, track=3, style="s", curve=curve)


def test_render_relinks_every_case_and_skips_unchanged(media: tuple[Path, Path], tmp_path: Path) -> None:
    tl = _timeline(*media, tmp_path / "nope.mp4")
    zero, one = Curve.constant(0.0), Curve.constant(1.0)
    for name in ("a1", "nested"):  # strength 0: frames pass bit-exactly, so numbers are readable
        sotio.apply_effect(tl, clip=name, style="s", curve=zero, temporal="off")
    for name in ("a2", "b1", "warp", "missing"):
        sotio.apply_effect(tl, clip=name, style="s", curve=one, temporal="off")
    before = _ranges(tl)
    seen: list[tuple[int, int]] = []
    report = sotio.render_timeline(tl, tmp_path / "baked", stylizer_factory=lambda s: InvertStylizer(),
                                   handles=2, progress=lambda p: seen.append((p.done, p.total)))
    by = {r.clip.split("'")[1]: r for r in report.results}
    assert {k: r.status for k, r in by.items()} == {
        "a1": "rendered", "a2": "rendered", "b1": "rendered", "nested": "rendered",
        "warp": "error", "missing": "error"}
    assert "time warp" in by["warp"].message and "missing" in by["missing"].message
    # handles 2, and the transition needs 3 after a2 / before b1
    expected = {"a1": range(2, 18), "a2": range(18, 35), "b1": range(7, 24), "nested": range(3, 17)}
    for name, frames in expected.items():
        out = by[name].output
        assert out is not None and out.parent == tmp_path / "baked"
        assert len(build_index(out)) == len(frames)
    assert _frame_numbers(by["a1"].output) == list(expected["a1"])
    assert _frame_numbers(by["nested"].output) == list(expected["nested"])
    assert seen and seen[-1] == (sum(len(f) for f in expected.values()),) * 2
    assert _ranges(tl) == before  # visible timing unchanged
    clips = {c.name: c for c in tl.find_clips()}
    a1 = clips["a1"]
    assert a1.media_reference.target_url == by["a1"].output.resolve().as_uri()
    assert a1.source_range.start_time.to_frames() == 2  # the rendered file starts 2 frames early
    assert a1.media_reference.available_range.duration.to_frames() == 16
    orig = otio.adapters.read_from_string(a1.metadata["stylecut"]["original_media_reference"], "otio_json")
    assert orig.target_url == media[0].as_uri()
    assert clips["plain"].media_reference.target_url == media[1].as_uri()  # no effect: untouched
    assert clips["warp"].media_reference.target_url == media[0].as_uri()

    # Re-run on the relinked timeline (it re-bakes from the original reference): all unchanged.
    again = sotio.render_timeline(tl, tmp_path / "baked", stylizer_factory=lambda s: InvertStylizer(),
                                  handles=2)
    assert again.count("skipped") == 4 and again.count("rendered") == 0
    assert _ranges(tl) == before
    # Changing one clip's settings re-renders only that clip.
    sotio.apply_effect(tl, clip="b1", style="s", curve=Curve.constant(0.5), temporal="off")
    third = sotio.render_timeline(tl, tmp_path / "baked", stylizer_factory=lambda s: InvertStylizer(),
                                  handles=2)
    assert third.count("rendered") == 1 and third.count("skipped") == 3

    # FCP 7 XML round trip: the relinked clips keep their timing and point at the rendered files.
    xml = tmp_path / "relinked.xml"
    otio.adapters.write_to_file(tl, str(xml))
    back = otio.adapters.read_from_file(str(xml))
    back_clips = {c.name: c for c in back.find_clips()}
    for name in ("a1", "a2", "b1"):  # otio-fcp-adapter 1.0 drops nested stacks' contents on read
        url = back_clips[name].media_reference.target_url
        assert url == clips[name].media_reference.target_url
        assert Path(otio.url_utils.filepath_from_url(url)).parent == (tmp_path / "baked").resolve()
        assert back_clips[name].source_range.duration == clips[name].source_range.duration
        assert back_clips[name].source_range.start_time.to_frames() == \
            clips[name].source_range.start_time.to_frames()
        assert back_clips[name].trimmed_range_in_parent().start_time.to_frames() == \
            clips[name].trimmed_range_in_parent().start_time.to_frames()


def test_cli_apply_and_render(media: tuple[Path, Path], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    monkeypatch.setattr(cli_module, "_find_style", lambda name: None)  # `apply` checks the style
    tl = _timeline(*media, tmp_path / "nope.mp4")
    src = tmp_path / "edit.otio"
    otio.adapters.write_to_file(tl, str(src))
    runner = CliRunner()
    res = runner.invoke(cli, ["otio", "apply", str(src), "--clip", "a2", "--style", "s",
                              "--strength", "0:0,0.5s:1", "--temporal", "off"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["otio", "render", str(src), "--media-dir", str(tmp_path / "m"),
                              "-o", str(tmp_path / "out.otio"), "-q"])
    assert res.exit_code == 0, res.output
    out = otio.adapters.read_from_file(str(tmp_path / "out.otio"))
    a2 = next(c for c in out.find_clips() if c.name == "a2")
    assert Path(otio.url_utils.filepath_from_url(a2.media_reference.target_url)).parent == tmp_path / "m"
    # a failing clip: the command still writes the timeline and exits 1
    res = runner.invoke(cli, ["otio", "apply", str(src), "--clip", "missing", "--style", "s"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["otio", "render", str(src), "--media-dir", str(tmp_path / "m"),
                              "-o", str(tmp_path / "out2.otio"), "-q"])
    assert res.exit_code == 1 and "missing" in res.output and (tmp_path / "out2.otio").exists()
    res = runner.invoke(cli, ["otio", "apply", str(tmp_path / "none.otio"), "--clip", "a", "--style", "s"])
    assert res.exit_code == 2 and "No timeline" in res.output
    res = runner.invoke(cli, ["otio", "apply", str(src), "--clip", "zzz", "--style", "s"])
    assert res.exit_code == 2 and "No clip named" in res.output


def test_effect_curve_is_evaluated_in_media_time(media: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = media
    tl = otio.schema.Timeline()
    track = otio.schema.Track()
    track.append(_clip("late", a, 24, 12, media_frames=48))
    tl.tracks.append(track)
    # strength 0 before 1 s of media time, 1 after: a clip starting at 1 s is fully inverted
    curve = _curve({"time": 0, "value": 0, "interp": "hold"}, {"time": 1.0, "value": 1})
    sotio.apply_effect(tl, clip="late", style="s", curve=curve, temporal="off")
    report = sotio.render_timeline(tl, tmp_path / "m", stylizer_factory=lambda s: InvertStylizer())
    out = report.results[0].output
    with VideoReader(out) as rendered, VideoReader(a) as original:
        diff = np.abs(rendered.read(0).astype(int) - original.read(24).astype(int)).mean()
    assert diff > 60


def test_clip_without_range_info_is_a_clip_error(media: tuple[Path, Path], tmp_path: Path) -> None:
    tl = otio.schema.Timeline()
    track = otio.schema.Track()
    track.append(otio.schema.Clip(name="bare", media_reference=otio.schema.ExternalReference(
        target_url=media[0].as_uri())))  # no source range, no available range
    track.append(_clip("ok", media[1], 0, 4, media_frames=40))
    tl.tracks.append(track)
    for name in ("bare", "ok"):
        sotio.apply_effect(tl, clip=name, style="s", curve=Curve.constant(1.0), temporal="off")
    report = sotio.render_timeline(tl, tmp_path / "m", stylizer_factory=lambda s: InvertStylizer())
    assert [r.status for r in report.results] == ["error", "rendered"]
    assert report.failed and "1 failed" in report.summary()


def test_cli_apply_with_an_unknown_style_fails_at_apply(media: tuple[Path, Path], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STYLECUT_STYLES", str(tmp_path / "no-user-styles"))
    src = tmp_path / "edit.otio"
    otio.adapters.write_to_file(_timeline(*media, tmp_path / "nope.mp4"), str(src))
    before = src.read_bytes()
    res = CliRunner().invoke(cli, ["otio", "apply", str(src), "--clip", "a2", "--style", "nope",
                                   "-o", str(tmp_path / "styled.otio")])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("stylecut: error: Unknown style; installed styles: ")
    assert "Received: style='nope'" in res.stderr
    known = [c.name for c in list_styles()]
    assert all(name in res.stderr for name in known)
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "styled.otio").exists() and src.read_bytes() == before


KDENLIVE = """<?xml version="1.0" encoding="utf-8"?>
<mlt LC_NUMERIC="C" version="7.22.0" producer="main_bin">
 <profile frame_rate_num="24" frame_rate_den="1" width="64" height="48"/>
 <tractor id="maintractor"><track producer="playlist0"/></tractor>
</mlt>
"""


@pytest.mark.skipif("kdenlive" in otio.adapters.suffixes_with_defined_adapters(),
                    reason="the Kdenlive adapter is installed here")
def test_kdenlive_without_its_adapter_names_the_package_to_install(tmp_path: Path) -> None:
    project = tmp_path / "edit.kdenlive"
    project.write_text(KDENLIVE)
    with pytest.raises(sotio.OtioError, match=r"pip install otio-kdenlive-adapter.*Received: timeline="):
        sotio.read_timeline(project)
    res = CliRunner().invoke(cli, ["otio", "apply", str(project), "--track", "1", "--style", "s"])
    assert res.exit_code == 2, res.output
    assert "pip install otio-kdenlive-adapter" in res.stderr and "edit.kdenlive" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    # writing one: the same hint
    with pytest.raises(sotio.OtioError, match=r"Cannot write .*out.kdenlive.*pip install otio-kdenlive"):
        sotio.write_timeline(otio.schema.Timeline(), tmp_path / "out.kdenlive")
    assert not (tmp_path / "out.kdenlive").exists()


def test_file_urls_keep_their_host_and_decode_their_escapes(media: tuple[Path, Path], tmp_path: Path) -> None:
    """A clip on a network share (file://server/share/...) names that share, not /share/...;
    a percent-escaped local URL finds its file."""
    spaced = tmp_path / "my clip.mp4"
    spaced.write_bytes(media[1].read_bytes())
    tl = otio.schema.Timeline()
    track = otio.schema.Track()
    for name, url in (("share", "file://server/share/shot%201.mov"),
                      ("local", "file://" + str(spaced).replace(" ", "%20"))):
        ref = otio.schema.ExternalReference(target_url=url, available_range=_r(0, 40))
        track.append(otio.schema.Clip(name=name, media_reference=ref, source_range=_r(0, 4)))
    tl.tracks.append(track)
    for name in ("share", "local"):
        sotio.apply_effect(tl, clip=name, style="s", curve=Curve.constant(1.0), temporal="off")
    report = sotio.render_timeline(tl, tmp_path / "m", stylizer_factory=lambda s: InvertStylizer())
    share, local = report.results
    assert share.status == "error" and "media //server/share/shot 1.mov is missing" in share.message
    assert local.status == "rendered"
