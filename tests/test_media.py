"""probe() and the frame-accurate reader on generated clips of many kinds."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from stylecut.core import (
    CorruptMediaError,
    EmptyMediaError,
    MediaNotFoundError,
    NotMediaError,
    NoVideoStreamError,
    SeekError,
    VideoReader,
    probe,
)
from stylecut.core.testing import make_clip, read_frame_number


def test_probe_reports_stream_facts(h264_long_gop: Path):
    info = probe(h264_long_gop)
    v = info.video
    assert (v.codec, v.width, v.height) == ("h264", 64, 48)
    assert v.fps == Fraction(24)
    assert v.frame_count == 120
    assert v.duration == Fraction(5)
    assert v.pix_fmt == "yuv420p" and v.bit_depth == 8
    assert v.rotation == 0 and not v.vfr
    assert len(info.audio) == 1
    a = info.audio[0]
    assert (a.codec, a.sample_rate, a.channels, a.layout) == ("aac", 48000, 2, "stereo")
    d = json.loads(json.dumps(info.to_dict()))
    assert d["video"]["fps"] == "24" and d["video"]["frame_count"] == 120


def test_probe_10bit_prores(prores_10bit: Path):
    v = probe(prores_10bit).video
    assert v.codec == "prores" and v.bit_depth == 10 and v.pix_fmt == "yuv422p10le"


def test_probe_rotation_and_colour(rotated_mp4: Path, bt709_red: Path):
    assert probe(rotated_mp4).video.rotation == 90
    colour = probe(bt709_red).video.colour.to_dict()
    assert colour == {"matrix": "bt709", "range": "limited", "primaries": "bt709",
                      "transfer": "bt709"}


def test_exact_seek_to_every_frame_of_a_long_gop_clip_in_random_order(h264_long_gop: Path):
    with VideoReader(h264_long_gop) as reader:
        order = np.random.default_rng(1).permutation(len(reader))
        got = [read_frame_number(reader.read(int(n))) for n in order]
    assert got == [int(n) for n in order]


@pytest.mark.parametrize("fixture", ["vp9_webm", "mpeg4_avi", "prores_10bit", "vfr_mp4",
                                     "odd_size", "hevc_mp4"])
def test_random_access_on_other_codecs(fixture: str, request: pytest.FixtureRequest):
    path = request.getfixturevalue(fixture)
    with VideoReader(path) as reader:
        n = len(reader)
        order = list(np.random.default_rng(2).permutation(n)[:12]) + [n - 1, 0]
        for i in order:
            assert read_frame_number(reader.read(int(i))) == i, (fixture, i)
        assert [read_frame_number(f.image) for f in reader.frames()] == list(range(n))


def test_vfr_frames_are_mapped_by_pts(vfr_mp4: Path):
    info = probe(vfr_mp4)
    assert info.video.vfr
    with VideoReader(vfr_mp4) as reader:
        times = [reader.index.time_of(i) for i in range(len(reader))]
        # 0, 1/24, 1/24+1/12, ...: gaps follow the pattern, not an average rate
        assert times[1] == Fraction(1, 24)
        assert times[2] == Fraction(1, 24) + Fraction(1, 12)
        third = Fraction(1, 24) + Fraction(1, 12) + Fraction(1, 30)
        assert reader.frame_at_time(third) == 3
        assert reader.frame_at_time(third - Fraction(1, 1000)) == 2
        assert read_frame_number(reader.read(reader.frame_at_time(Fraction(1, 2)))) \
            == reader.frame_at_time(Fraction(1, 2))


def test_reader_reports_size_and_rejects_out_of_range(odd_size: Path):
    with VideoReader(odd_size) as reader:
        assert (reader.width, reader.height) == (65, 49)
        assert reader.read(0).shape == (49, 65, 3)
        with pytest.raises(SeekError, match=r"Frame 10 is outside .*Received: frame=10"):
            reader.read(10)
        with pytest.raises(SeekError):
            reader.read(-1)
        with pytest.raises(SeekError, match="Received: time="):
            reader.frame_at_time(Fraction(100))


def test_bt709_red_decodes_as_red(bt709_red: Path):
    with VideoReader(bt709_red) as reader:
        r, g, b = reader.read(0)[100, 100].astype(int)
    assert r >= 250 and g <= 4 and b <= 4


def test_missing_file(tmp_path: Path):
    with pytest.raises(MediaNotFoundError, match="not found") as info:
        probe(tmp_path / "nope.mp4")
    assert isinstance(info.value, FileNotFoundError)
    assert "nope.mp4" in str(info.value)


def test_not_a_media_file(tmp_path: Path):
    text = tmp_path / "notes.mp4"
    text.write_text("hello, this is not a video\n" * 20)
    with pytest.raises(NotMediaError, match="not a media file"):
        probe(text)


def test_empty_file(tmp_path: Path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(CorruptMediaError, match="empty"):
        probe(empty)


def test_truncated_file(small_clip: Path, tmp_path: Path):
    data = small_clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # the moov index at the end is lost
    with pytest.raises(CorruptMediaError, match="truncated or corrupt"):
        probe(cut)


def test_audio_only_file_has_no_video_stream(tmp_path: Path):
    import av

    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=48000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp",
                                           layout="stereo")
        frame.sample_rate = 48000
        for i in range(10):
            frame.pts = i * 1024
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    with pytest.raises(NoVideoStreamError, match="no video stream"):
        probe(path)


def test_zero_frame_video(tmp_path: Path):
    import av

    path = tmp_path / "zero.avi"
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=24)
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        c.start_encoding()  # header only, no frames
    with pytest.raises(EmptyMediaError, match="no frames"):
        probe(path)


def test_make_clip_writes_what_it_says(tmp_path: Path):
    path = make_clip(tmp_path / "c.mkv", frames=5, width=32, height=32, codec="ffv1",
                     pix_fmt="yuv444p", audio=False)
    info = probe(path)
    assert info.video.frame_count == 5 and not info.audio


def test_zero_frame_mp4_is_a_media_error(tmp_path: Path):
    import av
    from stylecut.core import MediaError

    path = tmp_path / "zero.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=24)
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        c.start_encoding()
    with pytest.raises(MediaError, match="zero.mp4"):
        probe(path)
