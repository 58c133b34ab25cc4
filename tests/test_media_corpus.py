"""Issue 17 "what to build" 2: the rest of the generated media corpus renders frame-exact.

HEVC 10-bit, ProRes 4444 with a real alpha channel, DNxHR LB, interlaced H.264 (top field
first) and MPEG-2 (bottom field first), a one-frame clip, a file with two video streams and a
3-frame 3840x2160 clip. Every clip is made here with PyAV, its frame number burnt in; each renders from its
start and from its middle into .mp4, .mov and .mkv with exactly the frames asked for and its
audio trimmed to them, and ``strength 0`` into FFV1 gives back the decoded frames bit for bit.
(The other cases of the corpus live in test_media_reorder.py and test_pipeline.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from stylecut.core import EncodeSettings, VideoReader, probe
from stylecut.core.pipeline import RenderSettings, render
from stylecut.core.testing import InvertStylizer, make_clip, read_frame_number, stamp_frame_number

CONTAINERS = (".mp4", ".mov", ".mkv")
FAST_H264 = EncodeSettings(codec="h264", speed="ultrafast")


def _pattern(n: int, width: int, height: int) -> np.ndarray:
    """Per-frame distinct colours (and the frame number, stamped by the caller)."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.stack([(x * 3 + 17 * n) % 256, (y * 5 + 29 * n) % 256,
                    ((x + y) * 2 + 41 * n) % 256], axis=-1)
    return img.astype(np.uint8)


def _tone(container: av.container.OutputContainer, stream: av.AudioStream,
          seconds: Fraction) -> None:
    """A 440 Hz stereo tone of ``seconds`` into ``stream`` (added before any packet was muxed)."""
    total = int(seconds * 48000)
    for start in range(0, total, 1024):
        n = min(1024, total - start)
        t = np.arange(start, start + n) / 48000
        wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _prores4444_alpha(path: Path) -> Path:
    """ProRes 4444 (yuva444p10le) whose alpha is a ramp: transparent left, opaque right."""
    frames, width, height = 12, 96, 64
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("prores_ks", rate=24, options={"profile": "4"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuva444p10le"
        sound = container.add_stream("pcm_s16le", rate=48000, layout="stereo")
        for i in range(frames):
            rgb = stamp_frame_number(_pattern(i, width, height), i)
            alpha = np.broadcast_to(np.linspace(0, 255, width, dtype=np.uint8), (height, width))
            rgba = np.dstack([rgb, alpha])
            frame = av.VideoFrame.from_ndarray(rgba, format="rgba").reformat(
                format="yuva444p10le")
            frame.pts, frame.time_base = i, Fraction(1, 24)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        _tone(container, sound, Fraction(frames, 24))
    return path


def _two_video_streams(path: Path) -> Path:
    """Two H.264 streams (96x64 numbered, then 48x32) and AAC: the first is the one rendered."""
    frames = 14
    with av.open(str(path), mode="w") as container:
        streams = []
        for width, height in ((96, 64), (48, 32)):
            stream = container.add_stream("libx264", rate=24, options={"preset": "ultrafast"})
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            streams.append(stream)
        sound = container.add_stream("aac", rate=48000, layout="stereo")
        for i in range(frames):
            for k, stream in enumerate(streams):
                img = _pattern(i + 100 * k, stream.width, stream.height)
                if k == 0:
                    img = stamp_frame_number(img, i)
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = i, Fraction(1, 24)
                for packet in stream.encode(frame):
                    container.mux(packet)
        for stream in streams:
            for packet in stream.encode(None):
                container.mux(packet)
        _tone(container, sound, Fraction(frames, 24))
    return path


def _clip(name: str, **kwargs: object) -> Callable[[Path], Path]:
    return lambda folder: make_clip(folder / name, image_fn=_pattern, **kwargs)


X265 = {"preset": "ultrafast", "x265-params": "log-level=error"}
# name -> (maker, frames, has audio)
CASES: dict[str, tuple[Callable[[Path], Path], int, bool]] = {
    "hevc_10bit": (_clip("hevc10.mp4", frames=16, width=96, height=64, codec="libx265",
                         pix_fmt="yuv420p10le", gop=8, options=X265), 16, True),
    "prores4444_alpha": (lambda folder: _prores4444_alpha(folder / "alpha.mov"), 12, True),
    # DNxHR takes any size from 256x120 up (smaller frames are refused by the encoder)
    "dnxhr_lb": (_clip("dnxhr.mov", frames=10, width=256, height=144, codec="dnxhd",
                       pix_fmt="yuv422p", options={"profile": "dnxhr_lb"},
                       audio_codec="pcm_s16le"), 10, True),
    "interlaced_tff_h264": (_clip("tff.mkv", frames=14, width=96, height=64, gop=7,
                                  options={"flags": "+ilme+ildct", "x264-params": "tff=1"}),
                            14, True),
    "interlaced_bff_mpeg2": (_clip("bff.ts", frames=14, width=96, height=64, fps=25,
                                   codec="mpeg2video", gop=7,
                                   options={"flags": "+ilme+ildct", "bf": "2"},
                                   audio_codec="mp2"), 14, True),
    "one_frame": (_clip("one.mp4", frames=1, width=64, height=48), 1, True),
    "one_frame_no_audio": (_clip("one.mkv", frames=1, width=64, height=48, codec="ffv1",
                                 pix_fmt="yuv444p", audio=False), 1, False),
    "two_video_streams": (lambda folder: _two_video_streams(folder / "two.mkv"), 14, True),
    "uhd_4k": (lambda folder: make_clip(folder / "uhd.mp4", frames=3, width=3840, height=2160,
                                        options={"preset": "ultrafast"}), 3, True),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    return {name: make(folder) for name, (make, _, _) in CASES.items()}


def _numbers(path: Path) -> list[int]:
    with VideoReader(path) as reader:
        return [read_frame_number(f.image) for f in reader.frames()]


def _decoded(path: Path, start: int = 0) -> list[np.ndarray]:
    with VideoReader(path) as reader:
        return [f.image for f in reader.frames(start, len(reader))]


def _spans(path: Path) -> tuple[tuple[Fraction, Fraction], tuple[Fraction, Fraction] | None]:
    """(first, end) seconds of the video (end = last pts + one frame) and of the audio packets
    (an AAC priming packet before 0 included: MP4 and MOV hide it with their edit list)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = sorted(f.time for f in container.decode(stream))
        rate = Fraction(stream.guessed_rate or stream.average_rate)
        video = (Fraction(times[0]).limit_denominator(10**6),
                 Fraction(times[-1]).limit_denominator(10**6) + 1 / rate)
        if not container.streams.audio:
            return video, None
        container.seek(0)
        sound = container.streams.audio[0]
        audio = sorted((Fraction(p.pts * p.time_base), Fraction(p.duration * p.time_base))
                       for p in container.demux(sound) if p.size)
    return video, (audio[0][0], audio[-1][0] + audio[-1][1])


def test_the_corpus_is_what_it_says(corpus: dict[str, Path]):
    """Each generated file has the property its case is about (else the test below proves
    nothing)."""
    assert probe(corpus["hevc_10bit"]).video.bit_depth == 10
    info = probe(corpus["prores4444_alpha"]).video
    assert info.codec == "prores" and info.pix_fmt.startswith("yuva444p")
    with av.open(str(corpus["prores4444_alpha"])) as container:
        alpha = next(container.decode(video=0)).to_ndarray(format="rgba")[..., 3]
    assert alpha[:, 0].max() < 16 and alpha[:, -1].min() > 240  # a real, varying alpha
    with av.open(str(corpus["dnxhr_lb"])) as container:
        assert container.streams.video[0].codec_context.profile == "DNXHR LB"
    for name, order in (("interlaced_tff_h264", 2), ("interlaced_bff_mpeg2", 3)):  # AV_FIELD_TT, _BB
        with av.open(str(corpus[name])) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.field_order == order
            assert all(f.interlaced_frame for f in container.decode(stream))
    assert [x.width for x in probe(corpus["two_video_streams"]).extra_video] == [48]
    for name, (_, frames, audio) in CASES.items():
        info = probe(corpus[name])
        assert info.video.frame_count == frames and bool(info.audio) == audio, name
        assert _numbers(corpus[name]) == list(range(frames)), name


def _starts(name: str) -> list[int]:
    frames = CASES[name][1]
    return [0] if frames == 1 else [0, frames // 2 + 1]


@pytest.mark.parametrize(("name", "start"), [(n, s) for n in CASES for s in _starts(n)])
def test_renders_from_start_and_middle_into_each_container(
    corpus: dict[str, Path], name: str, start: int, tmp_path: Path
):
    source = corpus[name]
    _, frames, audio = CASES[name]
    for ext in CONTAINERS:
        out = tmp_path / f"out{ext}"
        notes: list[str] = []
        result = render(source, out, InvertStylizer(), strength=0.0, on_note=notes.append,
                        settings=RenderSettings(start=start, overwrite=True, encode=FAST_H264))
        assert (name == "prores4444_alpha") == any("alpha channel" in n for n in notes), notes
        assert (name == "two_video_streams") == any(
            "video stream #1 (h264 48x32) is not rendered" in n for n in notes), notes
        assert result.frames == frames - start, (name, ext)
        assert _numbers(out) == list(range(start, frames)), (name, ext)
        info = probe(out)
        assert info.video.frame_count == frames - start and not info.extra_video, (name, ext)
        (v_first, v_end), audio_span = _spans(out)
        assert abs(v_first) <= Fraction(1, 1000), (name, ext)  # rebased to the first frame
        assert v_end == pytest.approx(Fraction(frames - start) / probe(source).video.fps,
                                      abs=0.002), (name, ext)
        assert (audio_span is not None) == audio, (name, ext)
        if audio_span is not None:  # in sync: starts with the video, ends with it (one packet)
            a_first, a_end = audio_span
            packet = Fraction(1152, 48000) + Fraction(1, 1000)
            assert -packet < a_first - v_first < packet, (name, ext, a_first)
            assert v_end - Fraction(1, 1000) <= a_end < v_end + packet, (name, ext, a_end, v_end)


@pytest.mark.parametrize(("name", "start"), [(n, s) for n in CASES for s in _starts(n)])
def test_strength_zero_into_ffv1_is_the_decoded_frames(
    corpus: dict[str, Path], name: str, start: int, tmp_path: Path
):
    source = corpus[name]
    stylizer = InvertStylizer()
    out = tmp_path / "lossless.mkv"
    render(source, out, stylizer, strength=0.0,
           settings=RenderSettings(start=start, encode=EncodeSettings(codec="ffv1")))
    expected, got = _decoded(source, start), _decoded(out)
    assert len(got) == len(expected) == CASES[name][1] - start
    for i, (a, b) in enumerate(zip(expected, got, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"{name} frame {start + i}")
    assert stylizer.frames_seen == 0
    # and the effect itself reaches every one of those frames
    styled = tmp_path / "styled.mkv"
    render(source, styled, stylizer, strength=1.0,  # per frame: the exact inverse of each frame
           settings=RenderSettings(start=start, encode=EncodeSettings(codec="ffv1"), temporal="off"))
    for a, b in zip(expected, _decoded(styled), strict=True):
        np.testing.assert_array_equal(255 - a, b)


@pytest.mark.parametrize(("ext", "codec", "pix_fmt", "tolerance"),
                         [(".mov", "prores4444", "yuva444p", 2), (".mkv", "ffv1", "bgra", 0)])
def test_alpha_is_kept_where_the_codec_can_hold_it(
    corpus: dict[str, Path], ext: str, codec: str, pix_fmt: str, tolerance: int, tmp_path: Path
):
    """A ProRes 4444 source with alpha, rendered into ProRes 4444 or FFV1: the styled colour
    with the source's own alpha plane, from the start and from an in-point."""
    source = corpus["prores4444_alpha"]

    def alphas(path: Path) -> list[np.ndarray]:
        with av.open(str(path)) as container:
            return [f.to_ndarray(format="rgba")[..., 3] for f in container.decode(video=0)]

    for start in (0, 5):
        out = tmp_path / f"keep{start}{ext}"
        notes: list[str] = []
        render(source, out, InvertStylizer(), strength=1.0, on_note=notes.append,
               settings=RenderSettings(start=start, overwrite=True, encode=EncodeSettings(codec=codec)))
        assert not any("alpha" in n for n in notes), notes
        assert probe(out).video.pix_fmt.startswith(pix_fmt)
        got, expected = alphas(out), alphas(source)[start:]
        assert len(got) == len(expected) == 12 - start
        for a, b in zip(got, expected, strict=True):
            assert int(np.abs(a.astype(int) - b.astype(int)).max()) <= tolerance
        # the effect ran: the burnt-in 12-bit frame numbers read back inverted
        assert [4095 - n for n in _numbers(out)] == list(range(start, 12))


def test_alpha_into_a_codec_without_it_is_a_note_naming_the_codecs_that_keep_it(
    corpus: dict[str, Path], tmp_path: Path
):
    notes: list[str] = []
    render(corpus["prores4444_alpha"], tmp_path / "flat.mp4", InvertStylizer(), on_note=notes.append,
           settings=RenderSettings(encode=FAST_H264))
    assert any("alpha channel" in n and "prores4444 or ffv1 keep it" in n for n in notes), notes
