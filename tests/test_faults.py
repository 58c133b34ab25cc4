"""Faults around a render: SIGTERM/SIGKILL, a full disk, an unwritable folder, two renders into
one path. Each leaves no temp file and ends with one error line and a documented exit code."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from stylecut.core import OutputExistsError, RenderSettings, probe, render
from stylecut.core.output import AtomicOutput, remove_abandoned
from stylecut.core.testing import InvertStylizer, make_clip
from stylecut.plugin.cli import cli

cli_module = importlib.import_module("stylecut.plugin.cli")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and pids")

# `stylecut render …` in a subprocess whose style is slow (0.2 s a frame) and touches READY when
# the first frame reaches it: by then the temp file and the lock exist.
SLOW_RENDER = """
import importlib, sys, time
from pathlib import Path
from stylecut.core.testing import FunctionStylizer
ready = Path(sys.argv.pop(1))
def slow(frames, strength):
    ready.touch()
    time.sleep(0.2)
    return 255 - frames
cli = importlib.import_module("stylecut.plugin.cli")
cli._load_style = lambda name: FunctionStylizer(slow)
cli.main()
"""


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    return make_clip(folder / "clip.mp4", frames=36, width=64, height=48, gop=12)


def _start_slow_render(clip: Path, out: Path, ready: Path, *extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_RENDER, str(ready), "render", str(clip), "-o", str(out),
         "--style", "t", "--temporal", "off", "-q", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the render ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the render did not start within 120 s")
        time.sleep(0.05)
    return proc


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or p.name.endswith("-lock"))


@posix_only
def test_sigterm_removes_the_temp_file_and_exits_143(clip: Path, tmp_path: Path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "styled.mp4"
    proc = _start_slow_render(clip, out, tmp_path / "ready")
    assert [n for n in _leftovers(out_dir) if ".partial" in n]  # the render is under way
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip().splitlines() == ["stylecut: terminated (SIGTERM); no output was written"]
    assert stdout == ""
    assert list(out_dir.iterdir()) == []  # no output, no temp file, no lock


@posix_only
def test_a_killed_render_leaves_files_the_next_render_removes(clip: Path, tmp_path: Path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "styled.mp4"
    proc = _start_slow_render(clip, out, tmp_path / "ready")
    proc.kill()  # SIGKILL: no chance to clean up
    proc.communicate(timeout=60)  # reaped: its pid no longer runs
    left = _leftovers(out_dir)
    assert any(".partial" in n for n in left) and any(n.endswith("-lock") for n in left)
    (out_dir / "unrelated.partial.mp4").write_bytes(b"not stylecut's")  # other tools' names stay
    # The next render into that folder (here: the same output) cleans up and is not blocked.
    render(clip, out, InvertStylizer(), settings=RenderSettings(audio=False))
    assert sorted(p.name for p in out_dir.iterdir()) == ["styled.mp4", "unrelated.partial.mp4"]
    assert probe(out).video.frame_count == 36


@posix_only
def test_a_second_render_into_the_same_output_refuses_while_the_first_runs(
    clip: Path, tmp_path: Path
):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "styled.mp4"
    first = _start_slow_render(clip, out, tmp_path / "ready")
    try:
        live = _leftovers(out_dir)
        with pytest.raises(OutputExistsError, match=r"Another render \(pid \d+\) is writing .*styled\.mp4"):
            render(clip, out, InvertStylizer())
        # A render into another file of the same folder runs and leaves the live render's files alone.
        render(clip, out_dir / "other.mp4", InvertStylizer(), settings=RenderSettings(audio=False))
        assert _leftovers(out_dir) == live
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert not out.exists() and _leftovers(out_dir) == []


@posix_only
def test_the_cli_refuses_a_concurrent_render_with_one_line_exit_2(clip: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    out = tmp_path / "styled.mp4"
    first = _start_slow_render(clip, out, tmp_path / "ready")
    try:
        result = CliRunner().invoke(cli, ["render", str(clip), "-o", str(out), "--style", "t", "-q"])
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylecut: error: Another render (pid ")
    assert f"Received: output={str(out)!r}" in lines[0]


def test_commit_never_replaces_a_file_that_appeared_meanwhile(tmp_path: Path):
    target = tmp_path / "out.mp4"
    with pytest.raises(OutputExistsError, match="appeared while this render ran"):
        with AtomicOutput(target) as atomic:
            atomic.temp.write_bytes(b"second render")
            target.write_bytes(b"first render")  # another render finished first
            atomic.commit()
    assert target.read_bytes() == b"first render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]
    with AtomicOutput(target, overwrite=True) as atomic:  # --overwrite: replaced on purpose
        atomic.temp.write_bytes(b"third render")
        atomic.commit()
    assert target.read_bytes() == b"third render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_two_sequential_renders_without_overwrite_the_second_refuses(clip: Path, tmp_path: Path):
    out = tmp_path / "o.mp4"
    render(clip, out, InvertStylizer(), settings=RenderSettings(audio=False))
    before = out.read_bytes()
    with pytest.raises(OutputExistsError, match="--overwrite"):
        render(clip, out, InvertStylizer(), settings=RenderSettings(audio=False))
    assert out.read_bytes() == before


@posix_only
def test_remove_abandoned_keeps_files_of_running_renders(tmp_path: Path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".a.{dead.pid}-0123abcd.partial.mp4"
    mine = tmp_path / f".b.{os.getpid()}-0123abcd.partial.mp4"
    alive = tmp_path / f".c.{os.getppid()}-0123abcd.partial.mp4"
    stale_lock = tmp_path / ".a.mp4.stylecut-lock"
    stale_lock.write_text(f"{dead.pid}\n")
    for p in (stale, mine, alive):
        p.write_bytes(b"x")
    assert sorted(remove_abandoned(tmp_path)) == sorted([stale, stale_lock])
    assert mine.exists() and alive.exists()


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
def test_unwritable_output_folder_is_one_line_naming_the_path(clip: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    result = CliRunner().invoke(cli, ["render", str(clip), "-o", "/proc/a.mp4", "--style", "t", "-q"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylecut: error: ") and "/proc" in lines[0]
    assert "Received: output='/proc/a.mp4'" in lines[0]


@pytest.mark.parametrize("stage", ["write", "close"])  # mid-render; MP4's index, written at close
def test_an_os_error_while_writing_is_one_line_and_leaves_nothing(stage: str, clip: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    from stylecut.core.writer import VideoWriter

    real_write, real_close = VideoWriter.write, VideoWriter.close
    calls = {"n": 0}

    def full_disk_write(self: VideoWriter, rgb, pts, alpha=None):  # noqa: ANN001 - a stand-in for a full disk
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(28, os.strerror(28), str(self.path))
        real_write(self, rgb, pts, alpha)

    def full_disk_close(self: VideoWriter, *, flush: bool = True) -> None:
        real_close(self, flush=False)
        if flush:
            raise OSError(28, os.strerror(28), str(self.path))

    if stage == "write":
        monkeypatch.setattr(VideoWriter, "write", full_disk_write)
    else:
        monkeypatch.setattr(VideoWriter, "close", full_disk_close)
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.mp4"
    result = CliRunner().invoke(cli, ["render", str(clip), "-o", str(out), "--style", "t", "-q"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"stylecut: error: Cannot write {out}: {os.strerror(28)}")
    assert "internal error" not in lines[0] and f"Received: output={str(out)!r}" in lines[0]
    assert list(out_dir.iterdir()) == []


@pytest.fixture()
def tiny_tmpfs(tmp_path: Path):
    """A 64 KiB tmpfs (needs root and mount rights; skipped otherwise)."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "full"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr!r}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_disk_full_is_one_line_naming_the_output_and_errno(clip: Path, tiny_tmpfs: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    out = tiny_tmpfs / "styled.mkv"
    result = CliRunner().invoke(cli, ["render", str(clip), "-o", str(out), "--style", "t",
                                      "--codec", "ffv1", "-q"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"stylecut: error: Cannot write {out}: No space left on device")
    assert list(tiny_tmpfs.iterdir()) == []
