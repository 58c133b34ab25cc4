"""Multi-scale PatchGAN discriminator with spectral normalisation.

Three heads look at a crop: RGB at full resolution (brush texture, ~70 px receptive field),
RGB at ½ resolution (~140 px: whole strokes and swirls) and a high-pass greyscale view at full
resolution (the texture band alone, so colour cannot carry the decision). Optional heads
(``orientation``) see the local stroke direction field, one per scale in ``orientation_scales``
(½ resolution by default; 1 = full resolution, where single brush marks and a photo's sharp
straight edges show): the smoothed structure tensor of the luma as (cos 2θ, sin 2θ)·coherence
and log energy, so they can tell painted strokes that follow forms from isotropic grain and from
a photo's clean straight edges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import keras
from keras import ops
from stylecut.core.errors import ModelError

from .losses import luma

__all__ = ["DiscriminatorConfig", "MultiScaleDiscriminator", "high_pass_grey", "orientation_field"]


@dataclass(frozen=True, kw_only=True)
class DiscriminatorConfig:
    """Width and depth of each PatchGAN head and which views are judged."""

    channels: int = 48
    layers: int = 3
    scales: tuple[int, ...] = (1, 2)
    high_pass: bool = True
    orientation: bool = False
    orientation_scales: tuple[int, ...] = (2,)

    def __post_init__(self) -> None:
        if not self.orientation_scales or any(s not in (1, 2) for s in self.orientation_scales):
            raise ModelError("orientation_scales must hold 1 (full resolution) and/or 2 (½). "
                             f"Received: orientation_scales={self.orientation_scales!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def high_pass_grey(x: Any) -> Any:
    """Luma minus its 5×5 box blur, ×4: the texture band of an image in [-1, 1]."""
    grey = luma(x)
    padded = ops.pad(grey, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
    blur = ops.average_pool(padded, pool_size=5, strides=1, padding="valid")
    return 4.0 * (grey - blur)


def orientation_field(x: Any, *, sigma_pool: int = 5, scale: int = 2) -> Any:
    """(B, H/scale, W/scale, 3): structure-tensor orientation of the luma of ``x`` in [-1, 1].

    Channels: ((Jxx − Jyy), 2·Jxy) ÷ (Jxx + Jyy) — the doubled-angle direction scaled by
    coherence — and log of the gradient energy; J is smoothed over ``sigma_pool``² pixels and
    average-pooled by ``scale`` (1 or 2)."""
    grey = luma(x)
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
    if scale > 1:
        j = ops.average_pool(j, pool_size=scale, strides=scale, padding="valid")
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
        scales = c.orientation_scales if c.orientation else ()
        # one attribute per scale (not a list): checkpoints of earlier runs keep their names
        self.strokes = _patch_head(c.channels, c.layers, 3, "strokes") if 2 in scales else None
        self.strokes_x1 = _patch_head(c.channels, c.layers, 3, "strokes_x1") if 1 in scales else None

    def call(self, x: Any, training: bool | None = None) -> list[Any]:
        outs = []
        for scale, head in zip(self.config.scales, self.heads, strict=True):
            view = x if scale == 1 else ops.average_pool(x, scale, strides=scale, padding="valid")
            outs.append(head(view, training=training))
        if self.texture is not None:
            outs.append(self.texture(high_pass_grey(x), training=training))
        for scale, head in ((2, self.strokes), (1, self.strokes_x1)):
            if head is not None:
                outs.append(head(orientation_field(x, scale=scale), training=training))
        return outs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "config": self.config.to_dict()}
