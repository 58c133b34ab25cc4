"""Real-time generators in pure Keras 3 ops (TensorFlow, JAX or torch backends).

The default "fast" generator folds full-resolution pixels into channels (space-to-depth ×4)
so every convolution runs at ¼ resolution, where small nets are compute- not memory-bound; a
⅛-resolution branch widens the receptive field (whole brush strokes); a depth-to-space head
returns to full resolution and the result is added to the input (structure is kept by
construction). Inputs are float RGB in [-1, 1] with H and W multiples of ``multiple``; the
Stylizer pads and crops any other size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import keras
from stylecut.core.errors import ModelError

from .layers import DepthToSpace, ReflectPad, ResidualBlock, SpaceToDepth

__all__ = ["GENERATOR_PRESETS", "GeneratorConfig", "build_generator"]


@dataclass(frozen=True, kw_only=True)
class GeneratorConfig:
    """Architecture of a generator; stored in each style card."""

    arch: str = "s2d"
    channels: int = 48
    blocks: int = 4
    coarse_channels: int = 64
    coarse_blocks: int = 2
    separable: bool = False
    noise_channels: int = 0
    fold: int = 4
    decoder: str = "shuffle"
    decoder_channels: int = 24

    def __post_init__(self) -> None:
        if self.arch != "s2d":
            raise ModelError(f"Unknown generator architecture; known: s2d. Received: arch={self.arch!r}")
        for name in ("channels", "blocks", "coarse_channels", "coarse_blocks", "noise_channels"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0 or (name == "channels" and value == 0):
                raise ModelError(f"{name} must be a non-negative integer. Received: {name}={value!r}")
        if self.fold not in (2, 4):
            raise ModelError(f"fold must be 2 or 4. Received: fold={self.fold!r}")
        if self.decoder not in ("shuffle", "resize"):
            raise ModelError(f"decoder must be 'shuffle' or 'resize'. Received: decoder={self.decoder!r}")

    @property
    def multiple(self) -> int:
        """Input H and W must be multiples of this."""
        return self.fold * (2 if self.coarse_blocks else 1)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ModelError(
                f"Unknown generator config keys {sorted(unknown)}; known: {sorted(known)}. "
                f"Received: config={data!r}"
            )
        return cls(**data)


GENERATOR_PRESETS: dict[str, GeneratorConfig] = {
    "fast": GeneratorConfig(),
    "quality": GeneratorConfig(channels=64, blocks=6, coarse_channels=96, coarse_blocks=3),
    "tiny": GeneratorConfig(channels=16, blocks=1, coarse_channels=16, coarse_blocks=1),
    "fast-resize": GeneratorConfig(decoder="resize"),
}


def build_generator(config: GeneratorConfig, *, name: str = "generator") -> keras.Model:
    """A functional Keras model: ``image`` (B, H, W, 3) [+ ``noise`` (B, H/f, W/f, k)] -> image."""
    c = config
    image = keras.Input(shape=(None, None, 3), name="image")
    inputs: list[Any] = [image]
    x = SpaceToDepth(c.fold, name="fold")(image)
    if c.noise_channels:
        noise = keras.Input(shape=(None, None, c.noise_channels), name="noise")
        inputs.append(noise)
        x = keras.layers.Concatenate(name="with_noise")([x, noise])
    x = ReflectPad(1, name="stem_pad")(x)
    x = keras.layers.Conv2D(c.channels, 3, name="stem")(x)
    x = keras.layers.LeakyReLU(0.2, name="stem_act")(x)
    if c.coarse_blocks:
        y = ReflectPad(1, name="down_pad")(x)
        y = keras.layers.Conv2D(c.coarse_channels, 3, strides=2, name="down")(y)
        y = keras.layers.LeakyReLU(0.2, name="down_act")(y)
        for i in range(c.coarse_blocks):
            y = ResidualBlock(
                c.coarse_channels, separable=c.separable, dilation=2 if i % 2 else 1, name=f"coarse{i}"
            )(y)
        y = keras.layers.UpSampling2D(2, interpolation="nearest", name="up")(y)
        y = keras.layers.Conv2D(c.channels, 3, padding="same", name="up_conv")(y)
        x = keras.layers.Add(name="merge")([x, y])
    for i in range(c.blocks):
        x = ResidualBlock(c.channels, separable=c.separable, name=f"block{i}")(x)
    x = keras.layers.LeakyReLU(0.2, name="head_act")(x)
    if c.decoder == "shuffle":
        x = keras.layers.Conv2D(
            3 * c.fold * c.fold, 3, padding="same", name="head",
            kernel_initializer=keras.initializers.VarianceScaling(0.1),
        )(x)
        delta = DepthToSpace(c.fold, name="unfold")(x)
    else:
        # resize-convolutions (no checkerboard): ×2 nearest + conv until full resolution
        steps = {2: 1, 4: 2}[c.fold]
        for i in range(steps):
            x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"dec_up{i}")(x)
            last = i == steps - 1
            x = ReflectPad(1, name=f"dec_pad{i}")(x)
            x = keras.layers.Conv2D(
                3 if last else c.decoder_channels, 3, name="head" if last else f"dec_conv{i}",
                kernel_initializer=keras.initializers.VarianceScaling(0.1) if last else "glorot_uniform",
            )(x)
            if not last:
                x = keras.layers.LeakyReLU(0.2, name=f"dec_act{i}")(x)
        delta = x
    out = keras.layers.Add(name="output")([image, delta])
    return keras.Model(inputs, out, name=name)
