"""The render pipeline end to end on generated clips."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from stylecut.core import (
    Curve,
    EncodeSettings,
    EncodeSettingsError,
    Key,
    ModelError,
    OutputDirError,
    OutputExistsError,
    OutputIsInputError,
    PassthroughStylizer,
    Progress,
    RenderCancelled,
    RenderSettings,
    SeekError,
    VideoReader,
    probe,
    render,
)
from stylecut.core.testing import FunctionStylizer, InvertStylizer, read_frame_number

LOSSLESS = EncodeSettings(codec="ffv1")


def frames_of(path: Path) -> list[np.ndarray]:
    with VideoReader(path) as r:
        return [f.image for f in r.frames()]


def times_of(path: Path) -> list[Fraction]:
    with VideoReader(path) as r:
        return [r.index.time_of(i) for i in range(len(r))]


def audio_of(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray() for f in c.decode(audio=0)]
    return np.concatenate(chunks, axis=1)


def no_leftovers(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if ".partial" in p.name]


def test_passthrough_render_keeps_frames_timestamps_and_audio(h264_long_gop: Path,
                                                              tmp_path: Path):
    out = tmp_path / "out.mp4"
    result = render(h264_long_gop, out, PassthroughStylizer())
    assert result.frames == 120 and result.output == out
    assert times_of(out) == times_of(h264_long_gop)
    assert [read_frame_number(f) for f in frames_of(out)] == list(range(120))
    src_audio, out_audio = audio_of(h264_long_gop), audio_of(out)
    assert src_audio.shape == out_audio.shape  # every sample kept
    np.testing.assert_array_equal(src_audio, out_audio)  # stream copy: bit-identical audio
    assert no_leftovers(tmp_path)


def test_in_out_trim_retimes_video_and_audio(h264_long_gop: Path, tmp_path: Path):
    out = tmp_path / "trim.mp4"
    render(h264_long_gop, out, PassthroughStylizer(), settings=RenderSettings(start=30, stop=78))
    info = probe(out)
    assert info.video.frame_count == 48
    assert [read_frame_number(f) for f in frames_of(out)] == list(range(30, 78))
    assert times_of(out)[:3] == [Fraction(0), Fraction(1, 24), Fraction(2, 24)]
    audio = audio_of(out)
    expected = 48 * 48000 // 24  # 2 s of samples
    assert abs(audio.shape[1] - expected) <= 2 * 1024  # packet-granular trim (AAC: 1024)
    # still the 440 Hz tone at the same level
    spectrum = np.abs(np.fft.rfft(audio[0, 4096:4096 + 48000]))
    assert abs(np.argmax(spectrum) - 440) <= 1
    assert 0.15 < np.sqrt(np.mean(audio[0, 4096:] ** 2)) < 0.25


def test_strength_zero_frames_are_bit_exact_passthrough(small_clip: Path, tmp_path: Path):
    curve = Curve((Key(0.0, 0.0, "hold"), Key(0.5, 1.0, "hold"), Key(1.0, 0.0, "hold")))
    stylizer = InvertStylizer(preferred_batch=4)
    styled = render(small_clip, tmp_path / "a.mkv", stylizer, strength=curve,
                    settings=RenderSettings(encode=LOSSLESS, temporal="off"))
    plain = render(small_clip, tmp_path / "b.mkv", PassthroughStylizer(),
                   settings=RenderSettings(encode=LOSSLESS, temporal="off"))
    assert plain.frames == styled.frames == 36
    a, b, src = frames_of(tmp_path / "a.mkv"), frames_of(tmp_path / "b.mkv"), frames_of(small_clip)
    for i in range(36):
        t = Fraction(i, 24)
        if t < Fraction(1, 2) or t >= 1:
            np.testing.assert_array_equal(a[i], b[i])
            np.testing.assert_array_equal(a[i], src[i])
        else:
            np.testing.assert_array_equal(a[i], 255 - src[i])
    assert stylizer.frames_seen == 12  # the generator never saw the s=0 frames
    assert styled.stylized_frames == 12


def test_strength_blends_per_frame(small_clip: Path, tmp_path: Path):
    out = tmp_path / "half.mkv"
    render(small_clip, out, InvertStylizer(), strength=0.5,
           settings=RenderSettings(encode=LOSSLESS))
    src, got = frames_of(small_clip)[5].astype(int), frames_of(out)[5].astype(int)
    expected = np.rint(src + (255 - 2 * src) * 0.5)
    assert np.abs(got - expected).max() <= 1


def test_bt709_red_stays_red_through_a_render(bt709_red: Path, tmp_path: Path):
    out = tmp_path / "red.mp4"
    render(bt709_red, out, PassthroughStylizer(),
           settings=RenderSettings(encode=EncodeSettings(codec="h264", speed="ultrafast")))
    colour = probe(out).video.colour.to_dict()
    assert colour["matrix"] == "bt709" and colour["primaries"] == "bt709"
    r, g, b = frames_of(out)[0][360, 640].astype(int)
    assert r >= 250 and g <= 4 and b <= 4  # a BT.601 decode would give ~(232, 0, 1)
    with av.open(str(out)) as c:
        frame = next(c.decode(video=0))
        naive = frame.to_ndarray(format="rgb24", src_colorspace="itu601",
                                 dst_colorspace="itu601")[360, 640]
    assert naive[0] < 240  # proves the test would catch a matrix mix-up


def test_rotation_is_preserved(rotated_mp4: Path, tmp_path: Path):
    out = tmp_path / "rot.mov"
    render(rotated_mp4, out, PassthroughStylizer())
    assert probe(out).video.rotation == 90


@pytest.mark.parametrize(("fixture", "ext", "codec"), [
    ("vp9_webm", ".webm", None),
    ("mpeg4_avi", ".avi", None),
    ("prores_10bit", ".mov", "prores"),
    ("vfr_mp4", ".mp4", "hevc"),
    ("odd_size", ".mkv", "ffv1"),
])
def test_render_many_formats(fixture: str, ext: str, codec: str | None,
                             request: pytest.FixtureRequest, tmp_path: Path):
    src = request.getfixturevalue(fixture)
    out = tmp_path / f"out{ext}"
    render(src, out, PassthroughStylizer(), settings=RenderSettings(
        encode=EncodeSettings(codec=codec, speed="ultrafast" if codec == "hevc" else None)))
    s_info, o_info = probe(src), probe(out)
    assert o_info.video.frame_count == s_info.video.frame_count
    assert [read_frame_number(f) for f in frames_of(out)] == list(range(s_info.video.frame_count))
    assert len(o_info.audio) == len(s_info.audio)
    tolerance = Fraction(1, 1000) if ext in (".webm", ".mkv") else Fraction(1, 10**6)
    for a, b in zip(times_of(src), times_of(out), strict=True):
        assert abs(a - b) <= tolerance


def test_odd_size_is_padded_for_420_codecs(odd_size: Path, tmp_path: Path):
    notes: list[str] = []
    out = tmp_path / "odd.mp4"
    render(odd_size, out, PassthroughStylizer(), on_note=notes.append)
    v = probe(out).video
    assert (v.width, v.height) == (66, 50)
    assert any("padded to 66x50" in n for n in notes)


def test_audio_transcoded_when_container_cannot_hold_it(small_clip: Path, tmp_path: Path):
    notes: list[str] = []
    out = tmp_path / "out.webm"
    render(small_clip, out, PassthroughStylizer(), on_note=notes.append)
    assert probe(out).audio[0].codec == "opus"
    assert any("transcoded to Opus" in n for n in notes), notes
    assert audio_of(out).shape[1] == pytest.approx(1.5 * 48000, abs=2048)


def test_progress_is_reported_to_the_end(small_clip: Path, tmp_path: Path):
    seen: list[Progress] = []
    render(small_clip, tmp_path / "p.mp4", PassthroughStylizer(), progress=seen.append)
    assert seen[-1].done == seen[-1].total == 36
    assert all(a.done <= b.done for a, b in zip(seen, seen[1:], strict=False))


def test_cancel_leaves_no_file(small_clip: Path, tmp_path: Path):
    cancel = threading.Event()

    def slow(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        cancel.set()
        return frames

    out = tmp_path / "cancelled.mp4"
    with pytest.raises(RenderCancelled):
        render(small_clip, out, FunctionStylizer(slow), cancel=cancel)
    assert not out.exists() and no_leftovers(tmp_path)


def test_keyboard_interrupt_leaves_no_file(small_clip: Path, tmp_path: Path):
    calls = []

    def interrupt(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return frames

    out = tmp_path / "ctrlc.mp4"
    with pytest.raises(KeyboardInterrupt):
        render(small_clip, out, FunctionStylizer(interrupt))
    assert not out.exists() and no_leftovers(tmp_path)


def test_failing_stylizer_leaves_no_file_and_keeps_the_old_output(small_clip: Path,
                                                                  tmp_path: Path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous render")

    def broken(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        return frames[:, :10]

    with pytest.raises(ModelError, match="must return uint8 frames"):
        render(small_clip, out, FunctionStylizer(broken), settings=RenderSettings(overwrite=True))
    assert out.read_bytes() == b"previous render" and no_leftovers(tmp_path)


def test_output_rules(small_clip: Path, tmp_path: Path):
    with pytest.raises(OutputIsInputError, match="overwrite the input"):
        render(small_clip, small_clip, PassthroughStylizer(),
               settings=RenderSettings(overwrite=True))
    existing = tmp_path / "exists.mp4"
    existing.write_bytes(b"x")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        render(small_clip, existing, PassthroughStylizer())
    with pytest.raises(OutputDirError, match="does not exist"):
        render(small_clip, tmp_path / "missing" / "o.mp4", PassthroughStylizer())
    with pytest.raises(OutputDirError, match="not a folder"):
        render(small_clip, existing / "o.mp4", PassthroughStylizer())
    with pytest.raises(EncodeSettingsError, match=r"cannot be written to a \.mp4"):
        render(small_clip, tmp_path / "o.mp4", PassthroughStylizer(),
               settings=RenderSettings(encode=EncodeSettings(codec="prores")))
    with pytest.raises(SeekError, match="outside"):
        render(small_clip, tmp_path / "o.mp4", PassthroughStylizer(),
               settings=RenderSettings(start=10, stop=99))
    assert small_clip.stat().st_size > 1000  # the source is untouched


def test_encode_settings_validation():
    with pytest.raises(EncodeSettingsError, match="Unknown codec.*Received: codec='divx'"):
        EncodeSettings(codec="divx")
    with pytest.raises(EncodeSettingsError, match="CRF for h264 must be in 0..51"):
        EncodeSettings(codec="h264", crf=80)
    with pytest.raises(EncodeSettingsError, match="no CRF"):
        EncodeSettings(codec="prores", crf=10)
    with pytest.raises(EncodeSettingsError, match="Speed preset"):
        EncodeSettings(codec="h264", speed="warp")


def test_render_scales_to_size(h264_long_gop: Path, tmp_path: Path):
    out = tmp_path / "small.mkv"
    render(h264_long_gop, out, PassthroughStylizer(),
           settings=RenderSettings(size=(32, 24), stop=10, encode=LOSSLESS))
    v = probe(out).video
    assert (v.width, v.height, v.frame_count) == (32, 24, 10)
    with pytest.raises(ValueError, match="size must be"):
        RenderSettings(size=(0, 10))


def _flickering(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Inverts and adds fresh noise each call: a flickering stand-in for a per-frame style."""
    noise = np.random.default_rng(int(frames.sum()) % 2**32).normal(0, 12, frames.shape)
    return np.clip(255.0 - frames + noise, 0, 255).astype(np.uint8)


def test_stable_render_from_an_in_point_matches_a_full_render(tmp_path: Path):
    from stylecut.core.testing import make_clip

    src = make_clip(tmp_path / "slow.mkv", frames=40, width=96, height=64, codec="ffv1",
                    pix_fmt="yuv444p", stamp=False, audio=False,
                    image_fn=lambda n, w, h: np.roll(_smooth_texture(w, h), n, axis=1))
    stylizer = FunctionStylizer(_flickering)
    settings = dict(encode=LOSSLESS, temporal="stable")
    render(src, tmp_path / "full.mkv", stylizer, settings=RenderSettings(**settings))
    render(src, tmp_path / "half.mkv", stylizer, settings=RenderSettings(start=20, **settings))
    full, half = frames_of(tmp_path / "full.mkv")[20:], frames_of(tmp_path / "half.mkv")
    assert len(half) == 20
    diffs = [np.abs(a.astype(int) - b).mean() for a, b in zip(full, half, strict=True)]
    assert max(diffs) < 1.0, diffs
    # and stabilisation really changed the output (it is not a per-frame render)
    off = frames_of(render(src, tmp_path / "off.mkv", stylizer,
                           settings=RenderSettings(encode=LOSSLESS, temporal="off")).output)[20:]
    assert np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(full, off, strict=True)]) > 2.0


def test_a_stable_render_uses_the_settings_stabiliser(tmp_path: Path):
    from stylecut.core import Stabiliser, StabiliserSettings
    from stylecut.core.testing import make_clip

    src = make_clip(tmp_path / "slow.mkv", frames=12, width=96, height=64, codec="ffv1",
                    pix_fmt="yuv444p", stamp=False, audio=False,
                    image_fn=lambda n, w, h: np.roll(_smooth_texture(w, h), n, axis=1))
    stylizer = FunctionStylizer(  # per frame, so batching does not change the noise
        lambda frames, strength: np.stack([_flickering(f[None], strength)[0] for f in frames]))
    light = StabiliserSettings(blend=0.2, hold=0.3, still=None)
    out = frames_of(render(src, tmp_path / "light.mkv", stylizer,
                           settings=RenderSettings(encode=LOSSLESS, stabiliser=light)).output)
    default = frames_of(render(src, tmp_path / "default.mkv", stylizer,
                               settings=RenderSettings(encode=LOSSLESS)).output)
    # the same frames through a Stabiliser built from those settings, by hand
    stabiliser, expected = Stabiliser(light), []
    for frame in frames_of(src):
        expected.append(stabiliser.process(frame, stylizer.stylize(frame[None], np.ones(1))[0], 1.0))
    assert max(np.abs(a.astype(int) - b).max() for a, b in zip(out, expected, strict=True)) <= 1
    assert np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(out, default, strict=True)]) > 1.0
    with pytest.raises(ValueError, match="Received: stabiliser=dict"):
        RenderSettings(stabiliser={"hold": 0.5})  # type: ignore[arg-type]


def _smooth_texture(w: int, h: int) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(5)
    base = cv2.resize(rng.uniform(0, 255, (h // 8, w // 8, 3)).astype(np.float32), (w, h),
                      interpolation=cv2.INTER_CUBIC)
    return np.clip(base, 0, 255).astype(np.uint8)


# --- audio transcoding, exact output rates and audio trimmed to the video (issue 17) -----------

NTSC = Fraction(30000, 1001)


def audio_span(path: Path) -> tuple[Fraction, Fraction, int]:
    """First and end time (seconds) of the decoded audio and its sample count."""
    with av.open(str(path)) as c:
        frames = [(f.pts * f.time_base, f.samples, f.sample_rate) for f in c.decode(audio=0)]
    first = frames[0][0]
    last, samples, rate = frames[-1]
    return first, last + Fraction(samples, rate), sum(f[1] for f in frames)


def video_times(path: Path) -> list[Fraction]:
    """Absolute presentation times of the decoded video frames (not rebased like times_of)."""
    with av.open(str(path)) as c:
        return sorted(f.pts * f.time_base for f in c.decode(video=0))


@pytest.mark.parametrize(("layout", "rate", "out_layout", "out_rate"), [
    ("mono", 48000, "mono", 48000),
    ("stereo", 44100, "stereo", 44100),
    ("6 channels", 37800, "5.1", 44100),  # no channel order, a rate AAC does not have
])
def test_mjpeg_avi_with_pcm_audio_renders_to_mp4_as_aac(tmp_path: Path, layout: str, rate: int,
                                                        out_layout: str, out_rate: int):
    from stylecut.core.testing import make_clip

    src = make_clip(tmp_path / "mjpeg.avi", frames=24, fps=24, codec="mjpeg", pix_fmt="yuvj420p",
                    audio_layout=layout, sample_rate=rate)
    s_audio = probe(src).audio[0]
    # AVI's PCM carries a channel count, no channel order: "1 channels", "2 channels", ...
    assert s_audio.codec == "pcm_s16le" and s_audio.layout.endswith(" channels")
    out = tmp_path / "out.mp4"
    notes: list[str] = []
    render(src, out, PassthroughStylizer(), on_note=notes.append)
    info = probe(out)
    assert info.video.frame_count == 24
    assert [read_frame_number(f) for f in frames_of(out)] == list(range(24))
    a = info.audio[0]
    assert (a.codec, a.layout, a.sample_rate) == ("aac", out_layout, out_rate)
    assert a.channels == av.AudioLayout(out_layout).nb_channels
    assert any("transcoded to AAC" in n for n in notes), notes
    audio = audio_of(out)
    assert audio.shape[1] == pytest.approx(out_rate, abs=1024)  # 1 s, the video's length
    names = [c.name for c in av.AudioLayout(out_layout).channels]
    for name, channel in zip(names, audio, strict=True):  # the tone at its pitch
        if name == "LFE":
            continue  # AAC band-limits the low-frequency channel
        spectrum = np.abs(np.fft.rfft(channel[2048:2048 + out_rate // 2]))
        assert abs(np.argmax(spectrum) / 0.5 - 440) <= 2


@pytest.fixture(scope="module")
def ntsc_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """30 frames at 30000/1001 fps: time base 1/30000, and 1/90000 (a 29.97 source whose time
    base does not fit MPEG-4 Part 2's 16 bits)."""
    from stylecut.core.testing import make_clip

    folder = tmp_path_factory.mktemp("ntsc")
    return {
        "tb30000": make_clip(folder / "ntsc.mp4", frames=30, fps=NTSC),
        "tb90000": make_clip(folder / "ntsc90k.mp4", frames=30, fps=NTSC,
                             frame_times=[i / NTSC for i in range(30)]),
    }


@pytest.mark.parametrize("source", ["tb30000", "tb90000"])
@pytest.mark.parametrize("ext", [".avi", ".mp4", ".mov", ".mkv"])
def test_output_keeps_the_sources_rational_rate(ntsc_clips: dict[str, Path], source: str,
                                                ext: str, tmp_path: Path):
    src = ntsc_clips[source]
    assert probe(src).video.fps == NTSC and not probe(src).video.vfr
    out = tmp_path / f"out{ext}"
    render(src, out, PassthroughStylizer())
    v = probe(out).video
    assert v.fps == NTSC  # not 600 (a 1/600 AVI tick) nor 30 (a 1/30 grid)
    assert v.frame_count == 30 and not v.vfr
    assert [read_frame_number(f) for f in frames_of(out)] == list(range(30))
    if ext == ".avi":
        assert v.time_base == 1 / NTSC  # AVI: one tick per frame at the exact rate
        with av.open(str(out)) as c:
            assert [p.pts for p in c.demux(video=0) if p.size] == list(range(30))
    elif ext in (".mp4", ".mov"):
        assert v.time_base == Fraction(1, 30000)
        assert times_of(out) == [i / NTSC for i in range(30)]
    else:  # Matroska: milliseconds
        assert all(abs(t - i / NTSC) <= Fraction(1, 1000) for i, t in enumerate(times_of(out)))


def test_vfr_into_avi_keeps_every_frame_in_order_and_in_time(vfr_mp4: Path, tmp_path: Path):
    out = tmp_path / "vfr.avi"
    render(vfr_mp4, out, PassthroughStylizer())
    assert [read_frame_number(f) for f in frames_of(out)] == list(range(24))
    # AVI has one tick per frame: the grid of the fastest spacing (1/30 s), no frame pushed late
    assert probe(out).video.fps == 30
    for a, b in zip(times_of(vfr_mp4), times_of(out), strict=True):
        assert abs(a - b) <= Fraction(1, 60)


@pytest.fixture(scope="module")
def late_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Video from 1.5 s to 2.5 s (24 frames at 24 fps), audio (AAC tone) from 0 to 2.5 s."""
    from stylecut.core.testing import make_clip

    folder = tmp_path_factory.mktemp("late")
    times = [Fraction(3, 2) + Fraction(i, 24) for i in range(24)]
    return make_clip(folder / "late_video.mp4", frames=24, fps=24, frame_times=times)


@pytest.mark.parametrize("ext", [".mp4", ".mov", ".mkv", ".avi"])
@pytest.mark.parametrize(("start", "stop"), [(None, None), (0, None), (0, 12), (6, 18)])
def test_audio_spans_the_rendered_video_when_the_video_starts_later(
    late_video: Path, tmp_path: Path, ext: str, start: int | None, stop: int | None
):
    src_first, src_end, _ = audio_span(late_video)
    assert src_first == 0 and src_end >= Fraction(5, 2)
    assert video_times(late_video)[0] == Fraction(3, 2)
    out = tmp_path / f"out{ext}"
    render(late_video, out, PassthroughStylizer(), settings=RenderSettings(start=start, stop=stop))
    first, last = start or 0, 24 if stop is None else stop
    assert [read_frame_number(f) for f in frames_of(out)] == list(range(first, last))
    video = video_times(out)
    assert abs(video[0]) <= Fraction(1, 1000)  # rebased: the first rendered frame at 0
    video_end = Fraction(last - first, 24)
    a_first, a_end, samples = audio_span(out)
    if ext == ".avi":  # PCM (transcoded): trimmed to the sample
        assert (a_first, a_end, samples) == (0, video_end, video_end * 48000)
    else:  # AAC stream-copied: trimmed on packet boundaries (1024 samples)
        packet = Fraction(1024, 48000)
        assert 0 <= a_first < packet + Fraction(1, 1000)
        assert video_end <= a_end < video_end + packet + Fraction(1, 1000)


@pytest.mark.parametrize("ext", [".mov", ".mkv"])
@pytest.mark.parametrize("src_ext", [".mov", ".mkv"])  # Matroska: pts rounded to milliseconds
def test_pcm_audio_is_trimmed_to_the_sample_and_kept_bit_exact(tmp_path: Path, src_ext: str,
                                                               ext: str):
    from stylecut.core.testing import make_clip

    src = make_clip(tmp_path / f"pcm{src_ext}", frames=24, fps=24, audio_codec="pcm_s16le")
    out = tmp_path / f"out{ext}"
    render(src, out, PassthroughStylizer(), settings=RenderSettings(start=6, stop=18))
    assert probe(out).audio[0].codec == "pcm_s16le"
    # 2000 samples per frame at 48 kHz: frames 6..17 are samples 12000..36000, exactly
    # (packed s16 stereo: two values per sample)
    np.testing.assert_array_equal(audio_of(out), audio_of(src)[:, 2 * 12000:2 * 36000])
