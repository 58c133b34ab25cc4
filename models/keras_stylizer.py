"""A Stylizer running a Keras generator: pad to the generator's multiple, run, crop, blend.

On the TensorFlow backend the generator is called through a cached ``tf.function`` (eager calls
are ~3× slower). ``precision="auto"`` runs a ``mixed_bfloat16`` copy of the generator on CPUs
with bf16 instructions (AMX-BF16 / AVX512-BF16: ~2.8× faster at 640×360) and float32 elsewhere.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from stylecut.core.errors import ModelError
from stylecut.core.stylizer import blend, check_batch
from stylecut.core.tone import ToneAnchor

from .generators import GeneratorConfig, build_generator
from .precision import PRECISIONS, cpu_has_bf16, resolve_precision
from .registry import StyleCard

__all__ = ["PRECISIONS", "KerasStylizer", "check_weights_file", "cpu_has_bf16", "resolve_precision"]

def _bf16_copy(generator: keras.Model, config: GeneratorConfig) -> keras.Model:
    """The same generator with a ``mixed_bfloat16`` policy (bf16 compute, float32 weights); the
    final residual add stays float32 so the identity path is not quantised."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        copy = build_generator(config, name=f"{generator.name}_bf16")
    finally:
        keras.config.set_dtype_policy(previous)
    copy.get_layer("output").dtype_policy = keras.DTypePolicy("float32")
    copy.set_weights(generator.get_weights())
    return copy


def check_weights_file(path: Path, generator: keras.Model, config: GeneratorConfig) -> None:
    """Raise ``ModelError`` unless ``path`` is a readable ``.weights.h5`` whose arrays match
    ``generator`` (same count and shapes; Keras would silently ignore surplus layers)."""
    import h5py

    received = f"Received: weights={str(path)!r}"
    if path.is_dir():
        raise ModelError(f"Style weights file {path} is a folder, not a .weights.h5 file. {received}")
    if not path.is_file():
        raise ModelError(f"Style weights file {path} does not exist. {received}")
    try:
        with h5py.File(path, "r") as f:
            if "layers" not in f:
                raise ModelError(f"Style weights file {path} is not a Keras .weights.h5 file "
                                 f"(no 'layers' group). {received}")
            shapes: list[tuple[int, ...]] = []
            f["layers"].visititems(
                lambda _n, obj: shapes.append(tuple(obj.shape)) if isinstance(obj, h5py.Dataset) else None)
    except ModelError:
        raise
    except Exception as exc:  # h5py raises OSError, KeyError, RuntimeError... for bad files
        raise ModelError(f"Style weights file {path} is not a readable HDF5 .weights.h5 file "
                         f"({type(exc).__name__}: {exc}). {received}") from exc
    expected = sorted(tuple(int(d) for d in w.shape) for w in generator.weights)
    if sorted(shapes) != expected:
        raise ModelError(
            f"Style weights file {path} does not match the generator architecture {config.to_dict()}: "
            f"the file holds {len(shapes)} arrays, the generator expects {len(expected)} "
            f"({sum(int(np.prod(s)) for s in shapes)} vs {sum(int(np.prod(s)) for s in expected)} "
            f"parameters). {received}"
        )


class KerasStylizer:
    """Implements ``stylecut.core.Stylizer`` with a Keras generator (see ``build_generator``)."""

    def __init__(self, generator: keras.Model, config: GeneratorConfig, *, name: str,
                 preferred_batch: int = 4, precision: str = "auto", noise_seed: int = 0,
                 tone_anchor: ToneAnchor | None = None) -> None:
        if isinstance(preferred_batch, bool) or not isinstance(preferred_batch, int) or preferred_batch < 1:
            raise ValueError(f"preferred_batch must be a positive integer. "
                             f"Received: preferred_batch={preferred_batch!r}")
        self.name = name
        self.config = config
        self.preferred_batch = preferred_batch
        self.noise_seed = int(noise_seed)
        self.tone_anchor = tone_anchor if tone_anchor is not None else ToneAnchor()
        self.precision = resolve_precision(precision)
        self.generator = generator
        self.model = _bf16_copy(generator, config) if self.precision == "bfloat16" else generator
        self._noise: dict[tuple[int, int], np.ndarray] = {}
        self._run = self._make_runner(self.model)

    @classmethod
    def from_card(cls, card: StyleCard, **kw: Any) -> KerasStylizer:
        """Build the card's generator and load its ``.weights.h5`` (weights only, never code)."""
        spec = card.data.get("generator")
        if not isinstance(spec, dict):
            raise ModelError(f"Style card {card.card_path} has no 'generator' architecture object. "
                             f"Received: generator={spec!r}")
        try:
            config = GeneratorConfig.from_dict(spec)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"Style card {card.card_path} has a bad 'generator': {exc}") from exc
        generator = build_generator(config, name=f"{card.name}_generator")
        path = Path(card.weights_path)
        check_weights_file(path, generator, config)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                generator.load_weights(str(path))
        except Exception as exc:  # shape/name mismatches surface as ValueError, I/O as OSError
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"Style weights file {path} cannot be loaded into the generator "
                             f"{config.to_dict()}: {first} Received: weights={str(path)!r}") from exc
        try:
            kw.setdefault("tone_anchor", ToneAnchor.from_dict(card.data.get("tone_anchor")))
        except (TypeError, ValueError) as exc:
            raise ModelError(f"Style card {card.card_path} has a bad 'tone_anchor': {exc}") from exc
        kw.setdefault("name", card.name)
        return cls(generator, config, **kw)

    # ------------------------------------------------------------------ inference

    @staticmethod
    def _make_runner(model: keras.Model) -> Callable[[list[np.ndarray]], np.ndarray]:
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

            # a one-input model gets its tensor, not a list (Keras warns that the structure of
            # ``inputs`` does not match, on every new frame size)
            def run(inputs: list[np.ndarray]) -> np.ndarray:
                return np.asarray(tf.cast(fn(inputs[0] if len(inputs) == 1 else inputs), tf.float32))

            return run

        def run_other(inputs: list[np.ndarray]) -> np.ndarray:
            batch = inputs[0] if len(inputs) == 1 else inputs
            return np.asarray(keras.ops.convert_to_numpy(model.predict_on_batch(batch)), np.float32)

        return run_other

    def _noise_for(self, height: int, width: int) -> np.ndarray:
        """The fixed noise map for padded size (height, width): the same for every frame."""
        key = (height, width)
        if key not in self._noise:
            f, k = self.config.fold, self.config.noise_channels
            rng = np.random.default_rng(self.noise_seed)
            self._noise[key] = rng.standard_normal((1, height // f, width // f, k)).astype(np.float32)
        return self._noise[key]

    def _pad(self, h: int, w: int) -> tuple[tuple[int, int], tuple[int, int]]:
        m, margin = self.config.multiple, self.config.margin
        ph, pw = -(h + 2 * margin) % m, -(w + 2 * margin) % m
        return ((margin + ph // 2, margin + ph - ph // 2),
                (margin + pw // 2, margin + pw - pw // 2))

    def generate(self, frames: np.ndarray) -> np.ndarray:
        """Full-strength generator output for uint8 frames (N, H, W, 3) of any size (with the
        style's tone anchor applied)."""
        sources = frames
        n, h, w, _ = frames.shape
        (top, bottom), (left, right) = self._pad(h, w)
        if top or bottom or left or right:
            pads = ((0, 0), (top, bottom), (left, right), (0, 0))
            if h > max(top, bottom) and w > max(left, right):
                frames = np.pad(frames, pads, mode="reflect")
            else:  # smaller than the pad: reflection is undefined
                frames = np.pad(frames, pads, mode="edge")
        hp, wp = frames.shape[1:3]
        out = np.empty((n, h, w, 3), np.uint8)
        for start in range(0, n, self.preferred_batch):
            chunk = frames[start:start + self.preferred_batch]
            x = chunk.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0)
            inputs = [x]
            if self.config.noise_channels:
                inputs.append(np.repeat(self._noise_for(hp, wp), len(chunk), axis=0))
            y = self._run(inputs)[:, top:top + h, left:left + w]
            out[start:start + len(chunk)] = np.clip(np.rint((y + 1.0) * 127.5), 0, 255)
        return self.tone_anchor.apply(sources, out)

    def stylize(self, frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
        """Stylize uint8 frames (N, H, W, 3), blended per frame by ``strength`` (N,) in [0, 1]."""
        check_batch(frames, strength)
        s = np.asarray(strength, dtype=np.float32)
        active = s > 0
        if not active.any():
            return frames.copy()
        stylized = frames.copy()
        stylized[active] = self.generate(np.ascontiguousarray(frames[active]))
        return blend(frames, stylized, s)

    def __repr__(self) -> str:
        return (f"KerasStylizer(name={self.name!r}, precision={self.precision!r}, "
                f"preferred_batch={self.preferred_batch}, tone_anchor={self.tone_anchor}, "
                f"config={self.config})")
