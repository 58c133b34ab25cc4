"""Issue 17 items 1-3: containers whose timestamps cannot be trusted render frame-exact.

H.264 with B-frames and MPEG-4 ASP (plain and DivX-style packed B-frames) in AVI, where the
decoder returns pts out of order; MPEG-2 in a program stream (.mpg) and a transport stream
(.ts) with a start offset, where a seek lands past its target or on mislabelled frames.
Every clip has its frame number burnt in; each renders from the start and from the middle
into .mp4/.mov/.mkv with the exact frames, and random access reads frame N as frame N.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from stylecut.core import VideoReader, probe
from stylecut.core.pipeline import RenderSettings, render
from stylecut.core.testing import InvertStylizer, make_clip, make_packed_avi, read_frame_number

FRAMES = 36
MIDDLE = 17


def _h264_bframes_avi(path: Path) -> Path:
    return make_clip(path, frames=FRAMES, width=64, height=48, fps=10, codec="libx264",
                     audio_codec="aac",
                     options={"x264-params": "keyint=12:min-keyint=12:scenecut=0:bframes=3:"
                                             "b-pyramid=normal"})


def _mpeg4_bframes_avi(path: Path) -> Path:
    return make_clip(path, frames=FRAMES, width=64, height=48, fps=25, codec="mpeg4", gop=12,
                     options={"bf": "2"}, audio_codec="ac3")


def _mpeg2(path: Path) -> Path:
    return make_clip(path, frames=FRAMES, width=64, height=48, fps=25, codec="mpeg2video",
                     gop=12, options={"bf": "2"}, audio_codec="mp2")


MAKERS = {
    "h264_bframes.avi": _h264_bframes_avi,
    "mpeg4_bframes.avi": _mpeg4_bframes_avi,
    "mpeg4_packed.avi": lambda p: make_packed_avi(p, frames=FRAMES),
    "mpeg2.mpg": _mpeg2,
    "mpeg2.ts": _mpeg2,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reorder")
    return {name: make(folder / name) for name, make in MAKERS.items()}


def _numbers(path: Path) -> list[int]:
    with VideoReader(path) as reader:
        return [read_frame_number(f.image) for f in reader.frames()]


def test_the_corpus_has_the_faults_of_the_issue(corpus: dict[str, Path]):
    """Decoded pts out of order in AVI; a seek to the first frame of the TS lands past it."""
    for name in ("h264_bframes.avi", "mpeg4_packed.avi"):
        with av.open(str(corpus[name])) as container:
            pts = [f.pts for f in container.decode(video=0)]
        assert pts != sorted(pts), name
    with av.open(str(corpus["mpeg2.ts"])) as container:
        stream = container.streams.video[0]
        first = next(p.pts for p in container.demux(stream) if p.size)
        container.seek(first, stream=stream, backward=True)
        assert next(container.decode(stream)).pts > first


@pytest.mark.parametrize("name", list(MAKERS))
def test_every_frame_is_itself_in_order_and_at_random(corpus: dict[str, Path], name: str):
    path = corpus[name]
    with VideoReader(path) as reader:
        assert len(reader) == FRAMES
        if name.endswith(".avi"):  # AVI has no pts of its own; an MPEG-PS written by a one-thread
            assert not reader.index.pts_trusted  # encoder may also lack some (then reconstructed)
        assert list(reader.index.pts) == sorted(set(reader.index.pts))
        order = [int(i) for i in np.random.default_rng(7).permutation(FRAMES)[:10]]
        order += [FRAMES - 1, 0, MIDDLE, MIDDLE + 1]
        assert [read_frame_number(reader.read(i)) for i in order] == order
        decoded = list(reader.frames(MIDDLE, FRAMES))
        assert [read_frame_number(f.image) for f in decoded] == list(range(MIDDLE, FRAMES))
        assert [f.index for f in decoded] == list(range(MIDDLE, FRAMES))
        assert all(a.pts < b.pts for a, b in zip(decoded, decoded[1:], strict=False))
    assert probe(path).video.frame_count == FRAMES


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("start", [None, MIDDLE])
def test_renders_from_start_and_middle_into_each_container(
    corpus: dict[str, Path], name: str, start: int | None, tmp_path: Path
):
    first = start or 0
    for ext in (".mp4", ".mov", ".mkv"):
        out = tmp_path / f"out{ext}"
        result = render(corpus[name], out, InvertStylizer(), strength=0.0,
                        settings=RenderSettings(start=start, temporal="off", overwrite=True))
        assert result.frames == FRAMES - first
        assert _numbers(out) == list(range(first, FRAMES)), (name, ext)
        with av.open(str(out)) as container:
            assert len(container.streams.audio) == 1, (name, ext)


def test_bframes_avi_into_avi_and_with_cli_in_point(corpus: dict[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch):
    source = corpus["h264_bframes.avi"]
    out = tmp_path / "out.avi"
    render(source, out, InvertStylizer(), strength=0.0, settings=RenderSettings(temporal="off"))
    assert _numbers(out) == list(range(FRAMES))

    import importlib

    from stylecut.plugin.cli import cli

    cli_module = importlib.import_module("stylecut.plugin.cli")
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    mp4 = tmp_path / "cli.mp4"
    result = CliRunner().invoke(cli, ["render", str(source), "-o", str(mp4), "--style", "x",
                                      "--strength", "0", "--in", str(MIDDLE), "-q"])
    assert result.exit_code == 0, result.output
    assert _numbers(mp4) == list(range(MIDDLE, FRAMES))


def test_program_stream_seeks_that_land_on_mislabelled_frames_fall_back(tmp_path: Path):
    """In this MPEG-PS a seek to a keyframe's decode time lands on frames whose pts belong to
    other frames (checked below); the reader must notice and decode from earlier."""
    path = make_clip(tmp_path / "long.mpg", frames=120, width=96, height=64, fps=25,
                     codec="mpeg2video", gop=12, options={"bf": "2"}, audio=False)
    with VideoReader(path) as reader:
        for i in (23, 24, 30, 72, 75, 119, 5):
            assert read_frame_number(reader.read(i)) == i


def test_preview_original_decoder_counts_frames_where_pts_are_not_trusted(
        corpus: dict[str, Path]):
    from stylecut.core.media import build_index
    from stylecut.plugin.preview.frames import _OriginalDecoder

    for name in ("h264_bframes.avi", "mpeg2.ts"):
        path = corpus[name]
        decoder = _OriginalDecoder(path, build_index(path))
        try:
            for n in (MIDDLE, 3, FRAMES - 1, 0, MIDDLE + 2):
                got = decoder.decode(n, lambda i, f: None, lambda i, n=n: n)
                assert got is not None and got[0] == n
                assert read_frame_number(got[1].to_ndarray(format="rgb24")) == n, (name, n)
        finally:
            decoder.close()
