"""Issue 17 "what to build" 3, the parts test_faults.py and test_cli.py do not hold yet.

SIGINT and SIGTERM at each stage of a render in a real process (while the style loads, while
frames are written, while the file is finished), malformed style cards and weights through the
CLI, and a hypothesis
fuzz of keyframe files, --in/--out time syntax and damaged media: bad input is exit 2 with one
``stylecut: error:`` line, never a hang, a traceback or exit 1.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from stylecut.core.testing import InvertStylizer, make_clip
from stylecut.plugin.cli import cli

cli_module = importlib.import_module("stylecut.plugin.cli")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

# `stylecut render …` in a subprocess whose stage STAGE waits (touching READY first) until a
# signal arrives: "load" (the style loads), "frames" (the first frame reaches the style) or
# "finish" (the writer flushes and closes the file).
STAGED_RENDER = """
import importlib, signal, sys, time
from pathlib import Path
from stylecut.core.testing import FunctionStylizer
from stylecut.core.writer import VideoWriter
stage, ready = sys.argv.pop(1), Path(sys.argv.pop(1))
# Ctrl-C as in a terminal: a process started by a non-interactive shell's background job
# (as a CI runner may start the suite) inherits SIGINT ignored, and Python keeps it so.
signal.signal(signal.SIGINT, signal.default_int_handler)
def wait():
    ready.touch()
    time.sleep(120)
def style(frames, strength):
    if stage == "frames":
        wait()
    return 255 - frames
def load(name):
    if stage == "load":
        wait()
    return FunctionStylizer(style)
close = VideoWriter.close
def slow_close(self, *, flush=True):
    if stage == "finish" and flush:
        wait()
    close(self, flush=flush)
VideoWriter.close = slow_close
cli = importlib.import_module("stylecut.plugin.cli")
cli._load_style = load
cli.main()
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("src") / "clip.mp4", frames=12, width=64, height=48,
                     gop=6)


def _one_error_line(stderr: str) -> str:
    """The one error line of ``stderr`` (notes printed before it aside)."""
    lines = [ln for ln in stderr.strip().splitlines() if not ln.startswith("stylecut: note: ")]
    assert len(lines) == 1 and lines[0].startswith("stylecut: error: "), stderr
    assert "internal error" not in lines[0] and "Traceback" not in stderr
    return lines[0]


@posix_only
@pytest.mark.parametrize("stage", ["load", "frames", "finish"])
@pytest.mark.parametrize(("sig", "code", "message"), [
    (signal.SIGINT, 130, "stylecut: cancelled; no output was written"),
    (signal.SIGTERM, 143, "stylecut: terminated (SIGTERM); no output was written"),
])
def test_a_signal_at_each_stage_is_one_message_and_leaves_nothing(
    clip: Path, tmp_path: Path, stage: str, sig: int, code: int, message: str
):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", STAGED_RENDER, stage, str(ready), "render", str(clip), "-o",
         str(out_dir / "styled.mp4"), "--style", "t", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the render ended early: {proc.communicate()}")
        assert time.monotonic() < deadline, "the render did not reach its stage in 120 s"
        time.sleep(0.05)
    if stage != "load":
        assert any(".partial" in p.name for p in out_dir.iterdir())  # under way
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert stderr.strip().splitlines() == [message]
    assert stdout == ""
    assert list(out_dir.iterdir()) == []  # no output, no temp file, no lock


@pytest.mark.parametrize("fill", [0x00, 0xFF])  # the decoder says InvalidData / an odd code
@pytest.mark.parametrize("ext", [".avi", ".webm"])  # audio transcoded to PCM / Opus
def test_a_damaged_audio_packet_is_silence_in_sync_not_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fill: int, ext: str
):
    import av
    import numpy as np

    source = make_clip(tmp_path / "src.mp4", frames=24, gop=6)
    data = bytearray(source.read_bytes())
    with av.open(str(source)) as container:
        packets = [p for p in container.demux(container.streams.audio[0]) if p.size]
        damaged = packets[10]  # at 0.192 s
        data[damaged.pos:damaged.pos + damaged.size] = bytes([fill]) * damaged.size
    source.write_bytes(bytes(data))
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    out = tmp_path / f"out{ext}"
    result = CliRunner().invoke(cli, ["render", str(source), "-o", str(out), "--style", "t",
                                      "--in", "4", "-q"])
    assert result.exit_code == 0, result.output
    assert "audio stream 1: a damaged packet at 0.192 s (and any later ones) replaced by " \
           "silence" in result.stderr
    with av.open(str(out)) as container:
        assert container.streams.video[0].frames in (0, 20)
        sound = [(f.pts * f.time_base, f.to_ndarray()) for f in container.decode(audio=0)]
    samples = np.concatenate([a for _, a in sound], axis=1)
    seconds = Fraction(20, 24)  # frames 4..23
    if ext == ".avi":  # PCM: sample-exact, and silent where the damaged packet was
        assert sound[0][0] == 0 and samples.shape[1] == seconds * 48000 * 2  # packed stereo
        at = round((Fraction(192, 1000) - Fraction(4, 24)) * 48000) * 2
        assert not samples[:, at + 200:at + 1800].any() and samples[:, at + 2400:].any()
    else:  # Opus: 20 ms packets, the same length
        assert abs(samples.shape[1] / 48000 - seconds) < 0.03


def test_streams_of_a_codec_ffmpeg_does_not_know(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A damaged codec tag: the video stream's is a one-line error, an audio stream's is left
    out with a note (both were AttributeErrors: exit 1)."""
    import av

    video = make_clip(tmp_path / "v.mp4", frames=6, gop=3)
    video.write_bytes(video.read_bytes().replace(b"avc1", b"zzzz"))
    audio = make_clip(tmp_path / "a.mkv", frames=6, gop=3)
    audio.write_bytes(audio.read_bytes().replace(b"A_AAC", b"A_ZZZ"))
    for path, kind in ((video, "video"), (audio, "audio")):
        with av.open(str(path)) as container:  # the damage is what the test is about
            assert getattr(container.streams, kind)[0].codec_context is None
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    runner = CliRunner()
    for command in (["probe", str(video)],
                    ["render", str(video), "-o", str(tmp_path / "o.mp4"), "--style", "t"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 2, result.output
        line = _one_error_line(result.stderr)
        assert f"{video} has a video stream whose codec FFmpeg does not know" in line
    result = runner.invoke(cli, ["probe", str(audio)])
    assert result.exit_code == 0 and "#1 unknown" in result.stdout, result.output
    for ext in (".mp4", ".avi"):
        out = tmp_path / f"o{ext}"
        result = runner.invoke(cli, ["render", str(audio), "-o", str(out), "--style", "t", "-q"])
        assert result.exit_code == 0, result.output
        assert "audio stream 1 has a codec FFmpeg does not know" in result.stderr
        with av.open(str(out)) as container:
            assert not container.streams.audio and container.streams.video[0].frames in (0, 6)


# --- malformed style cards and weights, as `render --style CARD.json` meets them ---------------

FOLDER = b"<folder>"
TINY = {"arch": "s2d", "channels": 16, "blocks": 0, "coarse_channels": 16, "coarse_blocks": 1}
CARDS: dict[str, tuple[object, bytes | None, str]] = {
    # name: (card JSON, weights bytes (None: no file, FOLDER: a folder), what the error says)
    "truncated_card": ('{"name": "x", "generator": ', b"", "cannot be read"),
    "list_card": ([1, 2], b"", "must hold a JSON object"),
    "no_generator": ({"name": "n"}, b"", "has no 'generator' architecture object"),
    "generator_number": ({"generator": 5}, b"", "has no 'generator' architecture object"),
    "unknown_key": ({"generator": dict(TINY, bogus=1)}, b"", "Unknown generator config keys"),
    "bad_channels": ({"generator": dict(TINY, channels="many")}, b"",
                     "channels must be a non-negative integer"),
    "unknown_arch": ({"generator": dict(TINY, arch="nope")}, b"",
                     "Unknown generator architecture"),
    "no_weights": ({"generator": TINY}, None, "has no weights file"),
    "weights_folder": ({"generator": TINY}, FOLDER, "is a folder, not a .weights.h5 file"),
    "empty_weights": ({"generator": TINY}, b"", "is not a readable HDF5"),
    "garbage_weights": ({"generator": TINY}, b"junk" * 256, "is not a readable HDF5"),
    "truncated_hdf5": ({"generator": TINY}, b"\x89HDF\r\n\x1a\n" + bytes(64),
                       "is not a readable HDF5"),
}


def test_malformed_cards_and_weights_are_one_line_naming_the_file(clip: Path, tmp_path: Path):
    runner = CliRunner()
    for name, (card, weights, message) in CARDS.items():
        card_path = tmp_path / f"{name}.json"
        card_path.write_text(card if isinstance(card, str) else json.dumps(card))
        if weights is FOLDER:
            (tmp_path / f"{name}.weights.h5").mkdir()
        elif weights is not None:
            (tmp_path / f"{name}.weights.h5").write_bytes(weights)
        out = tmp_path / f"{name}.mp4"
        result = runner.invoke(cli, ["render", str(clip), "-o", str(out), "--style",
                                     str(card_path), "-q"])
        assert result.exit_code == 2, (name, result.output)
        line = _one_error_line(result.stderr)
        assert message in line, (name, line)
        assert name in line, (name, line)  # the card or weights file is named
        assert not out.exists()


# --- fuzz: keyframe files, time syntax, damaged media ------------------------------------------

FUZZ = settings(max_examples=50, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


class _Hang(Exception):
    pass


def _render(args: list[str], seconds: int = 30):
    """`stylecut render …` in-process; a hang (no answer in ``seconds``) fails the test."""
    def hang(signum: int, frame: object) -> None:
        raise _Hang(f"no answer in {seconds} s: {args}")

    old = signal.signal(signal.SIGALRM, hang) if hasattr(signal, "SIGALRM") else None
    if old is not None:
        signal.alarm(seconds)
    try:
        return CliRunner().invoke(cli, ["render", *args, "--style", "t", "-q", "--overwrite"])
    finally:
        if old is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


def _check_outcome(result, out: Path) -> None:  # noqa: ANN001 - click's Result
    assert not isinstance(result.exception, _Hang), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    event(f"exit {result.exit_code}")  # --hypothesis-show-statistics: both kinds occur
    if result.exit_code == 2:
        _one_error_line(result.stderr)
    else:
        assert out.exists()
    assert not [p for p in out.parent.iterdir() if ".partial" in p.name or "-lock" in p.name]
    out.unlink(missing_ok=True)


@pytest.fixture()
def fake_style(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())


_NUMBER = st.one_of(st.integers(-5, 40), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["1", "0.5", "", "x", None, True, [], {}]))
_INTERP = st.sampled_from(["hold", "linear", "ease", "bezier"])
_GOOD_KEY = st.fixed_dictionaries(
    {"time": st.floats(0, 1), "value": st.floats(0, 1)},
    optional={"interp": _INTERP, "handles": st.lists(st.floats(-2, 2), min_size=4, max_size=4)},
)
_BAD_KEY = st.fixed_dictionaries(
    {"time": _NUMBER, "value": _NUMBER},
    optional={"interp": st.one_of(_INTERP, st.sampled_from(["cubic", 3, None])),
              "handles": st.one_of(st.lists(_NUMBER, max_size=5), _NUMBER)},
)
_KEYFRAMES = st.one_of(
    # mostly well-formed files (some render), keys with bad fields, other shapes of JSON
    st.fixed_dictionaries({"format": st.just("stylecut.keyframes"), "version": st.just(1),
                           "keys": st.lists(_GOOD_KEY, min_size=1, max_size=4)}),
    st.fixed_dictionaries({"format": st.sampled_from(["stylecut.keyframes", "other", 1]),
                           "version": st.sampled_from([1, 2, "1", None]),
                           "keys": st.one_of(st.lists(_BAD_KEY, max_size=4), _NUMBER)}),
    st.lists(_GOOD_KEY, max_size=3),
    st.recursive(_NUMBER, lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6),
)


@FUZZ
@given(data=_KEYFRAMES, cut=st.integers(0, 400), raw=st.binary(max_size=40))
def test_fuzz_keyframe_files(clip: Path, tmp_path: Path, fake_style: None, data: object,
                             cut: int, raw: bytes):
    text = json.dumps(data)
    keyframes = tmp_path / "curve.json"
    # whole, cut short, or bytes that are no JSON (nor UTF-8) at all
    keyframes.write_bytes(text.encode() if cut % 2 == 0 else text.encode()[:cut // 2] + raw)
    out = tmp_path / "o.mp4"
    result = _render([str(clip), "-o", str(out), "--keyframes", str(keyframes)])
    _check_outcome(result, out)


_TIME = st.one_of(
    st.integers(0, 13).map(str),  # frame numbers (the clip has 12 frames)
    st.floats(0, 0.6).map(lambda x: f"{x:.3f}s"),
    st.text(alphabet="0123456789:;.,-+sfmh x", max_size=14),
    st.from_regex(r"\A-?\d{1,3}(\.\d{0,3})?(s|f|ms)?\Z"),
    st.from_regex(r"\A\d{1,2}:\d{1,2}:\d{1,2}[:;]\d{1,3}\Z"),
    st.text(max_size=8),
)


@FUZZ
@given(in_point=st.none() | _TIME, out_point=st.none() | _TIME)
def test_fuzz_in_and_out_points(clip: Path, tmp_path: Path, fake_style: None,
                                in_point: str | None, out_point: str | None):
    if "\x00" in (in_point or "") + (out_point or ""):
        return  # no argv can hold a NUL
    args = [str(clip), "-o", str(tmp_path / "o.mp4")]
    args += ["--in", in_point] if in_point is not None else []
    args += ["--out", out_point] if out_point is not None else []
    result = _render(args)
    _check_outcome(result, tmp_path / "o.mp4")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzzmedia")
    return {
        ".mp4": make_clip(folder / "a.mp4", frames=12, gop=4).read_bytes(),
        ".mkv": make_clip(folder / "a.mkv", frames=12, gop=4, codec="mpeg4").read_bytes(),
        ".avi": make_clip(folder / "a.avi", frames=12, gop=4, codec="mjpeg",
                          pix_fmt="yuvj420p").read_bytes(),
        ".ts": make_clip(folder / "a.ts", frames=12, gop=4, codec="mpeg2video",
                         audio_codec="mp2").read_bytes(),
        ".mov": make_clip(folder / "a.mov", frames=12, codec="prores_ks", pix_fmt="yuv422p10le",
                          audio_codec="pcm_s16le").read_bytes(),
    }


@FUZZ
@given(ext=st.sampled_from([".mp4", ".mkv", ".avi", ".ts", ".mov"]), cut=st.floats(0.3, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
       out_ext=st.sampled_from([".mp4", ".mkv", ".avi"]))  # audio copied, and transcoded
def test_fuzz_truncated_and_damaged_media(media: dict[str, bytes], tmp_path: Path,
                                          fake_style: None, ext: str, cut: float,
                                          flips: list[tuple[float, int]], out_ext: str):
    data = bytearray(media[ext][: int(len(media[ext]) * cut)])
    for at, value in flips:
        if data:
            data[min(len(data) - 1, int(at * len(data)))] = value
    source = tmp_path / f"damaged{ext}"
    source.write_bytes(bytes(data))
    out = tmp_path / f"o{out_ext}"
    _check_outcome(_render([str(source), "-o", str(out)]), out)
