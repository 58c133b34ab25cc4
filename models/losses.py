"""Training losses (pure ``keras.ops``): adversarial, content, colour, random-feature style,
temporal equivariance, and the differentiable augmentation the discriminator sees.

None of these is the evaluation metric (patch sliced-Wasserstein on a Laplacian pyramid):
training against the metric would make it measure nothing.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from stylecut.core.colour import BT601_LUMA

__all__ = [
    "ADVERSARIAL_LOSSES",
    "colour_moment_loss",
    "content_loss",
    "diff_augment",
    "discriminator_loss",
    "generator_adversarial_loss",
    "luma",
    "random_affine",
    "raster_loss",
    "RandomFeatures",
    "gram_style_loss",
    "temporal_loss",
]

ADVERSARIAL_LOSSES = ("bce", "hinge", "lsgan")


def discriminator_loss(real: list[Any], fake: list[Any], kind: str = "bce") -> Any:
    """Mean over views of the discriminator loss (non-saturating BCE by default)."""
    total = 0.0
    for r, f in zip(real, fake, strict=True):
        if kind == "bce":
            total += ops.mean(ops.softplus(-r)) + ops.mean(ops.softplus(f))
        elif kind == "hinge":
            total += ops.mean(ops.relu(1.0 - r)) + ops.mean(ops.relu(1.0 + f))
        elif kind == "lsgan":
            total += ops.mean(ops.square(r - 1.0)) + ops.mean(ops.square(f))
        else:
            raise ValueError(
                f"Unknown adversarial loss; use one of {ADVERSARIAL_LOSSES}. Received: kind={kind!r}"
            )
    return total / len(real)


def generator_adversarial_loss(fake: list[Any], kind: str = "bce") -> Any:
    """The generator's side: non-saturating BCE (−log D(G(x))), hinge or LSGAN."""
    total = 0.0
    for f in fake:
        if kind == "bce":
            total += ops.mean(ops.softplus(-f))
        elif kind == "hinge":
            total += -ops.mean(f)
        elif kind == "lsgan":
            total += ops.mean(ops.square(f - 1.0))
        else:
            raise ValueError(
                f"Unknown adversarial loss; use one of {ADVERSARIAL_LOSSES}. Received: kind={kind!r}"
            )
    return total / len(fake)


def luma(x: Any) -> Any:
    """BT.601 luma of an RGB tensor (..., 3), keeping a channel axis of 1."""
    r, g, b = BT601_LUMA
    return r * x[..., 0:1] + g * x[..., 1:2] + b * x[..., 2:3]


def content_loss(inputs: Any, outputs: Any, *, pool: int = 4) -> Any:
    """L1 between the blurred (average-pooled) luminance of input and output: keeps forms and
    tonal layout while leaving texture and colour free."""
    a = ops.average_pool(luma(inputs), pool, strides=pool, padding="valid")
    b = ops.average_pool(luma(outputs), pool, strides=pool, padding="valid")
    return ops.mean(ops.abs(a - b))


def layout_loss(inputs: Any, outputs: Any, *, pool: int = 32) -> Any:
    """L1 between the coarse layouts of input and output: YUV average-pooled over ``pool``² cells,
    each minus its batch mean. Keeps what sets images apart at low frequency (a dark forest stays
    darker than a beach) while the painting owns the mean palette and every finer band."""
    a = ops.average_pool(_yuv(inputs), pool, strides=pool, padding="valid")
    b = ops.average_pool(_yuv(outputs), pool, strides=pool, padding="valid")
    a = a - ops.mean(a, axis=(0, 1, 2), keepdims=True)
    b = b - ops.mean(b, axis=(0, 1, 2), keepdims=True)
    return ops.mean(ops.abs(a - b))


def _yuv(x: Any) -> Any:
    y = luma(x)
    u = -0.147 * x[..., 0:1] - 0.289 * x[..., 1:2] + 0.436 * x[..., 2:3]
    v = 0.615 * x[..., 0:1] - 0.515 * x[..., 1:2] - 0.100 * x[..., 2:3]
    return ops.concatenate([y, u, v], axis=-1)


def colour_moment_loss(outputs: Any, style: Any, *, per_image: bool = True) -> Any:
    """Match the per-channel mean and std (YUV) of the outputs to those of the style crops (like
    Reinhard's transfer, but learned): holds palette and saturation against washed-out outputs.

    ``per_image`` matches each output's moments, pulling every image to the painting's mean
    colour; ``False`` matches the moments of the whole batch, so the palette holds on average
    while images keep their own tones (more diverse outputs)."""
    o, s = _yuv(outputs), _yuv(style)
    axes = (1, 2) if per_image else (0, 1, 2)
    om, osd = ops.mean(o, axis=axes), ops.std(o, axis=axes)
    sm, ssd = ops.mean(s, axis=(0, 1, 2)), ops.std(s, axis=(0, 1, 2))
    return ops.mean(ops.abs(om - sm)) + ops.mean(ops.abs(osd - ssd))


class RandomFeatures(keras.Model):
    """A fixed random-weight conv net whose Gram matrices describe texture statistics."""

    def __init__(self, channels: tuple[int, ...] = (32, 64, 64), seed: int = 1234, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        init = keras.initializers.HeNormal(seed=seed)
        self.convs = [
            keras.layers.Conv2D(
                c,
                3,
                strides=1 if i == 0 else 2,
                padding="same",
                kernel_initializer=init,
                use_bias=False,
                trainable=False,
            )
            for i, c in enumerate(channels)
        ]

    def call(self, x: Any) -> list[Any]:
        feats = []
        for conv in self.convs:
            x = ops.relu(conv(x))
            feats.append(x)
        return feats


def _gram(f: Any) -> Any:
    shape = ops.shape(f)
    b, hw, c = shape[0], shape[1] * shape[2], f.shape[-1]
    flat = ops.reshape(f, (b, hw, c))
    return ops.matmul(ops.transpose(flat, (0, 2, 1)), flat) / ops.cast(hw, f.dtype)


def gram_style_loss(features: RandomFeatures, outputs: Any, style: Any) -> Any:
    """Mean L1 between batch-mean Gram matrices of random features of outputs and style."""
    total = 0.0
    for fo, fs in zip(features(outputs), features(style), strict=True):
        go = ops.mean(_gram(fo), axis=0)
        gs = ops.mean(_gram(fs), axis=0)
        total += ops.mean(ops.abs(go - gs))
    return total


def random_affine(
    batch: int,
    *,
    max_shift: float,
    max_rotate: float,
    max_scale: float,
    size: tuple[Any, Any],
    seed: keras.random.SeedGenerator,
) -> Any:
    """Per-sample affine transforms (keras ``affine_transform`` format) for small camera moves."""
    h, w = size
    angle = keras.random.uniform((batch,), -max_rotate, max_rotate, seed=seed)
    scale = 1.0 + keras.random.uniform((batch,), -max_scale, max_scale, seed=seed)
    tx = keras.random.uniform((batch,), -max_shift, max_shift, seed=seed)
    ty = keras.random.uniform((batch,), -max_shift, max_shift, seed=seed)
    cos, sin = ops.cos(angle) / scale, ops.sin(angle) / scale
    cx, cy = ops.cast(w, "float32") / 2.0, ops.cast(h, "float32") / 2.0
    # output (x, y) samples input (a0 x + a1 y + a2, b0 x + b1 y + b2): rotate/scale about the centre
    a0, a1 = cos, -sin
    b0, b1 = sin, cos
    a2 = cx - a0 * cx - a1 * cy + tx
    b2 = cy - b0 * cx - b1 * cy + ty
    zeros = ops.zeros_like(a0)
    return ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def raster_loss(inputs: Any, outputs: Any, *, period: int = 4) -> Any:
    """Power (grey levels²) of the pattern the generator adds at the pixel raster's period: the
    change ``outputs − inputs`` averaged per phase ``(y mod period, x mod period)`` over the
    whole batch (a screen door is the same in every frame), less its mean over the phases: the
    batch's spectrum at the lattice frequencies (a strided trunk's fixed pattern). Never
    negative, so it cannot be gamed; the texture's own noise in the per-phase means adds a small
    floor (variance ÷ samples per phase). Inputs: (B, H, W, C) in [-1, 1]."""
    d = (ops.cast(outputs, "float32") - ops.cast(inputs, "float32")) * 127.5
    height, width, channels = d.shape[1], d.shape[2], d.shape[3]
    rows, cols = height // period * period, width // period * period
    x = ops.reshape(d[:, :rows, :cols], (-1, rows // period, period, cols // period, period, channels))
    means = ops.mean(x, axis=(0, 1, 3))  # (period, period, channels)
    return ops.mean(ops.square(means - ops.mean(means, axis=(0, 1), keepdims=True)))


def temporal_loss(
    generator: keras.Model,
    inputs: Any,
    outputs: Any,
    seed: keras.random.SeedGenerator,
    *,
    max_shift: float = 6.0,
    noise: float = 0.0,
) -> Any:
    """G(warp(x) + n) ≈ warp(G(x)) for random small affine moves (L1 inside a safe margin).

    ``noise``: σ of Gaussian noise n added to the moved input ([-1, 1] units): the next frame of
    a video is the same scene with fresh sensor/compression noise, which must not repaint it."""
    shape = ops.shape(inputs)
    transform = random_affine(
        shape[0], max_shift=max_shift, max_rotate=0.03, max_scale=0.03, size=(shape[1], shape[2]), seed=seed
    )

    def warp(img: Any) -> Any:
        return ops.image.affine_transform(img, transform, interpolation="bilinear", fill_mode="reflect")

    moved_in = warp(inputs)
    if noise > 0:  # the warp keeps the shape of the inputs
        moved_in = moved_in + noise * keras.random.normal(shape, seed=seed, dtype=moved_in.dtype)
    moved = ops.cast(generator(moved_in, training=True), "float32")
    target = warp(ops.cast(outputs, "float32"))
    m = 16  # ignore borders where reflection fill differs
    return ops.mean(ops.abs(moved[:, m:-m, m:-m] - target[:, m:-m, m:-m]))


def diff_augment(
    x: Any, seed: keras.random.SeedGenerator, *, translation: float = 0.125, cutout: float = 0.25
) -> Any:
    """DiffAugment (Zhao et al. 2020): colour, translation and cutout, differentiable, applied
    identically in kind to real and fake batches so the discriminator cannot memorise crops."""
    shape = ops.shape(x)
    b, h, w = shape[0], shape[1], shape[2]
    # colour: brightness, saturation, contrast
    x = x + keras.random.uniform((b, 1, 1, 1), -0.25, 0.25, seed=seed)
    mean = ops.mean(x, axis=-1, keepdims=True)
    x = (x - mean) * keras.random.uniform((b, 1, 1, 1), 0.6, 1.4, seed=seed) + mean
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    x = (x - mean) * keras.random.uniform((b, 1, 1, 1), 0.75, 1.25, seed=seed) + mean
    # translation by whole pixels with reflect fill
    hf, wf = ops.cast(h, "float32"), ops.cast(w, "float32")
    ty = ops.round(keras.random.uniform((b,), -translation, translation, seed=seed) * hf)
    tx = ops.round(keras.random.uniform((b,), -translation, translation, seed=seed) * wf)
    ones, zeros = ops.ones_like(tx), ops.zeros_like(tx)
    transform = ops.stack([ones, zeros, tx, zeros, ones, ty, zeros, zeros], axis=1)
    x = ops.image.affine_transform(x, transform, interpolation="nearest", fill_mode="reflect")
    # cutout: one zeroed rectangle per sample
    ch, cw = ops.cast(hf * cutout, "int32"), ops.cast(wf * cutout, "int32")
    cy = keras.random.uniform((b, 1, 1), 0.0, 1.0, seed=seed) * hf
    cx = keras.random.uniform((b, 1, 1), 0.0, 1.0, seed=seed) * wf
    yy = ops.cast(ops.arange(h), "float32")[None, :, None]
    xx = ops.cast(ops.arange(w), "float32")[None, None, :]
    inside = ops.logical_and(
        ops.abs(yy - cy) < ops.cast(ch, "float32") / 2, ops.abs(xx - cx) < ops.cast(cw, "float32") / 2
    )
    return x * ops.cast(ops.logical_not(inside), x.dtype)[..., None]
