"""Preview proxies: an all-intra MJPEG copy of a clip at preview resolution, cached on disk.

Scrubbing a long-GOP original costs a seek plus up to a GOP of decoding per frame (a 1080p
H.264 clip with a 250-frame GOP: ~240 ms median). Like editors' optimized media, the preview
decodes the original once, sequentially, scales each frame to the preview size and writes it
as MJPEG (every frame a keyframe) into Matroska; reading any frame of the proxy is then one
seek and one small JPEG decode (~1 ms at 640×360).

Frame ``k`` of the proxy is frame ``k`` of the original: proxy frame timestamps are
``k * 40`` ms (25 fps nominal, whatever the source rate), so a frame the decoder could not
read leaves a gap and :class:`ProxyMap` maps the rest correctly. Proxies are keyed by a hash of
(absolute path, size, mtime, preview size, format version), written to a temp file and renamed
when complete (a cancelled or failed build leaves nothing), and reused when present. The
original is always used for export.

Qt-free: the preview app runs :func:`build_proxy` in a worker thread.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import platformdirs
from stylecut.core.errors import OutputDirError, RenderCancelled
from stylecut.core.media import DecodedFrame, VideoReader, build_index

__all__ = [
    "DEFAULT_PREVIEW_SIZE",
    "PROXY_VERSION",
    "ProxyMap",
    "build_proxy",
    "cache_dir",
    "find_proxy",
    "fit_size",
    "proxy_path",
]

PROXY_VERSION = 1
DEFAULT_PREVIEW_SIZE = (640, 360)
PROXY_STEP_MS = 40  # proxy frame k has pts k * 40 in a 1/1000 time base
_TIME_BASE = Fraction(1, 1000)
_QUALITY = "3"  # MJPEG qscale (2 best .. 31)


def cache_dir() -> Path:
    """Where proxies live: ``$STYLECUT_CACHE/proxies``, else ``proxies`` in the platform's user
    cache folder (Linux: ``$XDG_CACHE_HOME/stylecut/proxies``, ``~/.cache/stylecut/proxies``;
    macOS: ``~/Library/Caches/stylecut/proxies``; Windows: ``%LOCALAPPDATA%\\stylecut\\Cache\\proxies``)."""
    env = os.environ.get("STYLECUT_CACHE")
    if env:
        return Path(env).expanduser() / "proxies"
    return Path(platformdirs.user_cache_dir("stylecut", appauthor=False)) / "proxies"


def fit_size(width: int, height: int, box: tuple[int, int] = DEFAULT_PREVIEW_SIZE) -> tuple[int, int]:
    """The largest even size with ``width:height``'s aspect that fits in ``box`` (never larger
    than the source)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"Frame size must be positive. Received: size={width}x{height}")
    bw, bh = box
    if bw <= 0 or bh <= 0:
        raise ValueError(f"Preview box must be positive. Received: box={bw}x{bh}")
    scale = min(1.0, bw / width, bh / height)
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return min(w, width + width % 2), min(h, height + height % 2)


def proxy_path(source: str | os.PathLike[str], size: tuple[int, int], folder: Path | None = None) -> Path:
    """The cache path of ``source``'s proxy at ``size``: changes when the file changes."""
    src = Path(source).expanduser().absolute()
    st = src.stat()
    key = f"{src}|{st.st_size}|{st.st_mtime_ns}|{size[0]}x{size[1]}|v{PROXY_VERSION}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in src.stem)[:40]
    return (folder or cache_dir()) / f"{stem}-{size[0]}x{size[1]}-{digest}.mkv"


def find_proxy(source: str | os.PathLike[str], size: tuple[int, int],
               folder: Path | None = None) -> Path | None:
    """The finished proxy for ``source`` at ``size`` when one is cached, else None."""
    path = proxy_path(source, size, folder)
    return path if path.is_file() and path.stat().st_size > 0 else None


@dataclass(frozen=True)
class ProxyMap:
    """Maps original frame numbers to proxy frame numbers (by timestamp)."""

    to_proxy: dict[int, int]

    @classmethod
    def of(cls, proxy: str | os.PathLike[str]) -> ProxyMap:
        index = build_index(proxy)
        step = PROXY_STEP_MS * (Fraction(1, 1000) / index.time_base)
        mapping: dict[int, int] = {}
        for i, pts in enumerate(index.pts):
            k = Fraction(pts - 0) / step
            if k.denominator == 1:
                mapping[int(k)] = i
        return cls(mapping)

    def __len__(self) -> int:
        return len(self.to_proxy)

    def get(self, frame: int) -> int | None:
        return self.to_proxy.get(frame)


_END = object()


def _decoded_ahead(
    reader: VideoReader, size: tuple[int, int], cancel: threading.Event | None
) -> Iterator[DecodedFrame]:
    """``reader.frames(size=size)`` decoded in a helper thread, a few frames ahead, so decoding
    and scaling overlap with encoding (PyAV releases the GIL in both)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=6)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for decoded in reader.frames(size=size):
                if not put(decoded):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            put(exc)

    thread = threading.Thread(target=run, name="stylecut-proxy-decode", daemon=True)
    thread.start()
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise RenderCancelled(f"Building the preview proxy of {reader.path.name} was cancelled")
            try:
                item = q.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def build_proxy(
    source: str | os.PathLike[str],
    size: tuple[int, int],
    *,
    folder: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Build (or reuse) the proxy of ``source`` at ``size`` = (width, height) and return its path.

    Decodes the original once in order, scales each frame to ``size`` in the colour conversion
    (area filter, the source's colour matrix/range honoured) and encodes full-range BT.601
    MJPEG. ``progress(done, total)`` is called as frames are written; setting ``cancel`` stops
    the build with ``RenderCancelled`` and removes the partial file.
    """
    target = proxy_path(source, size, folder)
    if target.is_file() and target.stat().st_size > 0:
        if progress is not None:
            progress(1, 1)
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(
            f"Cannot create the proxy cache folder {target.parent}: {exc.strerror or exc}. "
            f"Received: folder={str(target.parent)!r}"
        ) from exc
    temp = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.partial.mkv")
    width, height = size
    try:
        with VideoReader(source) as reader:
            total = len(reader)
            out = av.open(str(temp), mode="w", format="matroska")
            try:
                stream = out.add_stream("mjpeg", rate=25, options={"q:v": _QUALITY})
                stream.width, stream.height, stream.pix_fmt = width, height, "yuvj420p"
                stream.time_base = _TIME_BASE
                cc = stream.codec_context
                cc.time_base = _TIME_BASE
                cc.color_range = 2  # JPEG (full) range
                cc.colorspace = 5  # BT.470BG = BT.601
                stream.thread_type = "AUTO"
                done = 0
                for decoded in _decoded_ahead(reader, size, cancel):
                    rgb = av.VideoFrame.from_ndarray(np.ascontiguousarray(decoded.image), format="rgb24")
                    frame = rgb.reformat(format="yuvj420p", dst_colorspace="ITU601",
                                         dst_color_range="JPEG")
                    frame.pts = decoded.index * PROXY_STEP_MS
                    frame.time_base = _TIME_BASE
                    frame.color_range = 2
                    frame.colorspace = 5
                    for packet in stream.encode(frame):
                        out.mux(packet)
                    done += 1
                    if progress is not None and (done % 8 == 0 or done == total):
                        progress(done, total)
                for packet in stream.encode(None):
                    out.mux(packet)
            finally:
                out.close()
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(total, total)
    return target
