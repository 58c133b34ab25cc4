"""`otio apply` styles video only: an audio track is refused with one line, and --clip NAME
skips the audio clip that Premiere's FCP 7 XML names like its video clip."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner

otio = pytest.importorskip("opentimelineio")

from stylecut.core import Curve  # noqa: E402
from stylecut.core.testing import InvertStylizer  # noqa: E402
from stylecut.plugin import otio as sotio  # noqa: E402
from stylecut.plugin.cli import cli  # noqa: E402

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
CURVE = Curve.from_dict({"format": "stylecut.keyframes", "version": 1,
                         "keys": [{"time": 0, "value": 1}]})


def _clip(name: str) -> otio.schema.Clip:
    ref = otio.schema.ExternalReference(target_url="file:///media/a.mov",
                                        available_range=TR(RT(0, 24), RT(48, 24)))
    return otio.schema.Clip(name=name, media_reference=ref, source_range=TR(RT(0, 24), RT(24, 24)))


def _timeline() -> otio.schema.Timeline:
    """V1 (clip 'a'), A1 (its audio, also 'a', and 'music'), V2 (clip 'b')."""
    tl = otio.schema.Timeline(name="edit")
    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    v1.append(_clip("a"))
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    a1.extend([_clip("a"), _clip("music")])
    v2 = otio.schema.Track(name="V2", kind=otio.schema.TrackKind.Video)
    v2.append(_clip("b"))
    tl.tracks.extend([v1, a1, v2])
    return tl


def _styled(tl: otio.schema.Timeline) -> list[tuple[str, str]]:
    return [(c.parent().name, c.name) for c in sotio.styled_clips(tl)]


def test_an_audio_track_is_refused_naming_the_video_tracks():
    tl = _timeline()
    with pytest.raises(sotio.OtioError, match=r"^Track 2 \(A1\) is an audio track; the effect goes "
                                              r"on a video track \(1, 3\)\. Received: track=2$"):
        sotio.apply_effect(tl, track=2, style="s", curve=CURVE)
    assert _styled(tl) == []
    assert sotio.apply_effect(tl, track=3, style="s", curve=CURVE) == 1
    assert _styled(tl) == [("V2", "b")]


def test_a_clip_name_styles_the_video_clip_not_its_audio():
    tl = _timeline()
    assert sotio.apply_effect(tl, clip="a", style="s", curve=CURVE) == 1
    assert _styled(tl) == [("V1", "a")]
    with pytest.raises(sotio.OtioError, match=r"No clip named 'music' on a video track; video "
                                              r"clips: a, b\. Received: clip='music'"):
        sotio.apply_effect(tl, clip="music", style="s", curve=CURVE)


def test_cli_apply_on_an_audio_track_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cli_module = importlib.import_module("stylecut.plugin.cli")
    monkeypatch.setattr(cli_module, "_find_style", lambda name: InvertStylizer())
    path = tmp_path / "edit.otio"
    otio.adapters.write_to_file(_timeline(), str(path))
    before = path.read_bytes()
    out = tmp_path / "styled.otio"
    result = CliRunner().invoke(cli, ["otio", "apply", str(path), "--track", "2", "--style", "s",
                                      "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == ["stylecut: error: Track 2 (A1) is an audio track; the effect goes on a video "
                     "track (1, 3). Received: track=2"]
    assert not out.exists() and path.read_bytes() == before
