"""Benchmark: generator speed (model only) vs a Johnson-2016 baseline, measured in one run.

The baseline is the Johnson et al. 2016 fast style-transfer net: 9×9 first/last conv,
32-64-128 channels, 5 residual blocks, transposed-conv decoder, instance norm. Each model runs
as a ``tf.function`` (graph mode, no XLA) on float32 inputs at 640×360 and 1280×720, batch 1
and 4, in float32 and (where the CPU has AMX/AVX512-BF16) bfloat16. fps = batch / median of
timed calls after warm-up. The bar: the default generator ≥ 5× the baseline at the same
precision, and ≥ 25 fps at 640×360 (best batch).

    .venv/bin/python benchmarks/bench_generator.py [--runs 10] [--preset painter]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from stylecut.models.generators import GENERATOR_PRESETS, build_generator  # noqa: E402
from stylecut.models.precision import cpu_has_bf16  # noqa: E402


def johnson_2016() -> keras.Model:
    """The baseline: Johnson et al. 2016 (instance norm as GroupNorm(groups=-1))."""

    def norm() -> keras.layers.Layer:
        return keras.layers.GroupNormalization(groups=-1)

    x = inp = keras.Input((None, None, 3))
    for c, k, s in ((32, 9, 1), (64, 3, 2), (128, 3, 2)):
        x = keras.layers.Conv2D(c, k, strides=s, padding="same")(x)
        x = keras.layers.ReLU()(norm()(x))
    for _ in range(5):
        y = keras.layers.Conv2D(128, 3, padding="same")(x)
        y = keras.layers.ReLU()(norm()(y))
        y = norm()(keras.layers.Conv2D(128, 3, padding="same")(y))
        x = keras.layers.Add()([x, y])
    for c in (64, 32):
        x = keras.layers.Conv2DTranspose(c, 3, strides=2, padding="same")(x)
        x = keras.layers.ReLU()(norm()(x))
    x = keras.layers.Conv2D(3, 9, padding="same", activation="tanh")(x)
    return keras.Model(inp, x, name="johnson2016")


def fps_of(build, precision: str, batch: int, h: int, w: int, runs: int, margin: int = 0) -> float:
    """Frames per second at h×w; ``margin``: the reflected border a stylizer adds on every side
    (an instance-normalised generator runs on the frame plus 2 × margin in each direction)."""
    h, w = h + 2 * margin, w + 2 * margin
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        model = build()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    fn = tf.function(lambda x: model(x, training=False))
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (batch, h, w, 3)).astype(np.float32))
    for _ in range(3):
        fn(x).numpy()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(x).numpy()
        times.append(time.perf_counter() - t)
    return batch / statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--preset", default="painter", choices=sorted(GENERATOR_PRESETS))
    args = parser.parse_args()
    cfg = GENERATOR_PRESETS[args.preset]
    ours = lambda: build_generator(cfg)  # noqa: E731
    precisions = ["float32"] + (["bfloat16"] if cpu_has_bf16() else [])
    params = build_generator(cfg).count_params()
    print(f"generator preset {args.preset!r} ({params:,} parameters) vs Johnson 2016 "
          f"({johnson_2016().count_params():,}); ours runs on the frame plus its {cfg.margin}-px margin "
          f"as KerasStylizer feeds it; {os.cpu_count()} CPUs, TF {tf.__version__}, "
          f"load avg {os.getloadavg()[0]:.2f}")
    print(f"{'size':>10} {'precision':>9} {'batch':>5} {'ours fps':>9} {'johnson fps':>11} {'ratio':>7}")
    best: dict[tuple[str, str], float] = {}
    for h, w in ((360, 640), (720, 1280)):
        for precision in precisions:
            for batch in (1, 4):
                runs = args.runs if h == 360 else max(3, args.runs // 2)
                a = fps_of(ours, precision, batch, h, w, runs, margin=cfg.margin)
                b = fps_of(johnson_2016, precision, batch, h, w, max(3, runs // 3))
                key = (f"{w}x{h}", precision)
                best[key] = max(best.get(key, 0.0), a)
                print(f"{w}x{h:>4} {precision:>9} {batch:>5} {a:9.1f} {b:11.2f} {a / b:6.1f}x", flush=True)
    for (size, precision), fps in best.items():
        if size == "640x360":
            print(f"best {size} {precision}: {fps:.1f} fps  bar >= 25 fps: {'PASS' if fps >= 25 else 'FAIL'}")
    print(f"load avg at end {os.getloadavg()[0]:.2f} (>~0.5: the machine was busy; rerun)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
