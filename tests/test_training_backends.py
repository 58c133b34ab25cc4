"""Training is backend-agnostic: the same run on JAX (CPU, in a subprocess) and on TensorFlow
(this process) reaches the same losses from the same weights and crops."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("jax")

from stylecut.models import hed_weights  # noqa: E402

SCRIPT = Path(__file__).with_name("train_on_backend.py")
STEPS = 8


def _has_vgg() -> bool:
    try:
        hed_weights.vgg_weights_path()
    except Exception:
        return False
    return True


def test_jax_training_reaches_the_tensorflow_losses(tiny_data, tmp_path: Path):
    root, style = tiny_data
    vgg = _has_vgg()
    helpers = runpy.run_path(str(SCRIPT))
    trainer = helpers["tiny_trainer"](root, str(style), tmp_path / "run-tf", STEPS, vgg=vgg)
    weights = tmp_path / "init.npz"
    helpers["save_weights"](trainer, weights)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           # XLA's CPU compile dominates a short run; unoptimised code is fast enough for 8 steps
           "XLA_FLAGS": "--xla_backend_optimization_level=0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = tmp_path / "jax.json"
    args = [str(root), str(style), str(weights), str(out), str(STEPS)] + (["--vgg"] if vgg else [])
    jax_run = subprocess.Popen([sys.executable, str(SCRIPT), *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        tf_losses = helpers["run_steps"](trainer, STEPS)
        log, _ = jax_run.communicate(timeout=600)
    finally:
        jax_run.kill()
    assert jax_run.returncode == 0, log[-3000:]
    result = json.loads(out.read_text())
    assert result["backend"] == "jax"
    jax_losses = result["losses"]
    assert len(jax_losses) == STEPS and set(jax_losses[0]) == set(tf_losses[0])
    # step 0, before any update: the terms that draw no random numbers are the same function of
    # the same weights and crops on both backends
    exact = ["content", "colour", "raster"] + (["style", "vgg_content"] if vgg else [])
    for name in exact:
        assert jax_losses[0][name] == pytest.approx(tf_losses[0][name], rel=1e-3), name
    # every later step: the updates agree (the adversarial and temporal terms draw different
    # random numbers per backend, so the totals agree within that noise, not exactly)
    for tf_step, jax_step in zip(tf_losses, jax_losses, strict=True):
        assert all(np.isfinite(list(jax_step.values())))
        assert jax_step["g"] == pytest.approx(tf_step["g"], rel=0.05)
        assert jax_step["colour"] == pytest.approx(tf_step["colour"], rel=0.02)
    # and the run trained: the raster pattern of the fresh generator is gone on both
    for losses in (tf_losses, jax_losses):
        assert losses[-1]["raster"] < 0.2 * losses[0]["raster"]
