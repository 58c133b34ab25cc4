"""Serving preview frames off the UI thread: decode, stylize, cache (Qt-free).

:class:`FrameServer` owns one worker thread and a single request slot: every
:meth:`FrameServer.request` replaces what is waiting there ("latest request wins"), and work
for a request that has been superseded is dropped as soon as it is noticed (between decoded
frames, before stylizing, before delivery). Results reach the caller through the ``deliver``
callback (called from the worker thread; the Qt app turns it into a queued signal), each tagged
with the request's serial so the receiver can drop stale ones too.

Where frames come from:

- the **LRU cache**, keyed by (frame, style, strength in 1/1000, scale divisor): answered in the
  calling thread, synchronously — a dictionary lookup, no decoding;
- the **proxy** (see :mod:`.proxy`) once it is ready: one seek + one JPEG decode per frame;
- the **original** before that: seek to the keyframe before the target and decode forward.
  When the target is far from that keyframe, the keyframe itself is delivered first,
  stylized at a quarter of the preview size (``exact=False``); the exact frame follows. A newer
  request a little ahead of the decoder's position continues the same decode instead of
  seeking again (a forward drag).

While a request waits for the worker, the nearest cached frame (same style and scale, within a
second) is delivered at once as a placeholder (``exact=False``).

Strength comes from the curve at the frame's clip-local time; frames with strength 0 are not
stylized. Temporal mode ``"stable"`` runs :class:`~stylecut.core.temporal.Stabiliser` only on
frames requested sequentially during playback (each output then depends on the frames before it,
so these are not cached); random seeks and stepping always show per-frame output, which is what
the first frame of a render from that point looks like before stabilisation warms up.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from stylecut.core.colour import ColourTags, FrameConverter
from stylecut.core.errors import SeekError
from stylecut.core.keyframes import Curve
from stylecut.core.media import DecodeCursor, FrameIndex, VideoReader, build_index
from stylecut.core.stylizer import Stylizer, check_stylized
from stylecut.core.temporal import Stabiliser
from stylecut.core.temporal_mode import DEFAULT_TEMPORAL, TemporalMode

from .proxy import ProxyMap

__all__ = ["FrameCache", "FrameServer", "ServedFrame", "scaled_size"]

_PROVISIONAL_MIN_DISTANCE = 8  # frames between keyframe and target before a provisional is worth it
_NEAREST_SECONDS = 1.0
_DEFAULT_CACHE_BYTES = 384 << 20


def scaled_size(size: tuple[int, int], divisor: int) -> tuple[int, int]:
    """``size`` = (width, height) divided by ``divisor`` (1, 2 or 4), at least 2×2."""
    return max(2, round(size[0] / divisor)), max(2, round(size[1] / divisor))


@dataclass(frozen=True)
class ServedFrame:
    """A frame for display: the original and styled images at the preview scale.

    ``frame`` is the frame shown, ``target`` the one requested; ``exact`` is False for a
    placeholder (a nearby cached frame or a low-resolution keyframe) that a refined result will
    replace. ``requested_at``/``served_at`` are ``time.perf_counter()`` stamps.
    """

    frame: int
    target: int
    serial: int
    original: np.ndarray
    styled: np.ndarray
    strength: float
    scale: int
    exact: bool
    source: str  # "cache", "decoded" (decoded frame cached, restyled), "proxy", "original",
    # "nearest", "keyframe"
    style: str | None
    requested_at: float
    served_at: float
    playback: bool = False

    @property
    def latency(self) -> float:
        return self.served_at - self.requested_at


class FrameCache:
    """A thread-safe LRU cache bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if nbytes > self.max_bytes:
                return
            self._items[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > self.max_bytes and self._items:
                _, (_, size) = self._items.popitem(last=False)
                self._bytes -= size

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items


@dataclass(frozen=True)
class _Request:
    frame: int
    serial: int
    playback: bool
    requested_at: float


@dataclass
class _Settings:
    style: str | None = None
    stylizer: Stylizer | None = None
    curve: Curve = Curve.constant(1.0)
    scale: int = 1
    temporal: TemporalMode = DEFAULT_TEMPORAL


class _OriginalDecoder:
    """Frame-accurate preview decoding of the original through a :class:`DecodeCursor`, with a
    low-resolution provisional on long decodes and retargeting mid-way."""

    def __init__(self, path: Path, index: FrameIndex) -> None:
        # SLICE threads: the lowest latency for seeks (no frame-thread delay)
        self.cursor = DecodeCursor(path, index, thread_type="SLICE")
        self._converter = FrameConverter(ColourTags.from_codec_context(self.cursor.stream.codec_context))

    def close(self) -> None:
        self.cursor.close()

    def can_continue(self, target: int) -> bool:
        """True when decoding on reaches ``target`` no later than a seek would."""
        return self.cursor.can_continue(target)

    def to_rgb(self, frame: av.VideoFrame, size: tuple[int, int]) -> np.ndarray:
        return self._converter.to_rgb(frame, size)

    def decode(
        self,
        n: int,
        on_first: Callable[[int, av.VideoFrame], None],
        retarget: Callable[[int], int | None],
    ) -> tuple[int, av.VideoFrame] | None:
        """Decode frame ``n``; returns (index, frame) or None when ``retarget`` aborted.

        ``on_first(i, frame)`` gets the first frame decoded when it is well before the target.
        ``retarget(i)`` is asked after each decoded frame ``i`` before the target: it returns the
        (possibly new) target, or None to stop.
        """
        while True:
            first = True
            for i, frame in self.cursor.walk(n):
                if i == n:
                    return i, frame
                if first and n - i >= _PROVISIONAL_MIN_DISTANCE:
                    on_first(i, frame)
                first = False
                target = retarget(i)
                if target is None:
                    return None
                if target != n:
                    n = target
                    break  # walk on towards the new target (or seek, when that is faster)
            else:
                raise AssertionError("DecodeCursor.walk ends with its target or raises")


class FrameServer:
    """Decode + stylize preview frames in a worker thread with an LRU cache (see the module doc).

    ``deliver(served)`` is called for each result, from the worker thread, or from the calling
    thread for cache hits and placeholders. ``on_error(frame, exc)`` reports failures.
    """

    def __init__(
        self,
        source: str | Path,
        *,
        preview_size: tuple[int, int],
        deliver: Callable[[ServedFrame], None],
        on_error: Callable[[int, BaseException], None] | None = None,
        index: FrameIndex | None = None,
        cache_bytes: int = _DEFAULT_CACHE_BYTES,
        rotation: int = 0,
    ) -> None:
        self.source = Path(source)
        self.index = index if index is not None else build_index(self.source)
        self.preview_size = preview_size
        self.rotation = int(rotation) % 360
        self._deliver = deliver
        self._on_error = on_error
        self.cache = FrameCache(cache_bytes)
        self.decoded = FrameCache(max(cache_bytes // 4, 1 << 20))  # originals, keyed (frame, scale)
        self._settings = _Settings()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._slot: _Request | None = None
        self._serial = 0
        self._closed = False
        self._proxy_path: Path | None = None
        self._nearest_frames = max(1, int(round(_NEAREST_SECONDS * len(self.index) / max(
            float(self.index.duration), 1e-6))))
        self._stats = {"cache": 0, "proxy": 0, "original": 0, "stylized": 0, "dropped": 0}
        self._thread = threading.Thread(target=self._run, name="stylecut-preview-frames", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ settings (any thread)
    @property
    def stats(self) -> dict[str, int]:
        """Frames served from the cache, the proxy and the original, frames stylised, and
        requests dropped because a newer one replaced them (a snapshot)."""
        with self._lock:
            return dict(self._stats)

    def _count(self, what: str) -> None:
        with self._lock:
            self._stats[what] += 1

    def set_style(self, name: str | None, stylizer: Stylizer | None) -> None:
        with self._lock:
            self._settings.style = name if stylizer is not None else None
            self._settings.stylizer = stylizer

    def set_curve(self, curve: Curve) -> None:
        with self._lock:
            self._settings.curve = curve

    def set_scale(self, divisor: int) -> None:
        if divisor not in (1, 2, 4):
            raise ValueError(f"Preview scale divisor must be 1, 2 or 4. Received: divisor={divisor!r}")
        with self._lock:
            self._settings.scale = divisor

    def set_temporal(self, mode: TemporalMode | str) -> None:
        mode = TemporalMode.parse(mode, "mode")
        with self._lock:
            self._settings.temporal = mode

    def set_proxy(self, path: str | Path | None) -> None:
        """Serve from ``path`` (a finished proxy) from the next request on."""
        with self._lock:
            self._proxy_path = Path(path) if path is not None else None

    @property
    def latest_serial(self) -> int:
        return self._serial

    def strength_at(self, frame: int, curve: Curve | None = None) -> float:
        curve = curve or self._settings.curve
        return float(curve.evaluate(float(self.index.time_of(frame))))

    # ------------------------------------------------------------------ for the worker thread
    def _snapshot(self) -> tuple[_Settings, Path | None]:
        """A copy of the settings and the proxy path, taken together."""
        with self._lock:
            return _Settings(**vars(self._settings)), self._proxy_path

    def _take_over(self, can_continue: Callable[[int], bool]) -> _Request | None:
        """The waiting request, removed from the slot, when ``can_continue(its frame)``."""
        with self._lock:
            newer = self._slot
            if newer is None or not can_continue(newer.frame):
                return None
            self._slot = None
            return newer

    def _key(self, frame: int, settings: _Settings, strength: float) -> tuple[Any, ...]:
        style = settings.style if settings.stylizer is not None and strength > 0 else ""
        return (frame, style or "", int(round(strength * 1000)), settings.scale)

    # ------------------------------------------------------------------ requests (UI thread)
    def request(self, frame: int, *, playback: bool = False) -> int:
        """Ask for ``frame``; returns the request's serial. Cache hits (and a nearby cached
        placeholder) are delivered before this returns."""
        if not 0 <= frame < len(self.index):
            raise SeekError(f"Frame {frame} is outside the clip (0..{len(self.index) - 1}). "
                            f"Received: frame={frame}")
        now = time.perf_counter()
        with self._lock:
            self._serial += 1
            serial = self._serial
            settings = _Settings(**vars(self._settings))
            stable = settings.temporal is TemporalMode.STABLE and playback and settings.stylizer is not None
        strength = self.strength_at(frame, settings.curve)
        key = self._key(frame, settings, strength)
        hit = None if stable else self.cache.get(key)
        if hit is not None:
            with self._lock:
                if self._slot is not None:
                    self._stats["dropped"] += 1
                self._slot = None  # whatever was waiting is stale now
                self._stats["cache"] += 1
            original, styled = hit
            self._deliver(ServedFrame(frame, frame, serial, original, styled, strength, settings.scale,
                                      True, "cache", key[1] or None, now, time.perf_counter(), playback))
            return serial
        with self._lock:
            if self._slot is not None:
                self._stats["dropped"] += 1
            self._slot = _Request(frame, serial, playback, now)
            self._wake.notify()
        if not playback:
            near = self._nearest(frame, key)
            if near is not None:
                (n, *_), (original, styled) = near
                self._deliver(ServedFrame(n, frame, serial, original, styled, strength, settings.scale,
                                          False, "nearest", key[1] or None, now, time.perf_counter()))
        return serial

    def _nearest(self, frame: int, key: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any] | None:
        best = None
        for k in self.cache.keys():
            if k[1] == key[1] and k[3] == key[3]:  # type: ignore[index]
                d = abs(k[0] - frame)  # type: ignore[index]
                if d <= self._nearest_frames and (best is None or d < best[0]):
                    best = (d, k)
        if best is None:
            return None
        value = self.cache.get(best[1])
        return None if value is None else (best[1], value)  # type: ignore[return-value]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._slot = None
            self._wake.notify()
        self._thread.join(timeout=10)

    # ------------------------------------------------------------------ worker
    def _take(self) -> _Request | None:
        with self._lock:
            while self._slot is None and not self._closed:
                self._wake.wait()
            if self._closed:
                return None
            req, self._slot = self._slot, None
            return req

    def _superseded(self, req: _Request) -> bool:
        return self._serial != req.serial or self._closed

    def _run(self) -> None:
        worker = _Worker(self)
        try:
            while True:
                req = self._take()
                if req is None:
                    return
                try:
                    worker.serve(req)
                except Exception as exc:  # noqa: BLE001 - reported to the app, the worker goes on
                    if self._on_error is not None and not self._closed:
                        self._on_error(req.frame, exc)
        finally:
            worker.close()


class _Worker:
    """State owned by the worker thread: readers, the stabiliser, the playback position."""

    def __init__(self, server: FrameServer) -> None:
        self.s = server
        self.original: _OriginalDecoder | None = None
        self.proxy: VideoReader | None = None
        self.proxy_map: ProxyMap | None = None
        self.proxy_path: Path | None = None
        self.stabiliser: Stabiliser | None = None
        self.last_stable: tuple[int, int, str | None] | None = None  # (frame, scale, style)

    def close(self) -> None:
        if self.original is not None:
            self.original.close()
        if self.proxy is not None:
            self.proxy.close()

    # --- sources ---------------------------------------------------------------------------
    def _open_proxy(self) -> None:
        path = self.s._snapshot()[1]
        if path == self.proxy_path:
            return
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
        self.proxy_path = path
        if path is not None:
            self.proxy = VideoReader(path, thread_type="SLICE")
            self.proxy_map = ProxyMap.of(path)

    def _from_proxy(self, frame: int, size: tuple[int, int]) -> np.ndarray | None:
        self._open_proxy()
        if self.proxy is None or self.proxy_map is None:
            return None
        k = self.proxy_map.get(frame)
        if k is None:
            return None
        image = self.proxy.read(k)
        if (image.shape[1], image.shape[0]) != size:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return image

    def _orientate(self, image: np.ndarray) -> np.ndarray:
        rot = self.s.rotation
        return np.ascontiguousarray(np.rot90(image, rot // 90)) if rot % 90 == 0 and rot else image

    def _stylize(self, stylizer: Stylizer | None, image: np.ndarray, strength: float) -> np.ndarray:
        if stylizer is None or strength <= 0:
            return image
        frames = image[None]
        out = check_stylized(stylizer.stylize(frames, np.array([strength], np.float32)), frames,
                             f"Stylizer {stylizer.name!r}")
        self.s._count("stylized")
        return out[0]

    # --- serving ---------------------------------------------------------------------------
    def serve(self, req: _Request) -> None:
        s = self.s
        settings = s._snapshot()[0]
        size = scaled_size(s.preview_size, settings.scale)
        frame = req.frame
        strength = s.strength_at(frame, settings.curve)
        key = s._key(frame, settings, strength)
        stable = settings.temporal is TemporalMode.STABLE and req.playback and settings.stylizer is not None
        if not stable:
            hit = s.cache.get(key)
            if hit is not None:
                self._emit(req, frame, hit[0], hit[1], strength, settings, True, "cache")
                return
        dkey = (frame, settings.scale)
        original = s.decoded.get(dkey)
        source = "decoded"
        first_serial = req.serial
        if original is None:
            image = self._from_proxy(frame, size)
            source = "proxy"
            if image is None:
                got = self._from_original(req, size, settings)
                if got is None:
                    return  # superseded
                req, image = got
                if req.serial != first_serial:  # took over a newer request: use its settings
                    settings = s._snapshot()[0]
                    stable = (settings.temporal is TemporalMode.STABLE and req.playback
                              and settings.stylizer is not None)
                    new_size = scaled_size(s.preview_size, settings.scale)
                    if new_size != size:
                        image = cv2.resize(image, new_size, interpolation=cv2.INTER_AREA)
                frame = req.frame
                strength = s.strength_at(frame, settings.curve)
                key = s._key(frame, settings, strength)
                dkey = (frame, settings.scale)
                source = "original"
            original = self._orientate(image)
            s.decoded.put(dkey, original, original.nbytes)
            s._count(source)
        if s._superseded(req) and not req.playback:
            return
        styled = self._stylize(settings.stylizer, original, strength)
        if stable:
            styled = self._stabilise(frame, settings, original, styled, strength)
        else:
            s.cache.put(key, (original, styled), original.nbytes + (styled.nbytes if styled is not original
                                                                   else 0))
        self._emit(req, frame, original, styled, strength, settings, True, source)

    def _stabilise(self, frame: int, settings: _Settings, original: np.ndarray, styled: np.ndarray,
                   strength: float) -> np.ndarray:
        if self.stabiliser is None:
            self.stabiliser = Stabiliser()
        last = self.last_stable
        if last is None or not (0 < frame - last[0] <= 3) or last[1:] != (settings.scale, settings.style):
            self.stabiliser.reset()
        self.last_stable = (frame, settings.scale, settings.style)
        return self.stabiliser.process(original, styled, strength)

    def _from_original(self, req: _Request, size: tuple[int, int],
                       settings: _Settings) -> tuple[_Request, np.ndarray] | None:
        s = self.s
        if self.original is None:
            self.original = _OriginalDecoder(s.source, s.index)
        original = self.original
        current = [req]

        def on_first(i: int, frame: av.VideoFrame) -> None:
            if s._superseded(current[0]):
                return
            small = scaled_size(s.preview_size, max(4, settings.scale))
            image = self._orientate(original.to_rgb(frame, small))
            strength = s.strength_at(i, settings.curve)
            styled = self._stylize(settings.stylizer, image, strength)
            self._emit(current[0], i, image, styled, strength, settings, False, "keyframe")

        def retarget(i: int) -> int | None:
            if not s._superseded(current[0]):
                return current[0].frame
            newer = s._take_over(original.can_continue)  # continue decoding towards it
            if newer is None:
                return None
            current[0] = newer
            return newer.frame

        got = original.decode(req.frame, on_first, retarget)
        if got is None:
            return None
        _, frame = got
        return current[0], original.to_rgb(frame, size)

    def _emit(self, req: _Request, frame: int, original: np.ndarray, styled: np.ndarray, strength: float,
              settings: _Settings, exact: bool, source: str) -> None:
        s = self.s
        if s._superseded(req) and not (req.playback and exact):
            return  # stale; during playback a finished frame is still shown (frames are dropped
            # by skipping the requests that queued up meanwhile, not the work already done)
        style = settings.style if settings.stylizer is not None and strength > 0 else None
        s._deliver(ServedFrame(frame, req.frame, req.serial, original, styled, strength, settings.scale,
                               exact, source, style, req.requested_at, time.perf_counter(), req.playback))
