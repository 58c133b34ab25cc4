"""Multi-scale PatchGAN discriminator with spectral normalisation.

Three heads look at a crop: RGB at full resolution (brush texture, ~70 px receptive field),
RGB at ½ resolution (~140 px: whole strokes and swirls) and a high-pass greyscale view at full
resolution (the texture band alone, so colour cannot carry the decision). An optional fourth head
(``orientation``) sees the local stroke direction field at ½ resolution: the smoothed structure
tensor of the luma as (cos 2θ, sin 2θ)·coherence and log energy, so it can tell painted strokes
that follow forms from isotropic grain and from a photo's clean straight edges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import keras
from keras import ops

__all__ = ["DiscriminatorConfig", "MultiScaleDiscriminator", "high_pass_grey", "orientation_field"]


@dataclass(frozen=True, kw_only=True)
class DiscriminatorConfig:
    """Width and depth of each PatchGAN head and which views are judged."""

    channels: int = 48
    layers: int = 3
    scales: tuple[int, ...] = (1, 2)
    high_pass: bool = True
    orientation: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def high_pass_grey(x: Any) -> Any:
    """Luma minus its 5×5 box blur, ×4: the texture band of an image in [-1, 1]."""
    grey = 0.299 * x[..., 0:1] + 0.587 * x[..., 1:2] + 0.114 * x[..., 2:3]
    padded = ops.pad(grey, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
    blur = ops.average_pool(padded, pool_size=5, strides=1, padding="valid")
    return 4.0 * (grey - blur)


def orientation_field(x: Any, *, sigma_pool: int = 5) -> Any:
    """(B, H/2, W/2, 3): structure-tensor orientation of the luma of ``x`` in [-1, 1].

    Channels: ((Jxx − Jyy), 2·Jxy) ÷ (Jxx + Jyy) — the doubled-angle direction scaled by
    coherence — and log of the gradient energy; J is smoothed over ``sigma_pool``² pixels."""
    grey = 0.299 * x[..., 0:1] + 0.587 * x[..., 1:2] + 0.114 * x[..., 2:3]
    g = ops.pad(grey, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    sobel_x = ops.convert_to_tensor(
        [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=grey.dtype
    ) / 8.0
    kx = ops.reshape(sobel_x, (3, 3, 1, 1))
    ky = ops.reshape(ops.transpose(sobel_x), (3, 3, 1, 1))
    gx = ops.conv(g, kx, padding="valid")
    gy = ops.conv(g, ky, padding="valid")
    j = ops.concatenate([gx * gx, gy * gy, gx * gy], axis=-1)
    half = sigma_pool // 2
    j = ops.pad(j, ((0, 0), (half, half), (half, half), (0, 0)), mode="reflect")
    j = ops.average_pool(j, pool_size=sigma_pool, strides=1, padding="valid")
    j = ops.average_pool(j, pool_size=2, strides=2, padding="valid")
    jxx, jyy, jxy = j[..., 0:1], j[..., 1:2], j[..., 2:3]
    trace = jxx + jyy + 1e-5
    return ops.concatenate(
        [(jxx - jyy) / trace, 2.0 * jxy / trace, 0.25 * ops.log(trace) + 1.5], axis=-1
    )


def _patch_head(channels: int, layers: int, in_channels: int, name: str) -> keras.Sequential:
    sn = keras.layers.SpectralNormalization
    seq: list[keras.layers.Layer] = [keras.Input((None, None, in_channels))]
    c = channels
    for i in range(layers):
        seq.append(sn(keras.layers.Conv2D(c, 4, strides=2, padding="same"), name=f"{name}_c{i}"))
        seq.append(keras.layers.LeakyReLU(0.2))
        c = min(c * 2, channels * 4)
    seq.append(sn(keras.layers.Conv2D(c, 3, padding="same"), name=f"{name}_c{layers}"))
    seq.append(keras.layers.LeakyReLU(0.2))
    seq.append(keras.layers.Conv2D(1, 3, padding="same", name=f"{name}_logit"))
    return keras.Sequential(seq, name=name)


class MultiScaleDiscriminator(keras.Model):
    """Returns a list of patch-logit maps, one per view."""

    def __init__(self, config: DiscriminatorConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config or DiscriminatorConfig()
        c = self.config
        self.heads = [_patch_head(c.channels, c.layers, 3, f"rgb_x{s}") for s in c.scales]
        self.texture = _patch_head(c.channels, c.layers, 1, "texture") if c.high_pass else None
        self.strokes = _patch_head(c.channels, c.layers, 3, "strokes") if c.orientation else None

    def call(self, x: Any, training: bool | None = None) -> list[Any]:
        outs = []
        for scale, head in zip(self.config.scales, self.heads, strict=True):
            view = x if scale == 1 else ops.average_pool(x, scale, strides=scale, padding="valid")
            outs.append(head(view, training=training))
        if self.texture is not None:
            outs.append(self.texture(high_pass_grey(x), training=training))
        if self.strokes is not None:
            outs.append(self.strokes(orientation_field(x), training=training))
        return outs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "config": self.config.to_dict()}
