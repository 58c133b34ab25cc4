"""Benchmark: scrubbing in the preview app (the real window, offscreen Qt) on a 1080p H.264 clip
with a 250-frame GOP, preview at 640×360, with the bars of the preview issue.

What it measures, all in one run (baselines next to the figures they explain):

* **Seek baselines** — an exact-frame seek in the original (``VideoReader.read``, random
  targets) vs in the preview proxy, decode only, no stylizing.
* **Proxy build** — ``build_proxy`` on its own: × real time (bar ≥ 4×).
* **Generator** — the stylizer alone at 640×360, batch 1: its real-time rate (fps).
* **A. Before the proxy is ready** — random seeks in the app served from the original while
  proxies are being built in the background (the same CPU contention as right after opening a
  clip): time until *some* frame near the target is displayed (bar p95 ≤ 300 ms) and until the
  exact styled frame is (reported).
* **B. Proxy ready** — random seeks: time until the exact styled frame is displayed (bars
  median ≤ 80 ms, p95 ≤ 150 ms); re-display of cached frames (bar ≤ 16 ms); a scripted fast
  drag at 60 Hz across the clip: frames shown, time to the exact frame once the drag rests.
* **UI stalls** — a 1 ms QTimer runs through A and B; the longest gap between its ticks is
  the longest the UI thread was busy or blocked (bar ≤ 50 ms).
* **C. Playback** — play from frame 0 for a few seconds (temporal off, then stable): exact
  frames displayed per second vs the generator's rate and the clip's rate.

Latency is measured from the playhead change (what a mouse move does) to the viewer's
``displayed`` signal, emitted right after ``setImage``.

The style is the first installed style; when none is installed the default "fast"
``GeneratorConfig`` is built with random weights (speed does not depend on weight values), and
the output says so. The clip is generated once and cached (default /tmp/stylecut-bench).

    .venv/bin/python benchmarks/bench_scrub.py [--seeks 40] [--quick]

Exit status 0 whether bars pass or fail (it is a report).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from stylecut.core import VideoReader  # noqa: E402
from stylecut.core.testing import make_clip  # noqa: E402
from stylecut.plugin.preview.jobs import lower_thread_priority  # noqa: E402
from stylecut.plugin.preview.proxy import build_proxy, fit_size  # noqa: E402

FPS = 30
PREVIEW = (640, 360)


# --- media -----------------------------------------------------------------------------------
def bench_clip(folder: Path, frames: int) -> Path:
    """1080p30 H.264 (libx264 medium, crf 23, GOP 250, B-frames) with AAC: scrolling 8-px blocky
    noise with ±3 grain and three moving boxes (decode cost near the notes' test clip)."""
    path = folder / f"scrub-1080p-gop250-{frames}.mp4"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    w, h = 1920, 1080
    blocks = rng.integers(0, 255, (h // 8 + 1, (w + 3 * frames) // 8 + 1, 3), dtype=np.uint8)
    base = np.repeat(np.repeat(blocks, 8, 0), 8, 1)
    grain = rng.integers(-3, 4, (8, h, w, 1), dtype=np.int16)

    def image(i: int, width: int, height: int) -> np.ndarray:
        im = np.clip(base[:height, 3 * i:3 * i + width].astype(np.int16) + grain[i % 8], 0, 255)
        im = im.astype(np.uint8)
        for k in range(3):
            x = (i * (7 + 5 * k) + 300 * k) % (width - 200)
            y = 200 + 250 * k
            im[y:y + 150, x:x + 200] = (250, 200 - 60 * k, 40 + 80 * k)
        return im

    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.mp4")
    make_clip(tmp, frames=frames, width=w, height=h, fps=FPS, gop=250, image_fn=image,
              options={"preset": "medium", "crf": "23"})
    tmp.rename(path)
    return path


def stylizer_for_bench() -> tuple[object, str]:
    from stylecut.models import keras_stylizer, list_styles, load_stylizer  # noqa: F401 - quiet TF import

    cards = list_styles()
    if cards:
        return load_stylizer(cards[0]), f"installed style {cards[0].name!r}"
    from stylecut.models.generators import GENERATOR_PRESETS, build_generator
    from stylecut.models.keras_stylizer import KerasStylizer

    config = GENERATOR_PRESETS["fast"]
    stylizer = KerasStylizer(build_generator(config), config, name="fast-random")
    return stylizer, ("NO STYLE INSTALLED: default 'fast' GeneratorConfig with random weights "
                      "(speed does not depend on the weight values)")


def _schedstat() -> tuple[int, int]:
    """The calling thread's (CPU time, run-queue wait) in ns from /proc (Linux), else zeros."""
    try:
        with open("/proc/thread-self/schedstat") as fh:
            cpu, delay, _ = fh.read().split()
        return int(cpu), int(delay)
    except (OSError, ValueError):
        return 0, 0


# --- statistics ------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


def ms(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (f"median {1000 * statistics.median(values):6.1f} ms  p95 {1000 * pct(values, 95):6.1f} ms  "
            f"max {1000 * max(values):6.1f} ms  (n={len(values)})")


def bar(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load avg {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} cores"


# --- baselines -------------------------------------------------------------------------------
def seek_latencies(path: Path, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    out = []
    with VideoReader(path, thread_type="SLICE") as reader:
        frames = len(reader)
        reader.read(0)
        for _ in range(n):
            target = rng.randrange(frames)
            reader.cursor.reset()  # force a real seek (no sequential shortcut)
            t0 = time.perf_counter()
            reader.read(target)
            out.append(time.perf_counter() - t0)
    return out


def generator_fps(stylizer: object, runs: int = 15) -> float:
    x = np.random.default_rng(1).integers(0, 255, (1, PREVIEW[1], PREVIEW[0], 3), dtype=np.uint8)
    s = np.ones(1, np.float32)
    for _ in range(3):
        stylizer.stylize(x, s)  # type: ignore[attr-defined]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        stylizer.stylize(x, s)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - t0)
    return 1.0 / statistics.median(times)


# --- the app ---------------------------------------------------------------------------------
class Harness:
    """Drives the real window from a processEvents loop and records what it displays."""

    def __init__(self, app: object, window: object) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.app = app
        self.window = window
        self.model = window.model  # type: ignore[attr-defined]
        self.shown: list[tuple[float, object]] = []
        window.viewer.displayed.connect(lambda sf, t: self.shown.append((t, sf)))  # type: ignore[attr-defined]
        self.ticks: list[float] = []
        self.busy = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.sched: list[tuple[int, int]] = []  # UI thread (CPU ns, run-queue wait ns) at each tick
        self.timer.timeout.connect(self._tick)
        self.timer.start(1)

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.sched.append(_schedstat())

    def pump(self, seconds: float = 0.0, until: object = None, timeout: float = 30.0) -> bool:
        end = time.perf_counter() + (timeout if until is not None else seconds)
        while time.perf_counter() < end:
            w0, c0 = time.perf_counter(), time.thread_time()
            self.app.processEvents()  # type: ignore[attr-defined]
            self.busy.append((w0, time.perf_counter() - w0, time.thread_time() - c0))
            if until is not None and until():  # type: ignore[operator]
                return True
            time.sleep(0.0003)
        return until is None

    busy: list[tuple[float, float, float]]  # (start, wall, UI-thread CPU) of each event-loop pass

    def stall(self, start: float, stop: float) -> float:
        """The longest gap between two ticks of the 1 ms timer in [start, stop]."""
        ticks = [t for t in self.ticks if start <= t <= stop]
        return max(np.diff(ticks)) if len(ticks) > 1 else float("nan")

    def stall_report(self, start: float, stop: float) -> str:
        """Tick-gap statistics, and what the UI thread did during the longest gap: ran (CPU time),
        waited for a CPU (runnable, not scheduled: /proc schedstat run delay), or neither
        (blocked, i.e. waiting for the GIL)."""
        idx = [i for i, t in enumerate(self.ticks) if start <= t <= stop]
        if len(idx) < 2:
            return "n/a"
        ticks = np.array([self.ticks[i] for i in idx])
        gaps = np.diff(ticks) * 1000
        k = int(gaps.argmax())
        (c0, d0), (c1, d1) = self.sched[idx[k]], self.sched[idx[k + 1]]
        ran, queued = (c1 - c0) / 1e6, (d1 - d0) / 1e6
        blocked = max(0.0, gaps[k] - ran - queued)
        work = max((c for t, _, c in self.busy if start <= t <= stop), default=float("nan")) * 1000
        return (f"max {gaps.max():.1f} ms (UI thread ran {ran:.1f}, waited for a CPU {queued:.1f}, "
                f"blocked/GIL {blocked:.1f}), p99 {np.percentile(gaps, 99):.1f} ms, "
                f"{int((gaps > 50).sum())} gaps > 50 ms in {stop - start:.1f} s; longest UI-thread CPU "
                f"work in one event-loop pass {work:.1f} ms")

    def seek(self, frame: int) -> tuple[float, float]:
        """Move the playhead; returns (time to the first frame displayed for this request, time to
        the exact styled frame)."""
        server = self.window.controller.server  # type: ignore[attr-defined]
        if frame == self.model.playhead:
            frame = (frame + 1) % self.model.clip.frame_count  # a move, not a no-op
        mark = len(self.shown)
        t0 = time.perf_counter()
        self.model.set_playhead(frame)
        serial = server.latest_serial

        def exact() -> bool:
            return any(sf.serial == serial and sf.exact and sf.frame == frame for _, sf in self.shown[mark:])

        if not self.pump(until=exact, timeout=30):
            raise RuntimeError(f"frame {frame} was never displayed")
        mine = [(t, sf) for t, sf in self.shown[mark:] if sf.serial == serial]
        first = mine[0][0] - t0
        done = next(t for t, sf in mine if sf.exact and sf.frame == frame) - t0
        return first, done


def run(args: argparse.Namespace) -> None:
    import pyqtgraph as pg
    from stylecut.plugin.preview.app import build_window
    from stylecut.plugin.preview.styles import StyleEntry

    print(f"stylecut preview scrub benchmark — {load()} at start; Python {sys.version.split()[0]}")
    workdir = Path(args.media)
    clip = bench_clip(workdir, 120 if args.quick else 300)
    with VideoReader(clip) as reader:
        n_frames = len(reader)
        size = fit_size(reader.width, reader.height, PREVIEW)
    duration = n_frames / FPS
    print(f"clip: {clip} — 1920x1080 H.264 GOP 250, {n_frames} frames at {FPS} fps ({duration:.1f} s), "
          f"{clip.stat().st_size / 1e6:.1f} MB; preview {size[0]}x{size[1]}")

    stylizer, what = stylizer_for_bench()
    print(f"stylizer: {what}: {stylizer!r}")
    gen_fps = generator_fps(stylizer)
    for w, h in ((640, 360), (320, 180), (160, 90)):  # warm up the shapes the app uses
        stylizer.stylize(np.zeros((1, h, w, 3), np.uint8), np.ones(1, np.float32))  # type: ignore[attr-defined]
    print(f"generator alone at 640x360, batch 1: {gen_fps:.1f} fps ({1000 / gen_fps:.1f} ms/frame) — "
          "the real-time rate playback is compared with")

    cache = Path(tempfile.mkdtemp(prefix="stylecut-scrub-"))
    try:
        # --- proxy build on its own (3 builds: the machine is shared, report the spread)
        builds_alone = []
        for k in range(3):
            folder = cache / ("proxies" if k == 0 else f"again-{k}")
            t0 = time.perf_counter()
            proxy = build_proxy(clip, size, folder=folder)
            builds_alone.append(time.perf_counter() - t0)
        build = statistics.median(builds_alone)
        proxy = cache / "proxies" / proxy.name
        runs = ", ".join(f"{duration / b:.1f}x" for b in builds_alone)
        print(f"\nproxy build: median {build:.2f} s for {duration:.1f} s of video = "
              f"{duration / build:.1f}x real time (runs: {runs}; MJPEG all-intra, "
              f"{proxy.stat().st_size / 1e6:.1f} MB) — bar >= 4x: {bar(duration / build >= 4)}   [{load()}]")
        base_orig = seek_latencies(clip, 12 if args.quick else 25, 1)
        base_proxy = seek_latencies(proxy, 50, 2)
        print(f"baseline exact seek, original (decode only): {ms(base_orig)}")
        print(f"baseline exact seek, proxy    (decode only): {ms(base_proxy)}")

        app = pg.mkQApp("stylecut bench")
        entry = StyleEntry(getattr(stylizer, "name", "style"), what, lambda: stylizer)
        rng = random.Random(7)

        # --- A: before the proxy is ready (served from the original; proxies building meanwhile)
        window = build_window(clip, styles=[entry], use_proxy=False, proxy_dir=cache / "unused")
        window.ask_to_save = False
        window.resize(1180, 820)
        window.show()
        h = Harness(app, window)
        h.pump(until=lambda: window.model.frame is not None and window.model.frame.exact
               and window.model.style_state == "ready", timeout=60)
        h.pump(until=lambda: window.model.frame.style is not None, timeout=30)
        t_idle = time.perf_counter()
        h.pump(4.0)
        idle_quiet = h.stall_report(t_idle, time.perf_counter())
        stop_building = threading.Event()
        builds: list[float] = []

        def keep_building() -> None:
            lower_thread_priority(10)  # as the app's proxy job does
            k = 0
            while not stop_building.is_set():
                folder = cache / f"building-{k}"
                t = time.perf_counter()
                try:
                    build_proxy(clip, size, folder=folder, cancel=stop_building)
                    builds.append(time.perf_counter() - t)
                except Exception:  # noqa: BLE001 - cancelled at the end
                    pass
                shutil.rmtree(folder, ignore_errors=True)
                k += 1

        builder = threading.Thread(target=keep_building, daemon=True)
        builder.start()
        t_idle = time.perf_counter()
        h.pump(4.0)
        idle_building = h.stall_report(t_idle, time.perf_counter())
        a_first, a_exact, a_kind = [], [], []
        t_a = time.perf_counter()
        for _ in range(args.seeks // 2 if args.quick else args.seeks):
            mark = len(h.shown)
            first, done = h.seek(rng.randrange(n_frames))
            a_first.append(first)
            a_exact.append(done)
            a_kind.append(h.shown[mark][1].source)
        stall_a = h.stall(t_a, time.perf_counter())
        report_a = h.stall_report(t_a, time.perf_counter())
        stop_building.set()
        builder.join()
        print(f"\nA. before the proxy is ready (original, proxy builds running alongside: {len(builds)} "
              f"finished, {statistics.median(builds) if builds else float('nan'):.1f} s each)")
        kinds = ", ".join(f"{k} {a_kind.count(k)}" for k in sorted(set(a_kind)))
        print(f"   first frame near the target displayed: {ms(a_first)} — bar p95 <= 300 ms: "
              f"{bar(pct(a_first, 95) <= 0.300)}  (first shown: {kinds})")
        for kind in sorted(set(a_kind)):
            sel = [f for f, k in zip(a_first, a_kind, strict=True) if k == kind]
            print(f"      first shown was {kind + ':':9s} {ms(sel)}")
        print(f"   exact styled frame displayed:          {ms(a_exact)}")
        print(f"   UI-thread stalls during the seeks:    {report_a}")
        print(f"   baseline, app idle, nothing running:  {idle_quiet}")
        print(f"   baseline, app idle, proxy building:   {idle_building}   [{load()}]")
        window.close()
        h.timer.stop()

        # --- B: proxy ready
        window = build_window(clip, styles=[entry], proxy_dir=cache / "proxies")
        window.ask_to_save = False
        window.resize(1180, 820)
        window.show()
        h = Harness(app, window)
        model = window.model
        h.pump(until=lambda: model.frame is not None and model.frame.exact and model.proxy_state == "ready"
               and model.style_state == "ready" and model.frame.style is not None, timeout=60)
        t_b = time.perf_counter()
        b_exact, b_first, visited = [], [], []
        for _ in range(args.seeks):
            target = rng.randrange(n_frames)
            first, done = h.seek(target)
            b_first.append(first)
            b_exact.append(done)
            visited.append(target)
        cached = []
        for target in visited[-30:]:
            first, done = h.seek(target)
            cached.append(done)
        stall_b = h.stall(t_b, time.perf_counter())
        report_b = h.stall_report(t_b, time.perf_counter())
        print("\nB. proxy ready (exact styled frame after a random seek)")
        print(f"   exact styled frame displayed: {ms(b_exact)} — bars median <= 80 ms: "
              f"{bar(statistics.median(b_exact) <= 0.080)}, p95 <= 150 ms: {bar(pct(b_exact, 95) <= 0.150)}")
        print(f"   cached frame re-displayed:    {ms(cached)} — bar <= 16 ms: {bar(max(cached) <= 0.016)}")
        print(f"   UI-thread stalls during the seeks: {report_b}")

        # scripted fast drag: the playhead moves every 16 ms from frame 5 to the end over 2 s
        window.controller.server.cache.clear()
        window.controller.server.decoded.clear()
        mark = len(h.shown)
        t_d = time.perf_counter()
        steps = 125
        for i in range(steps):
            model.set_playhead(5 + (n_frames - 10) * i // (steps - 1))
            h.pump(0.016)
        rest = model.playhead
        serial = window.controller.server.latest_serial
        t_rest = time.perf_counter()
        h.pump(until=lambda: any(sf.serial == serial and sf.exact and sf.frame == rest
                                 for _, sf in h.shown[mark:]), timeout=30)
        settle = next(t for t, sf in h.shown[mark:] if sf.serial == serial and sf.exact) - t_rest
        stall_d = h.stall(t_d, time.perf_counter())
        report_d = h.stall_report(t_d, time.perf_counter())
        during = [sf for t, sf in h.shown[mark:] if t <= t_rest]
        distinct = len({sf.frame for sf in during})
        print(f"   fast drag (125 playhead moves in 2 s, caches cleared): {len(during)} images displayed "
              f"during the drag, {distinct} distinct frames ({sum(sf.exact for sf in during)} exact for the "
              f"playhead at that moment; the others styled frames finished for a position moments "
              f"earlier, shown as placeholders); exact frame {1000 * settle:.1f} ms after the drag rested")
        print(f"   UI-thread stalls during the drag: {report_d}")
        stall = max(stall_a, stall_b, stall_d)
        print(f"   longest UI-thread stall over A and B: {1000 * stall:.1f} ms — bar <= 50 ms: "
              f"{bar(stall <= 0.050)}   [{load()}]")

        # --- C: playback
        print("\nC. playback at 640x360 (exact frames displayed per second, frames dropped when slow)")
        for mode in ("off", "stable"):
            model.set_temporal(mode)
            model.set_playhead(0)
            h.pump(until=lambda: model.frame.exact and model.frame.frame == 0, timeout=30)
            window.controller.server.cache.clear()
            play_for = 3.0 if args.quick else 6.0
            t_p = time.perf_counter()
            window.controller.play(1.0)
            h.pump(play_for)
            window.controller.stop()
            shown_fps = window.controller.displayed_fps
            report_p = h.stall_report(t_p, time.perf_counter())
            limit = min(gen_fps, FPS)
            print(f"   temporal {mode:6s}: {shown_fps:5.1f} fps shown; generator alone {gen_fps:.1f} fps, "
                  f"clip {FPS} fps -> {shown_fps / limit:.2f}x of min(generator, clip)")
            print(f"      UI-thread stalls: {report_p}")
        print(f"\n{load()} at end (>~0.5 on 2 cores: other jobs shared the CPU; rerun when quiet)")
        window.close()
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeks", type=int, default=40, help="random seeks per phase")
    parser.add_argument("--media", default=os.environ.get("STYLECUT_BENCH_DIR", "/tmp/stylecut-bench"),
                        help="folder for the generated clip (cached)")
    parser.add_argument("--quick", action="store_true", help="120-frame clip, fewer seeks")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
