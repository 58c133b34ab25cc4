"""The preview's Qt-free engine: proxies, the frame server, curve editing, the CLI entry."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from stylecut.core import Curve, Interp, Key, RenderCancelled, VideoReader
from stylecut.core.testing import InvertStylizer, make_clip, read_frame_number
from stylecut.plugin.cli import cli
from stylecut.plugin.preview.curve_edit import CurveEdit
from stylecut.plugin.preview.frames import FrameCache, FrameServer, ServedFrame
from stylecut.plugin.preview.proxy import ProxyMap, build_proxy, find_proxy, fit_size, proxy_path


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """96 frames, 320x240, one keyframe every 48 frames (B-frames on), AAC tone."""
    return make_clip(tmp_path_factory.mktemp("preview") / "numbered.mp4", frames=96, width=320, height=240,
                     gop=48)


# --------------------------------------------------------------------------- proxy


def test_fit_size_keeps_aspect_even_and_never_upscales():
    assert fit_size(1920, 1080) == (640, 360)
    assert fit_size(640, 480) == (480, 360)
    assert fit_size(1080, 1920) == (202, 360)
    assert fit_size(320, 240) == (320, 240)
    assert fit_size(63, 47) == (64, 48)  # odd sources get the even size that holds them
    with pytest.raises(ValueError, match="Received"):
        fit_size(0, 10)


def test_proxy_frames_match_original_frames(numbered: Path, tmp_path: Path):
    seen: list[tuple[int, int]] = []
    proxy = build_proxy(numbered, (160, 120), folder=tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert proxy.suffix == ".mkv" and proxy.parent == tmp_path
    assert seen[-1] == (96, 96)
    assert ProxyMap.of(proxy).to_proxy == {k: k for k in range(96)}
    with VideoReader(proxy, thread_type="SLICE") as reader:
        assert (reader.width, reader.height) == (160, 120)
        assert len(reader) == 96
        for k in (0, 1, 47, 48, 49, 95, 3):
            assert read_frame_number(reader.read(k)) == k
    # the picture survives the proxy (area scaling, 4:2:0 JPEG): luma and mean colour match
    import cv2

    with VideoReader(numbered) as reader:
        original = cv2.resize(reader.read(10), (160, 120), interpolation=cv2.INTER_AREA).astype(float)
    with VideoReader(proxy) as reader:
        shown = reader.read(10).astype(float)
    luma = np.array([0.299, 0.587, 0.114])
    assert np.abs(shown @ luma - original @ luma).mean() < 5
    assert np.abs(shown.mean(axis=(0, 1)) - original.mean(axis=(0, 1))).max() < 3
    # reused: same path, not rewritten
    mtime = proxy.stat().st_mtime_ns
    again: list[tuple[int, int]] = []
    reused = build_proxy(numbered, (160, 120), folder=tmp_path, progress=lambda d, t: again.append((d, t)))
    assert reused == proxy
    assert proxy.stat().st_mtime_ns == mtime and again == [(1, 1)]
    assert find_proxy(numbered, (160, 120), tmp_path) == proxy
    assert find_proxy(numbered, (80, 60), tmp_path) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [proxy.name]  # no temp files left


def test_proxy_key_follows_the_file(tmp_path: Path):
    clip = make_clip(tmp_path / "c.mp4", frames=4, audio=False)
    first = proxy_path(clip, (64, 48), tmp_path)
    os.utime(clip, ns=(clip.stat().st_atime_ns, clip.stat().st_mtime_ns + 10**9))
    assert proxy_path(clip, (64, 48), tmp_path) != first
    assert proxy_path(clip, (32, 24), tmp_path) != proxy_path(clip, (64, 48), tmp_path)


def test_cancelled_proxy_build_leaves_nothing(numbered: Path, tmp_path: Path):
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        cancel.set()

    with pytest.raises(RenderCancelled):
        build_proxy(numbered, (160, 120), folder=tmp_path / "cache", progress=progress, cancel=cancel)
    assert list((tmp_path / "cache").iterdir()) == []


# --------------------------------------------------------------------------- frame server


class Collector:
    def __init__(self) -> None:
        self.frames: list[ServedFrame] = []
        self.errors: list[tuple[int, BaseException]] = []
        self.event = threading.Event()

    def deliver(self, served: ServedFrame) -> None:
        self.frames.append(served)
        if served.exact:
            self.event.set()

    def error(self, frame: int, exc: BaseException) -> None:
        self.errors.append((frame, exc))
        self.event.set()

    def get(self, server: FrameServer, frame: int, **kw: object) -> ServedFrame:
        self.event.clear()
        self.frames.clear()
        serial = server.request(frame, **kw)  # type: ignore[arg-type]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.event.wait(deadline - time.monotonic()), "no frame delivered"
            self.event.clear()
            assert not self.errors, self.errors
            last = self.frames[-1]
            if last.exact and last.serial == serial:
                return last
        raise AssertionError("no exact frame delivered")


@pytest.fixture()
def server(numbered: Path):
    got = Collector()
    fs = FrameServer(numbered, preview_size=(160, 120), deliver=got.deliver, on_error=got.error)
    fs.set_style("invert", InvertStylizer())
    yield fs, got
    fs.close()


def test_frame_server_serves_exact_frames_from_the_original_then_the_proxy(server, numbered: Path,
                                                                           tmp_path: Path):
    fs, got = server
    for n in (5, 80, 95, 0, 50, 47):
        served = got.get(fs, n)
        assert served.frame == n and served.source == "original"
        assert served.original.shape == (120, 160, 3)
        assert read_frame_number(served.original) == n
        assert read_frame_number(255 - served.styled) == n  # inverted at strength 1
    # a seek far from the keyframe before it shows that keyframe first, at low resolution
    got.frames.clear()
    fs.request(60)
    deadline = time.monotonic() + 10
    while not any(f.exact and f.frame == 60 for f in got.frames) and time.monotonic() < deadline:
        time.sleep(0.01)
    kinds = [(f.source, f.exact, f.frame) for f in got.frames]
    assert ("keyframe", False, 48) in kinds, kinds
    keyframe = next(f for f in got.frames if f.source == "keyframe")
    assert keyframe.original.shape == (30, 40, 3)
    # cached: answered synchronously in the calling thread
    got.frames.clear()
    fs.request(80)
    assert [(f.source, f.frame, f.exact) for f in got.frames] == [("cache", 80, True)]
    fs.set_proxy(build_proxy(numbered, (160, 120), folder=tmp_path))
    for n in (7, 66, 93):
        served = got.get(fs, n)
        assert served.source == "proxy" and read_frame_number(served.original) == n


def test_frame_server_latest_request_wins(server):
    fs, got = server
    got.get(fs, 0)
    got.frames.clear()
    got.event.clear()
    for n in range(2, 90, 3):
        last = fs.request(n)
    deadline = time.monotonic() + 10
    while not any(f.serial == last and f.exact for f in got.frames) and time.monotonic() < deadline:
        time.sleep(0.01)
    final = got.frames[-1]
    assert final.serial == last and final.frame == 89 and final.exact
    assert fs.stats["dropped"] > 10  # requests replaced while waiting were never decoded
    exact = [f for f in got.frames if f.exact]
    assert len(exact) < 10


def test_frame_server_strength_curve_and_scale(server):
    fs, got = server
    fps = 24
    fs.set_curve(Curve((Key(0.0, 0.0, Interp.HOLD), Key(40 / fps, 1.0))))
    first = got.get(fs, 10)
    assert first.strength == 0.0 and first.style is None
    assert np.array_equal(first.original, first.styled)  # strength 0: the stylizer is not run
    later = got.get(fs, 60)
    assert later.strength == 1.0 and later.style == "invert"
    fs.set_scale(2)
    half = got.get(fs, 60)
    assert half.original.shape == (60, 80, 3) and half.scale == 2
    assert read_frame_number(half.original) == 60
    with pytest.raises(ValueError, match="Received"):
        fs.set_scale(3)


def test_frame_server_reports_errors_and_keeps_going(server):
    fs, got = server

    def broken(frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        raise RuntimeError("model exploded")

    from stylecut.core.testing import FunctionStylizer

    fs.set_style("broken", FunctionStylizer(broken))
    fs.request(3)
    assert got.event.wait(10)
    assert got.errors and "model exploded" in str(got.errors[0][1])
    got.errors.clear()
    fs.set_style("invert", InvertStylizer())
    assert got.get(fs, 4).frame == 4


def test_frame_cache_is_lru_by_bytes():
    cache = FrameCache(100)
    cache.put("a", 1, 40)
    cache.put("b", 2, 40)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3, 40)
    assert "b" not in cache and "a" in cache and "c" in cache
    cache.put("huge", 4, 1000)
    assert "huge" not in cache and cache.nbytes == 80


# --------------------------------------------------------------------------- curve editing


def test_curve_edit_add_move_delete_interp_undo_redo():
    frames = np.arange(0, 101) / 25.0  # 4 s at 25 fps
    edit = CurveEdit(Curve.constant(1.0), duration=4.0,
                     snap=lambda t: float(frames[np.abs(frames - t).argmin()]), step=1 / 25)
    i = edit.add(1.013, 0.25)
    assert edit.curve.keys[i] == Key(1.0, 0.25, Interp.LINEAR) and edit.selected == i
    j = edit.add(3.0, 1.7)  # clamped to [0, 1]
    assert edit.curve.keys[j].value == 1.0
    assert edit.add(1.0, 0.5) == i and len(edit.curve.keys) == 3  # same frame: updates the key
    # a drag is one undo step; a key stops one frame before its neighbour
    edit.begin(i)
    edit.move(i, 2.0, 0.6)
    edit.move(i, 9.0, -1.0)
    edit.end()
    assert edit.curve.keys[i].time == pytest.approx(3.0 - 1 / 25) and edit.curve.keys[i].value == 0.0
    edit.set_interp(i, "bezier")
    assert edit.curve.keys[i].interp is Interp.BEZIER
    assert edit.delete(i) and len(edit.curve.keys) == 2
    edit.undo()
    assert edit.curve.keys[i].interp is Interp.BEZIER
    edit.undo()
    edit.undo()  # the whole drag
    assert edit.curve.keys[i] == Key(1.0, 0.5)
    edit.redo()
    assert edit.curve.keys[i].value == 0.0
    # keys stay inside the clip; the last key cannot be deleted
    edit.move(0, -5, 0.3)
    assert edit.curve.keys[0].time == 0.0
    while len(edit.curve.keys) > 1:
        assert edit.delete(0)
    assert not edit.delete(0)


# --------------------------------------------------------------------------- CLI


def test_cli_import_does_not_import_qt():
    code = ("import sys, stylecut.plugin.cli\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_preview_without_qt_prints_the_install_hint(monkeypatch: pytest.MonkeyPatch, numbered: Path):
    from stylecut.plugin import preview_cmd

    monkeypatch.setattr(preview_cmd, "qt_available", lambda: False)
    result = CliRunner().invoke(cli, ["preview", str(numbered)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "stylecut: the preview app needs Qt: pip install 'stylecut[preview]'"]


def test_qt_available_is_false_when_pyside6_is_missing(monkeypatch: pytest.MonkeyPatch):
    from stylecut.plugin import preview_cmd

    monkeypatch.setitem(sys.modules, "PySide6.QtWidgets", None)
    assert preview_cmd.qt_available() is False


def test_installed_pyside6_delivers_many_signals():
    """PySide6 6.12.0 decrements True's refcount per signal delivered to a Python callable and
    aborts the interpreter (bool_dealloc); the preview extra excludes it. This catches it."""
    code = ("from PySide6.QtCore import QObject, Signal\n"
            "class S(QObject):\n    sig = Signal(object)\n"
            "s = S(); got = []\ns.sig.connect(lambda v: got.append(v))\n"
            "for _ in range(3000):\n    s.sig.emit(None)\nprint(len(got))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "3000", out.stderr[-300:]
