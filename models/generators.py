"""Real-time generators in pure Keras 3 ops (TensorFlow, JAX or torch backends).

The default "painter" generator (arch ``"resize"``) has nothing fixed to the pixel raster: strided
3×3 convolutions take the frame to ¼ resolution, residual blocks (and a ⅛-resolution branch for
whole brush strokes) work there, and bilinear ×2 upsampling + 3×3 convolutions return to full
resolution, where the last convolution also sees the input frame. Its output is the frame plus
the predicted change, so it can keep or repaint every detail.

The older "fast" generator (arch ``"s2d"``, the first shipped styles) folds full-resolution
pixels into channels (space-to-depth ×4) so every convolution runs at ¼ resolution, where small
nets are compute- not memory-bound; a depth-to-space head returns to full resolution: a pattern
fixed to the 4×4 pixel grid. Both add their result to the input. Inputs are float RGB in
[-1, 1] with H and W multiples of ``multiple``; the Stylizer pads and crops any other size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import keras
from stylecut.core.errors import ModelError

from .layers import (
    BilinearUp2,
    BinomialBlur,
    DepthToSpace,
    InstanceNorm,
    ReflectPad,
    ResidualBlock,
    SpaceToDepth,
)

__all__ = ["GENERATOR_PRESETS", "GeneratorConfig", "build_generator"]


@dataclass(frozen=True, kw_only=True)
class GeneratorConfig:
    """Architecture of a generator; stored in each style card."""

    arch: str = "s2d"
    stem_channels: int = 16
    full_channels: int = 8
    full_blocks: int = 0
    norm: str = "none"
    antialias: bool = False
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
        if self.arch not in ARCHITECTURES:
            raise ModelError(
                f"Unknown generator architecture; known: {', '.join(ARCHITECTURES)}. "
                f"Received: arch={self.arch!r}"
            )
        if self.arch == "resize" and (self.fold != 4 or self.decoder != "resize" or self.noise_channels):
            raise ModelError(
                "arch 'resize' works at ¼ resolution with a resize decoder and no noise input "
                f"(fold=4, decoder='resize', noise_channels=0). Received: fold={self.fold!r}, "
                f"decoder={self.decoder!r}, noise_channels={self.noise_channels!r}"
            )
        for name in ("channels", "blocks", "coarse_channels", "coarse_blocks", "noise_channels",
                     "stem_channels", "full_channels", "full_blocks"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0 or (name == "channels" and value == 0):
                raise ModelError(f"{name} must be a non-negative integer. Received: {name}={value!r}")
        if self.norm not in NORMS:
            raise ModelError(f"norm must be one of {NORMS}. Received: norm={self.norm!r}")
        if self.antialias and self.arch != "resize":
            raise ModelError(f"antialias needs arch 'resize'. Received: arch={self.arch!r}")
        if self.norm != "none" and self.arch != "resize":
            raise ModelError(f"norm {self.norm!r} needs arch 'resize'. Received: arch={self.arch!r}")
        if self.fold not in (2, 4):
            raise ModelError(f"fold must be 2 or 4. Received: fold={self.fold!r}")
        if self.decoder not in ("shuffle", "resize"):
            raise ModelError(f"decoder must be 'shuffle' or 'resize'. Received: decoder={self.decoder!r}")

    @property
    def multiple(self) -> int:
        """Input H and W must be multiples of this."""
        return self.fold * (2 if self.coarse_blocks else 1)

    @property
    def margin(self) -> int:
        """Pixels of reflected picture a stylizer adds on every side (and crops off again): the
        band a generator paints along its zero-padded edges (about 16 px wide for an
        instance-normalised trunk; a striped band along the top for the space-to-depth nets,
        which an 8-px margin only halves) then falls outside the frame."""
        return 16

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


ARCHITECTURES = ("s2d", "resize")
NORMS = ("none", "instance")

GENERATOR_PRESETS: dict[str, GeneratorConfig] = {
    "painter": GeneratorConfig(arch="resize", decoder="resize", channels=48, blocks=4, coarse_channels=64,
                               coarse_blocks=2, decoder_channels=24, stem_channels=16, full_channels=8),
    # Instance norm in the ¼/⅛ trunk: learns brushwork in the CPU budget. 32 channels and 3 blocks
    # keep it above the speed bar with its 16-px margin; the full-resolution conv carries the
    # strokes (without it the stroke distance was 3× worse); no input blur (it cost 15 % and did
    # not untie the texture from the grid: the raster loss does).
    "painter-in": GeneratorConfig(arch="resize", decoder="resize", channels=32, blocks=3, coarse_channels=64,
                                  coarse_blocks=2, decoder_channels=24, stem_channels=16, full_channels=8,
                                  full_blocks=1, norm="instance"),
    "fast": GeneratorConfig(),
    "quality": GeneratorConfig(channels=64, blocks=6, coarse_channels=96, coarse_blocks=3),
    "tiny": GeneratorConfig(channels=16, blocks=1, coarse_channels=16, coarse_blocks=1),
    "fast-resize": GeneratorConfig(decoder="resize"),
}


def build_generator(config: GeneratorConfig, *, name: str = "generator") -> keras.Model:
    """A functional Keras model: ``image`` (B, H, W, 3) [+ ``noise`` (B, H/f, W/f, k)] -> image."""
    if config.arch == "resize":
        return _build_resize(config, name)
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


def _conv(
    x: Any, channels: int, name: str, *, strides: int = 1, act: bool = True, reflect: bool = True,
    init: Any = "glorot_uniform", norm: bool = False, antialias: bool = False,
) -> Any:
    """3×3 conv (+ instance norm) (+ LeakyReLU). ``reflect=False`` zero-pads: the decoder's ½- and
    full-resolution layers are memory-bound, and a reflect-pad copy of each costs more than its
    convolution."""
    if antialias and strides > 1:
        x = BinomialBlur(name=f"{name}_blur")(x)
    if reflect:
        x = ReflectPad(1, name=f"{name}_pad")(x)
    x = keras.layers.Conv2D(
        channels, 3, strides=strides, padding="valid" if reflect else "same", name=name,
        kernel_initializer=init,
    )(x)
    if norm:
        x = InstanceNorm(name=f"{name}_norm")(x)
    return keras.layers.LeakyReLU(0.2, name=f"{name}_act")(x) if act else x


def _coarse_branch(x: Any, c: GeneratorConfig) -> Any:
    """A ⅛-resolution branch (dilated residual blocks) merged back into ``x`` at ¼ resolution."""
    norm = c.norm == "instance"
    y = _conv(x, c.coarse_channels, "down", strides=2, norm=norm, antialias=c.antialias)
    for i in range(c.coarse_blocks):
        y = ResidualBlock(
            c.coarse_channels, separable=c.separable, dilation=2 if i % 2 else 1, norm=norm,
            residual_scale=1.0 if norm else 0.2, name=f"coarse{i}",
        )(y)
    y = BilinearUp2(name="up")(y)
    y = keras.layers.Conv2D(c.channels, 3, padding="same", name="up_conv")(y)
    return keras.layers.Add(name="merge")([x, y])


def _build_resize(c: GeneratorConfig, name: str) -> keras.Model:
    image = keras.Input(shape=(None, None, 3), name="image")
    norm = c.norm == "instance"  # in the ¼- and ⅛-resolution trunk only (cheap there)
    aa = c.antialias
    x = _conv(image, c.stem_channels, "stem", strides=2, antialias=aa)  # ½
    x = _conv(x, c.decoder_channels, "enc", strides=2, norm=norm, antialias=aa)  # ¼
    x = _conv(x, c.channels, "enc_wide", norm=norm)
    if c.coarse_blocks:
        x = _coarse_branch(x, c)
    for i in range(c.blocks):
        x = ResidualBlock(c.channels, separable=c.separable, norm=norm,
                          residual_scale=1.0 if norm else 0.2, name=f"block{i}")(x)
    x = keras.layers.LeakyReLU(0.2, name="head_act")(x)
    x = _conv(x, c.decoder_channels, "dec_pre")
    x = BilinearUp2(name="dec_up0")(x)
    x = _conv(x, c.decoder_channels, "dec_conv0", reflect=False)  # ½
    x = _conv(x, c.full_channels, "dec_conv1", reflect=False)
    x = BilinearUp2(name="dec_up1")(x)  # full resolution
    x = keras.layers.Concatenate(name="with_image")([x, image])
    for i in range(c.full_blocks):  # full-resolution convs: the finest brush texture
        x = _conv(x, c.full_channels, f"full_conv{i}", reflect=False)
    delta = _conv(x, 3, "head", act=False, reflect=False, init=keras.initializers.VarianceScaling(0.1))
    out = keras.layers.Add(name="output")([image, delta])
    return keras.Model(image, out, name=name)
