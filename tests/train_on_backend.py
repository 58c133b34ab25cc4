"""Train the tiny style for a few steps on the Keras backend of this process (KERAS_BACKEND) and
write the per-step losses as JSON; tests/test_training_backends.py runs it on JAX and calls its
functions on TensorFlow.

usage: python tests/train_on_backend.py DATA_ROOT STYLE_FILE WEIGHTS.npz OUT.json STEPS [--vgg]

WEIGHTS.npz holds the initial generator and discriminator weights (written by the first run
when missing), so every backend starts from the same weights; the crops come from the run's
seeded numpy generator, the same on every backend.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import keras
from stylecut.models.discriminators import DiscriminatorConfig
from stylecut.models.generators import GENERATOR_PRESETS
from stylecut.models.perceptual import PerceptualConfig
from stylecut.models.training import TrainConfig, _read_variables, _Trainer, _write_variables


def tiny_trainer(root: Path, style: str, out: Path, steps: int, *, vgg: bool) -> _Trainer:
    cfg = TrainConfig(
        name="tiny", style=(style,), content=(str(root / "content"),), out=str(out),
        generator=GENERATOR_PRESETS["tiny"], discriminator=DiscriminatorConfig(channels=8, layers=2),
        crop=64, batch=2, steps=steps, held_out=2, precision="float32",
        w_style=1.0 if vgg else 0.0, w_perceptual_content=1.0 if vgg else 0.0,
        perceptual=PerceptualConfig(style_layers=("conv1_1", "conv2_1"), style_layer_weights=(1.0, 1.0),
                                    content_layer="conv2_1"),
    )
    return _Trainer(cfg, root)


def _groups(trainer: _Trainer) -> dict[str, list[Any]]:
    return {"g": trainer.g.weights, "d": trainer.d.weights}


def save_weights(trainer: _Trainer, path: Path) -> None:
    _write_variables(path, _groups(trainer))


def load_weights(trainer: _Trainer, path: Path) -> None:
    _read_variables(path, _groups(trainer))
    trainer.g_ema.set_weights(trainer.g.get_weights())


def run_steps(trainer: _Trainer, steps: int) -> list[dict[str, float]]:
    return [trainer.train_step(trainer._content_batch(), trainer._style_batch()) for _ in range(steps)]


def main(argv: list[str]) -> None:
    root, style, weights, out, steps = Path(argv[0]), argv[1], Path(argv[2]), Path(argv[3]), int(argv[4])
    run = out.parent / f"run-{keras.backend.backend()}"
    trainer = tiny_trainer(root, style, run, steps, vgg="--vgg" in argv)
    if weights.exists():
        load_weights(trainer, weights)
    else:
        save_weights(trainer, weights)
    losses = run_steps(trainer, steps)
    out.write_text(json.dumps({"backend": keras.backend.backend(), "losses": losses}))


if __name__ == "__main__":
    main(sys.argv[1:])
