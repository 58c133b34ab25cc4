"""Real clips from ../shared/data/videos (skipped when that folder is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from stylecut.core import PassthroughStylizer, RenderSettings, VideoReader, probe, render


def test_iphone_rotation_is_read_and_preserved(shared_videos: Path, tmp_path: Path):
    src = shared_videos / "iphone_rotated.mov"
    assert probe(src).video.rotation == -90
    out = tmp_path / "rot.mp4"
    render(src, out, PassthroughStylizer(), settings=RenderSettings(stop=10))
    assert probe(out).video.rotation == -90
    assert probe(out).video.frame_count == 10


def test_vp8_vorbis_webm_renders_to_mp4_with_aac(shared_videos: Path, tmp_path: Path):
    src = shared_videos / "flower.webm"
    notes: list[str] = []
    out = tmp_path / "flower.mp4"
    render(src, out, PassthroughStylizer(), settings=RenderSettings(stop=24), on_note=notes.append)
    info = probe(out)
    assert info.video.frame_count == 24
    assert info.audio and info.audio[0].codec == "aac"
    assert any("transcoded to AAC" in n for n in notes)


def test_real_h264_seeks_exactly(shared_videos: Path):
    src = shared_videos / "friday.mp4"
    with VideoReader(src) as reader:
        n = min(len(reader), 200)
        sequential = [f.image for f in reader.frames(0, n)]
        for i in np.random.default_rng(3).permutation(n)[:8]:
            np.testing.assert_array_equal(reader.read(int(i)), sequential[int(i)])


def test_vp8_alt_ref_frames_do_not_count_as_frames(shared_videos: Path):
    """stream-of-water.webm has invisible alt-ref packets sharing a pts with the next frame."""
    src = shared_videos / "stream-of-water.webm"
    with VideoReader(src) as reader:
        sequential = [f.image for f in reader.frames()]
        assert len(reader) == len(sequential) == 90
        for i in (89, 5, 47, 0, 33):
            np.testing.assert_array_equal(reader.read(i), sequential[i])
