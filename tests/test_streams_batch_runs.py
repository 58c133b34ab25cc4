"""Issue 17 item 14: probe lists every video stream, --batch is kept within memory, a failed
train run leaves no empty run folder."""

from __future__ import annotations

import importlib
import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from stylecut.core import probe
from stylecut.core.testing import InvertStylizer, make_clip
from stylecut.plugin.cli import batch_within_memory, cli
from stylecut.plugin.train_cmd import run_folder_removed_on_failure


def _two_video_streams(path: Path) -> Path:
    with av.open(str(path), mode="w") as out:
        streams = []
        for width, height in ((64, 48), (32, 24)):
            stream = out.add_stream("libx264", rate=24)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            streams.append(stream)
        for i in range(12):
            for stream in streams:
                frame = av.VideoFrame.from_ndarray(
                    np.full((stream.height, stream.width, 3), 20 * i, np.uint8), format="rgb24")
                frame.pts, frame.time_base = i, Fraction(1, 24)
                for packet in stream.encode(frame):
                    out.mux(packet)
        for stream in streams:
            for packet in stream.encode(None):
                out.mux(packet)
    return path


def test_probe_shows_the_second_video_stream(tmp_path: Path):
    path = _two_video_streams(tmp_path / "two.mkv")
    info = probe(path)
    assert info.video.index == 0 and (info.video.width, info.video.height) == (64, 48)
    assert [(x.index, x.codec, x.width, x.height, x.attached_picture) for x in info.extra_video] == [
        (1, "h264", 32, 24, False)]
    text = CliRunner().invoke(cli, ["probe", str(path)])
    assert text.exit_code == 0
    assert "video      #1 h264 32x24" in text.output and "not rendered" in text.output
    data = json.loads(CliRunner().invoke(cli, ["probe", "--json", str(path)]).output)
    assert data["extra_video"][0]["width"] == 32


def test_batch_is_clamped_to_memory_from_the_frame_size():
    batch, note = batch_within_memory(100_000, 640, 360, budget=2 << 30)
    assert 100 <= batch <= 300  # 41 bytes a pixel measured: 9.4 MB a 640x360 frame
    assert note is not None and "--batch 100000 clamped to" in note and "640x360" in note
    assert batch_within_memory(8, 640, 360, budget=2 << 30) == (8, None)
    assert batch_within_memory(100, 3840, 2160, budget=2 << 30)[0] <= 8
    assert batch_within_memory(5, 8000, 8000, budget=1 << 20)[0] == 1


def test_render_with_a_huge_batch_notes_the_clamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cli_module = importlib.import_module("stylecut.plugin.cli")
    monkeypatch.setattr(cli_module, "_load_style", lambda name: InvertStylizer())
    monkeypatch.setattr(cli_module, "_memory_budget", lambda: 64 * 48 * 41 * 5)
    clip = make_clip(tmp_path / "in.mp4", frames=12, audio=False)
    result = CliRunner().invoke(cli, ["render", str(clip), "-o", str(tmp_path / "out.mp4"),
                                      "--style", "x", "--batch", "100000", "-q"])
    assert result.exit_code == 0, result.output
    assert "stylecut: note: --batch 100000 clamped to 5" in result.stderr


def test_run_folder_of_a_failed_run_is_removed_only_when_empty(tmp_path: Path):
    created = tmp_path / "new"
    with pytest.raises(RuntimeError), run_folder_removed_on_failure(created):
        (created / "samples").mkdir(parents=True)
        (created / "train.log.jsonl").touch()
        raise RuntimeError("boom")
    assert not created.exists()

    kept = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt), run_folder_removed_on_failure(kept):
        (kept / "checkpoints").mkdir(parents=True)
        (kept / "checkpoints" / "latest").write_text("step-0000002")
        raise KeyboardInterrupt
    assert (kept / "checkpoints" / "latest").is_file()

    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(RuntimeError), run_folder_removed_on_failure(existing):
        raise RuntimeError("boom")
    assert existing.is_dir()


def test_train_that_fails_after_creating_its_folder_leaves_none(tiny_data, tmp_path: Path):
    root, style = tiny_data
    run = tmp_path / "run"
    result = CliRunner().invoke(cli, [
        "train", "--name", "x", "--style", str(style), "--content", str(root / "content"),
        "--out", str(run), "--generator", "tiny", "--steps", "2", "--batch", "2", "--crop", "64",
        "--held-out", "2", "--precision", "float32", "--w-style", "0",
        "--w-perceptual-content", "0", "--resume", "-q"])
    assert result.exit_code == 2, result.output
    assert "No checkpoint to resume" in result.stderr
    assert not run.exists()
