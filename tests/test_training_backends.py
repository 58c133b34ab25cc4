"""Training is backend-agnostic: the same run on JAX and torch (CPU, in subprocesses) and on
TensorFlow (this process) reaches the same losses from the same weights and crops."""

from __future__ import annotations

import importlib.util
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from stylecut.models import hed_weights  # noqa: E402

SCRIPT = Path(__file__).with_name("train_on_backend.py")
STEPS = 8


def _has_vgg() -> bool:
    try:
        hed_weights.vgg_weights_path()
    except Exception:
        return False
    return True


_ENV = {
    # XLA's CPU compile dominates a short run; unoptimised code is fast enough for 8 steps
    "jax": {"JAX_PLATFORMS": "cpu", "XLA_FLAGS": "--xla_backend_optimization_level=0"},
    "torch": {},
}


def _installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


@pytest.fixture(scope="module")
def runs(tiny_data, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same 8 steps on TensorFlow (this process) and, at the same time in subprocesses, on
    every other installed backend; {backend: losses per step, or the failed run's log}."""
    root, style = tiny_data
    tmp = tmp_path_factory.mktemp("backends")
    vgg = _has_vgg()
    helpers = runpy.run_path(str(SCRIPT))
    trainer = helpers["tiny_trainer"](root, str(style), tmp / "run-tf", STEPS, vgg=vgg)
    weights = tmp / "init.npz"
    helpers["save_weights"](trainer, weights)
    procs = {}
    for backend in (b for b in _ENV if _installed(b)):
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", **_ENV[backend]}
        args = [str(root), str(style), str(weights), str(tmp / f"{backend}.json"), str(STEPS)]
        args += ["--vgg"] if vgg else []
        procs[backend] = subprocess.Popen([sys.executable, str(SCRIPT), *args], env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    results: dict[str, Any] = {"vgg": vgg}
    try:
        results["tensorflow"] = helpers["run_steps"](trainer, STEPS)
        for backend, proc in procs.items():
            log, _ = proc.communicate(timeout=600)
            if proc.returncode != 0:
                results[backend] = log[-3000:]
                continue
            result = json.loads((tmp / f"{backend}.json").read_text())
            assert result["backend"] == backend
            results[backend] = result["losses"]
    finally:
        for proc in procs.values():
            proc.kill()
    return results


@pytest.mark.parametrize("backend", list(_ENV))
def test_training_on_another_backend_reaches_the_tensorflow_losses(runs: dict[str, Any], backend: str):
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed (jax comes with the dev extra; torch: pip install torch)")
    other, tf_losses = runs[backend], runs["tensorflow"]
    assert not isinstance(other, str), other  # the subprocess's log when it failed
    assert len(other) == STEPS and set(other[0]) == set(tf_losses[0])
    # step 0, before any update: the terms that draw no random numbers are the same function of
    # the same weights and crops on both backends
    exact = ["content", "colour", "raster"] + (["style", "vgg_content"] if runs["vgg"] else [])
    for name in exact:
        assert other[0][name] == pytest.approx(tf_losses[0][name], rel=1e-3), name
    # every later step: the updates agree (the adversarial and temporal terms draw different
    # random numbers per backend, so the totals agree within that noise, not exactly)
    for tf_step, step in zip(tf_losses, other, strict=True):
        assert all(np.isfinite(list(step.values())))
        assert step["g"] == pytest.approx(tf_step["g"], rel=0.05)
        assert step["colour"] == pytest.approx(tf_step["colour"], rel=0.02)
    # and the run trained: the raster pattern of the fresh generator is gone on both
    for losses in (tf_losses, other):
        assert losses[-1]["raster"] < 0.2 * losses[0]["raster"]
