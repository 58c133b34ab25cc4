"""Generated media for the tests: short clips made with PyAV (frame numbers burnt in, a tone)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from stylecut.core.testing import make_clip

# Qt without a screen, pyqtgraph and pytest-qt on PySide6: set here, before any test module
# imports Qt (a setting of the user's environment wins).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("PYTEST_QT_API", "pyside6")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Training data: 6 blurred-noise content photos and a stripes painting (root, style file)."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    (root / "content").mkdir()
    for i in range(6):
        img = cv2.GaussianBlur(rng.integers(0, 255, (80, 96, 3), dtype=np.uint8), (0, 0), 3)
        cv2.imwrite(str(root / "content" / f"c{i}.png"), img)
    style = root / "style.png"
    stripes = (np.sin(np.arange(96)[None, :, None] / 2.0) * 120 + 128).repeat(96, 0).repeat(3, 2)
    cv2.imwrite(str(style), stripes.astype(np.uint8))
    return root, style


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def h264_long_gop(media_dir: Path) -> Path:
    """120 frames, 24 fps, one keyframe every 50 frames (B-frames on), AAC tone."""
    return make_clip(media_dir / "long_gop.mp4", frames=120, width=64, height=48, gop=50)


@pytest.fixture(scope="session")
def vp9_webm(media_dir: Path) -> Path:
    return make_clip(media_dir / "clip.webm", frames=30, width=64, height=48, codec="libvpx-vp9",
                     gop=12, options={"crf": "20", "b": "0", "deadline": "realtime",
                                      "cpu-used": "8"})


@pytest.fixture(scope="session")
def mpeg4_avi(media_dir: Path) -> Path:
    return make_clip(media_dir / "clip.avi", frames=30, width=64, height=48, codec="mpeg4",
                     gop=10, options={"qscale": "2"})


@pytest.fixture(scope="session")
def vfr_mp4(media_dir: Path) -> Path:
    gaps = [Fraction(1, 24), Fraction(1, 12), Fraction(1, 30), Fraction(1, 8)] * 6
    times = [Fraction(0)]
    for g in gaps[:23]:
        times.append(times[-1] + g)
    return make_clip(media_dir / "vfr.mp4", frames=24, width=64, height=48, frame_times=times,
                     gop=8)


@pytest.fixture(scope="session")
def rotated_mp4(media_dir: Path) -> Path:
    return make_clip(media_dir / "rotated.mp4", frames=12, width=64, height=48, rotation=90)


def _red(n: int, width: int, height: int) -> np.ndarray:
    img = np.zeros((height, width, 3), np.uint8)
    img[..., 0] = 255
    return img


@pytest.fixture(scope="session")
def bt709_red(media_dir: Path) -> Path:
    """1280×720 pure red, tagged BT.709 (matrix, primaries, transfer) limited range."""
    return make_clip(media_dir / "red709.mp4", frames=4, width=1280, height=720,
                     colour=(1, 1, 1, 1), image_fn=_red, stamp=False, audio=False,
                     options={"preset": "ultrafast"})


@pytest.fixture(scope="session")
def prores_10bit(media_dir: Path) -> Path:
    return make_clip(media_dir / "prores.mov", frames=12, width=64, height=48, codec="prores_ks",
                     pix_fmt="yuv422p10le", options={"profile": "2"}, audio_codec="pcm_s16le")


@pytest.fixture(scope="session")
def odd_size(media_dir: Path) -> Path:
    """65×49 frames: odd sizes need 4:4:4 or padding for 4:2:0 codecs."""
    return make_clip(media_dir / "odd.mkv", frames=10, width=65, height=49, codec="ffv1",
                     pix_fmt="yuv444p")


@pytest.fixture()
def small_clip(tmp_path: Path) -> Path:
    """A fresh 36-frame H.264 + AAC clip per test (tests may rename or delete it)."""
    return make_clip(tmp_path / "small.mp4", frames=36, width=64, height=48, gop=12)


@pytest.fixture(scope="session")
def hevc_mp4(media_dir: Path) -> Path:
    return make_clip(media_dir / "hevc.mp4", frames=30, width=64, height=48, codec="libx265",
                     gop=15, options={"preset": "ultrafast", "x265-params": "log-level=error"})


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    folder = SHARED_DATA / "videos"
    if not folder.is_dir():
        pytest.skip("real clips in ../shared/data/videos are not available")
    return folder
