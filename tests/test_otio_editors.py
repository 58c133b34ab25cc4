"""Timelines as editors write them: FCP 7 XML (Premiere / FCP 7 export) and Kdenlive projects.

`otio apply` -> `otio render` must really carry the stylecut effect through the format, or
refuse at `apply` naming the format and what works instead; never "effect applied" with a file
that holds no effect, never "0 rendered" with exit 0.
"""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

otio = pytest.importorskip("opentimelineio")

from stylecut.core import Curve, VideoReader, build_index  # noqa: E402
from stylecut.core.testing import InvertStylizer, make_clip, read_frame_number  # noqa: E402
from stylecut.plugin import otio as sotio  # noqa: E402
from stylecut.plugin.cli import cli  # noqa: E402

cli_module = importlib.import_module("stylecut.plugin.cli")
ADAPTERS = otio.adapters.suffixes_with_defined_adapters()
needs_fcp = pytest.mark.skipif("xml" not in ADAPTERS, reason="otio-fcp-adapter is not installed")
needs_kdenlive = pytest.mark.skipif("kdenlive" not in ADAPTERS,
                                    reason="otio-kdenlive-adapter is not installed")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("editor media")  # a space, as in real project folders
    a = make_clip(folder / "a.mp4", frames=48, width=64, height=48, fps=24, gop=12, audio=False)
    b = make_clip(folder / "b.mp4", frames=40, width=64, height=48, fps=24, gop=12, audio=False)
    return a, b


@pytest.fixture
def fake_styles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    monkeypatch.setattr(cli_module, "_find_style", lambda name: None)


def _frame_numbers(path: Path) -> list[int]:
    with VideoReader(path) as reader:
        return [read_frame_number(f.image) for f in reader.frames()]


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("stylecut: error: "), stderr
    return lines[0]


# --- FCP 7 XML, as Premiere Pro's File > Export > Final Cut Pro XML writes it -------------------

RATE = "<rate><timebase>24</timebase><ntsc>FALSE</ntsc></rate>"


def _file(fid: str, path: Path, frames: int) -> str:
    url = "file://localhost" + quote(str(path))
    return f"""<file id="{fid}"><name>{path.name}</name><pathurl>{url}</pathurl>{RATE}
      <duration>{frames}</duration>
      <timecode>{RATE}<string>00:00:00:00</string><frame>0</frame><displayformat>NDF</displayformat></timecode>
      <media><video><samplecharacteristics>{RATE}<width>64</width><height>48</height>
      <anamorphic>FALSE</anamorphic><pixelaspectratio>square</pixelaspectratio><fielddominance>none</fielddominance>
      </samplecharacteristics></video></media></file>"""


BLUR = """<filter><effect><name>Gaussian Blur</name><effectid>GaussianBlur</effectid>
      <effectcategory>Blur &amp; Sharpen</effectcategory><effecttype>filter</effecttype>
      <mediatype>video</mediatype>
      <parameter authoringApp="PremierePro"><parameterid>1</parameterid><name>Blurriness</name>
      <valuemin>0</valuemin><valuemax>600</valuemax><value>12</value></parameter></effect></filter>"""


def _clipitem(cid: int, name: str, file_xml: str, start: int, end: int, in_: int, out: int,
              extra: str = "") -> str:
    return f"""<clipitem id="clipitem-{cid}"><masterclipid>masterclip-{cid}</masterclipid><name>{name}</name>
      <enabled>TRUE</enabled><duration>48</duration>{RATE}<start>{start}</start><end>{end}</end>
      <in>{in_}</in><out>{out}</out><alphatype>none</alphatype>
      <pixelaspectratio>square</pixelaspectratio><anamorphic>FALSE</anamorphic>{file_xml}{extra}</clipitem>"""


def premiere_xml(a: Path, b: Path) -> str:
    items = "".join([
        _clipitem(1, "a1", _file("file-1", a, 48), 0, 12, 4, 16, BLUR),
        _clipitem(2, "a2", '<file id="file-1"/>', 18, 30, 20, 32),  # the same file again: a back reference
        _clipitem(3, "b1", _file("file-2", b, 40), 30, 42, 10, 22),
    ])
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4">
<sequence id="sequence-1" TL.SQAudioVisibleBase="0" explodedTracks="true">
  <uuid>5d4b6e0b-3b38-4a53-9f62-0d1e2c3b4a59</uuid><duration>42</duration>{RATE}<name>edit</name>
  <media><video><format><samplecharacteristics>{RATE}<width>64</width><height>48</height>
  <pixelaspectratio>square</pixelaspectratio></samplecharacteristics></format>
  <track TL.SQTrackShy="0" MZ.TrackTargeted="1">{items}<enabled>TRUE</enabled><locked>FALSE</locked></track>
  </video><audio><numOutputChannels>2</numOutputChannels></audio></media>
  <timecode>{RATE}<string>00:00:00:00</string><frame>0</frame><displayformat>NDF</displayformat></timecode>
</sequence>
</xmeml>
"""


def _one_clip_otio(media: Path, path: Path) -> Path:
    """An .otio timeline: one track "V1" holding one clip "a1" (frames 0-9 of ``media``)."""
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    tl = otio.schema.Timeline(name="edit")
    track = otio.schema.Track(name="V1")
    track.append(otio.schema.Clip(name="a1", source_range=TR(RT(0, 24), RT(10, 24)),
                                  media_reference=otio.schema.ExternalReference(target_url=media.as_uri())))
    tl.tracks.append(track)
    otio.adapters.write_to_file(tl, str(path))
    return path


def _filters(xml_path: Path) -> dict[str, list[ET.Element]]:
    root = ET.parse(xml_path).getroot()
    return {item.findtext("name"): item.findall("filter/effect") for item in root.iter("clipitem")}


def _pathurls(xml_path: Path) -> set[str]:
    return {e.text for e in ET.parse(xml_path).getroot().iter("pathurl")}


@needs_fcp
def test_fcp7_xml_apply_then_render_carries_the_effect(media: tuple[Path, Path], tmp_path: Path,
                                                       fake_styles: None) -> None:
    a, b = media
    edit = tmp_path / "edit.xml"
    edit.write_text(premiere_xml(a, b))
    runner = CliRunner()
    styled = tmp_path / "styled.xml"
    res = runner.invoke(cli, ["otio", "apply", str(edit), "--track", "1", "--style", "starry",
                              "--strength", "0", "--temporal", "off", "-o", str(styled)])
    assert res.exit_code == 0, res.output
    assert "effect applied to 3 clips" in res.stderr

    # The written XML holds the effect as a filter an FCP 7 XML reader sees; Premiere's own filter stays.
    filters = _filters(styled)
    assert set(filters) == {"a1", "a2", "b1"}
    for name, effects in filters.items():
        ours = [e for e in effects if e.findtext("effectid") == sotio.EFFECT_NAME]
        assert len(ours) == 1, name
        params = {p.findtext("parameterid"): p.findtext("value") for p in ours[0].iter("parameter")}
        assert params["style"] == "starry" and params["temporal"] == "off"
        assert Curve.from_dict(json.loads(params["strength"])) == Curve.constant(0.0)
        assert ours[0].findtext("effecttype") == "filter" and ours[0].findtext("mediatype") == "video"
    assert [e.findtext("effectid") for e in filters["a1"]] == ["GaussianBlur", sotio.EFFECT_NAME]

    # ... and reads back as the effect.
    tl = sotio.read_timeline(styled)
    clips = {c.name: c for c in tl.find_clips()}
    assert all(sotio.effect_settings(c)["style"] == "starry" for c in clips.values())
    assert [e.name for e in clips["a1"].effects] == ["Gaussian Blur", sotio.EFFECT_NAME]

    relinked = tmp_path / "relinked.xml"
    baked = tmp_path / "baked"
    res = runner.invoke(cli, ["otio", "render", str(styled), "--media-dir", str(baked), "-o", str(relinked),
                              "-q"])
    assert res.exit_code == 0, res.output
    assert "3 rendered, 0 unchanged, 0 failed" in res.stderr and "note" not in res.stderr
    assert res.stdout.strip() == str(relinked)
    urls = _pathurls(relinked)
    assert len(urls) == 3 and all(str(baked.resolve()) in otio.url_utils.filepath_from_url(u) for u in urls)
    back_tl = sotio.read_timeline(relinked)  # clips hold their parent only while it lives
    back = {c.name: c for c in back_tl.find_clips()}
    # strength 0 passes frames through: the baked a1 holds source frames 4..15, a2 20..31, b1 10..21
    for name, first in (("a1", 4), ("a2", 20), ("b1", 10)):
        path = Path(otio.url_utils.filepath_from_url(back[name].media_reference.target_url))
        assert _frame_numbers(path) == list(range(first, first + 12))
        assert back[name].trimmed_range_in_parent().duration.to_frames() == 12
    assert back["a1"].trimmed_range_in_parent().start_time.to_frames() == 0
    assert back["b1"].trimmed_range_in_parent().start_time.to_frames() == 30

    # Rendering the relinked XML again re-bakes from the original media (the bake state travels in
    # the filter), so nothing is styled twice and every clip is unchanged.
    res = runner.invoke(cli, ["otio", "render", str(relinked), "--media-dir", str(baked), "-o",
                              str(tmp_path / "again.xml"), "-q"])
    assert res.exit_code == 0, res.output
    assert "0 rendered, 3 unchanged, 0 failed" in res.stderr
    assert _pathurls(tmp_path / "again.xml") == urls


@needs_fcp
def test_fcp7_xml_keyframes_and_overwrite_in_place(media: tuple[Path, Path], tmp_path: Path,
                                                   fake_styles: None) -> None:
    edit = tmp_path / "edit.xml"
    edit.write_text(premiere_xml(*media))
    runner = CliRunner()
    res = runner.invoke(cli, ["otio", "apply", str(edit), "--clip", "a2", "--style", "s",
                              "--strength", "0:0,0.5s:1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["otio", "apply", str(edit), "--clip", "a2", "--style", "t"])  # replaces
    assert res.exit_code == 0, res.output
    filters = _filters(edit)
    assert [e.findtext("effectid") for e in filters["a2"]] == [sotio.EFFECT_NAME]
    assert filters["b1"] == [] and [e.findtext("effectid") for e in filters["a1"]] == ["GaussianBlur"]
    a2 = next(c for c in sotio.read_timeline(edit).find_clips() if c.name == "a2")
    assert sotio.effect_settings(a2)["style"] == "t"
    assert Curve.from_dict(sotio.effect_settings(a2)["keyframes"]) == Curve.constant(1.0)


@needs_fcp
def test_fcp7_xml_refuses_clips_its_reader_drops(media: tuple[Path, Path], tmp_path: Path,
                                                 fake_styles: None) -> None:
    # otio-fcp-adapter drops the contents of nested sequences on read: an effect there would vanish.
    a, _ = media
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    tl = otio.schema.Timeline(name="edit")
    track = otio.schema.Track(name="V1")
    stack = otio.schema.Stack(name="nest", source_range=TR(RT(0, 24), RT(10, 24)))
    inner = otio.schema.Track(name="inner")
    inner.append(otio.schema.Clip(name="nested", source_range=TR(RT(0, 24), RT(10, 24)),
                                  media_reference=otio.schema.ExternalReference(
                                      target_url=a.as_uri(), available_range=TR(RT(0, 24), RT(48, 24)))))
    stack.append(inner)
    track.append(stack)
    tl.tracks.append(track)
    src = tmp_path / "edit.otio"
    otio.adapters.write_to_file(tl, str(src))
    res = CliRunner().invoke(cli, ["otio", "apply", str(src), "--clip", "nested", "--style", "s",
                                   "-o", str(tmp_path / "styled.xml")])
    assert res.exit_code == 2, res.output
    line = _one_error_line(res.stderr)
    assert "FCP 7 XML" in line and "1 of 1 styled clips" in line and "'nested'" in line
    assert "-o styled.otio" in line and "Received: output=" in line
    assert not (tmp_path / "styled.xml").exists()
    assert not [p for p in tmp_path.iterdir() if "stylecut-" in p.name]  # no leftover check file


@needs_fcp
def test_fcp7_xml_unreadable_filter_is_a_clip_error(media: tuple[Path, Path], tmp_path: Path,
                                                    fake_styles: None) -> None:
    a, b = media
    bad = f"""<filter><effect><name>{sotio.EFFECT_NAME}</name><effectid>{sotio.EFFECT_NAME}</effectid>
      <effectcategory>stylecut</effectcategory><effecttype>filter</effecttype><mediatype>video</mediatype>
      <parameter><parameterid>style</parameterid><value>s</value></parameter>
      <parameter><parameterid>strength</parameterid><value>{{not json</value></parameter></effect></filter>"""
    edit = tmp_path / "edit.xml"
    edit.write_text(premiere_xml(a, b).replace("</clipitem>", bad + "</clipitem>", 1).replace(BLUR, ""))
    res = CliRunner().invoke(cli, ["otio", "render", str(edit), "--media-dir", str(tmp_path / "m"),
                                   "-o", str(tmp_path / "out.xml"), "-q"])
    assert res.exit_code == 1, res.output
    assert "unreadable stylecut.Stylize filter" in res.stderr
    assert "0 rendered, 0 unchanged, 1 failed" in res.stderr and "note" not in res.stderr


def test_render_without_any_effect_refuses(media: tuple[Path, Path], tmp_path: Path,
                                           fake_styles: None) -> None:
    src = _one_clip_otio(media[0], tmp_path / "edit.otio")
    res = CliRunner().invoke(cli, ["otio", "render", str(src), "--media-dir", str(tmp_path / "m"),
                                   "-o", str(tmp_path / "out.otio"), "-q"])
    assert res.exit_code == 2, res.output
    line = _one_error_line(res.stderr)
    assert "No clip in" in line and "stylecut otio apply" in line and "Received: timeline=" in line
    assert "rendered" not in res.output and not (tmp_path / "out.otio").exists()


# --- Kdenlive, as Kdenlive 23.04+ saves a project (document version 1.1, one sequence) ----------


def kdenlive_project(a: Path, b: Path) -> str:
    def producer(pid: str, path: Path, frames: int, kid: int, name: str) -> str:
        return f"""<producer id="{pid}" in="00:00:00.000" out="00:00:{(frames - 1) / 24:06.3f}">
  <property name="length">{frames}</property><property name="eof">pause</property>
  <property name="resource">{path}</property><property name="audio_index">-1</property>
  <property name="video_index">0</property><property name="mlt_service">avformat-novalidate</property>
  <property name="kdenlive:clipname">{name}</property><property name="kdenlive:clip_type">2</property>
  <property name="kdenlive:id">{kid}</property><property name="kdenlive:folderid">-1</property>
 </producer>"""

    return f"""<?xml version='1.0' encoding='utf-8'?>
<mlt LC_NUMERIC="C" producer="main_bin" version="7.22.0" root="{a.parent}">
 <profile description="64x48 24fps" frame_rate_num="24" frame_rate_den="1" width="64" height="48"
  progressive="1" sample_aspect_num="1" sample_aspect_den="1" display_aspect_num="4" display_aspect_den="3"
  colorspace="601"/>
 {producer("producer0", a, 48, 2, "a.mp4")}
 {producer("producer1", b, 40, 3, "b.mp4")}
 {producer("producer2", a, 48, 2, "a.mp4")}
 {producer("producer3", b, 40, 3, "b.mp4")}
 <producer id="black_track" in="00:00:00.000" out="00:00:01.750">
  <property name="length">2147483647</property><property name="resource">black</property>
  <property name="mlt_service">color</property><property name="kdenlive:playlistid">black_track</property>
 </producer>
 <playlist id="playlist0">
  <property name="kdenlive:audio_track">0</property>
  <entry producer="producer2" in="00:00:00.167" out="00:00:00.625">
   <property name="kdenlive:id">2</property></entry>
  <blank length="00:00:00.250"/>
  <entry producer="producer3" in="00:00:00.417" out="00:00:00.875">
   <property name="kdenlive:id">3</property></entry>
 </playlist>
 <playlist id="playlist1"/>
 <tractor id="tractor0" in="00:00:00.000" out="00:00:01.208">
  <property name="kdenlive:track_name">V1</property><property name="kdenlive:trackheight">67</property>
  <property name="kdenlive:timeline_active">1</property>
  <track hide="audio" producer="playlist0"/>
  <track hide="audio" producer="playlist1"/>
 </tractor>
 <tractor id="{{7f4f1b8e-7a4c-4f5e-9d8b-1c2d3e4f5a6b}}" in="00:00:00.000" out="00:00:01.208">
  <property name="kdenlive:uuid">{{7f4f1b8e-7a4c-4f5e-9d8b-1c2d3e4f5a6b}}</property>
  <property name="kdenlive:clipname">Sequence 1</property>
  <property name="kdenlive:sequenceproperties.guides">[]</property>
  <property name="kdenlive:id">4</property>
  <track producer="black_track"/>
  <track producer="tractor0"/>
 </tractor>
 <playlist id="main_bin">
  <property name="kdenlive:docproperties.version">1.1</property>
  <property name="kdenlive:docproperties.uuid">{{7f4f1b8e-7a4c-4f5e-9d8b-1c2d3e4f5a6b}}</property>
  <property name="xml_retain">1</property>
  <entry producer="producer0" in="00:00:00.000" out="00:00:01.958"/>
  <entry producer="producer1" in="00:00:00.000" out="00:00:01.625"/>
  <entry producer="{{7f4f1b8e-7a4c-4f5e-9d8b-1c2d3e4f5a6b}}" in="00:00:00.000" out="00:00:01.208"/>
 </playlist>
 <tractor id="tractor1" in="00:00:00.000" out="00:00:01.208">
  <property name="kdenlive:projectTractor">1</property>
  <track producer="{{7f4f1b8e-7a4c-4f5e-9d8b-1c2d3e4f5a6b}}" in="00:00:00.000" out="00:00:01.208"/>
 </tractor>
</mlt>
"""


@needs_kdenlive
def test_kdenlive_apply_refuses_and_otio_works_instead(media: tuple[Path, Path], tmp_path: Path,
                                                       fake_styles: None) -> None:
    a, b = media
    project = tmp_path / "edit.kdenlive"
    project.write_text(kdenlive_project(a, b))
    before = project.read_bytes()
    read = sotio.read_timeline(project)
    clips = read.find_clips()
    assert [(c.name, c.source_range.start_time.to_frames()) for c in clips] == [("a.mp4", 4), ("b.mp4", 10)]
    runner = CliRunner()

    # Into a .kdenlive (given, or the default: overwrite the project): refused, nothing written.
    for extra in (["-o", str(tmp_path / "styled.kdenlive")], []):
        res = runner.invoke(cli, ["otio", "apply", str(project), "--track", "1", "--style", "s", *extra])
        assert res.exit_code == 2, res.output
        line = _one_error_line(res.stderr)
        assert "A Kdenlive timeline cannot carry the stylecut effect" in line
        assert "otio-kdenlive-adapter" in line and "2 of 2 styled clips" in line
        assert "-o styled.otio" in line or "-o edit.otio" in line
        assert "effect applied" not in res.output and "deprecated" not in res.output
    assert not (tmp_path / "styled.kdenlive").exists() and project.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edit.kdenlive"]

    # Rendering the Kdenlive project itself: no effect can be there, so say so (not "0 rendered").
    res = runner.invoke(cli, ["otio", "render", str(project), "--media-dir", str(tmp_path / "m"),
                              "-o", str(tmp_path / "out.kdenlive"), "-q"])
    assert res.exit_code == 2, res.output
    line = _one_error_line(res.stderr)
    assert "cannot" in line and "Kdenlive" in line and "edit.otio" in line
    assert not (tmp_path / "out.kdenlive").exists()

    # What works: apply into OTIO, render that, write the relinked project as .kdenlive.
    styled = tmp_path / "styled.otio"
    res = runner.invoke(cli, ["otio", "apply", str(project), "--track", "1", "--style", "s",
                              "--strength", "0", "--temporal", "off", "-o", str(styled)])
    assert res.exit_code == 0, res.output
    assert "effect applied to 2 clips" in res.stderr
    relinked = tmp_path / "relinked.kdenlive"
    res = runner.invoke(cli, ["otio", "render", str(styled), "--media-dir", str(tmp_path / "baked"),
                              "-o", str(relinked), "-q"])
    assert res.exit_code == 0, res.output
    assert "2 rendered, 0 unchanged, 0 failed" in res.stderr
    assert "keeps no stylecut effect" in res.stderr  # the note: re-render from styled.otio
    assert res.stdout.strip() == str(relinked)  # the adapter's banner stays out of stdout
    resources = {p.text for p in ET.parse(relinked).getroot().iter("property") if p.get("name") == "resource"}
    baked = (tmp_path / "baked").resolve()
    assert {Path(r).parent for r in resources if r != "black"} == {baked}
    back_tl = sotio.read_timeline(relinked)
    back = back_tl.find_clips()
    assert len(back) == 2
    for clip, first in zip(back, (4, 10), strict=True):
        path = Path(clip.media_reference.target_url)
        assert len(build_index(path)) == 12 and _frame_numbers(path) == list(range(first, first + 12))
        assert clip.source_range.duration.to_frames() == 12


@pytest.mark.skipif("kdenlive" in ADAPTERS, reason="the Kdenlive adapter is installed here")
def test_kdenlive_output_without_its_adapter_names_the_package(media: tuple[Path, Path], tmp_path: Path,
                                                               fake_styles: None) -> None:
    src = _one_clip_otio(media[0], tmp_path / "edit.otio")
    res = CliRunner().invoke(cli, ["otio", "apply", str(src), "--track", "1", "--style", "s",
                                   "-o", str(tmp_path / "styled.kdenlive")])
    assert res.exit_code == 2, res.output
    assert "pip install otio-kdenlive-adapter" in _one_error_line(res.stderr)
    assert not (tmp_path / "styled.kdenlive").exists()
