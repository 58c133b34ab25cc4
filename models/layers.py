"""Serialisable Keras 3 layers used by the generators (pure ``keras.ops``)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = [
    "BilinearUp2",
    "BinomialBlur",
    "DepthToSpace",
    "InstanceNorm",
    "ReflectPad",
    "ResidualBlock",
    "SpaceToDepth",
]


class _FactorLayer(keras.layers.Layer):
    """Base of the space/depth layers: one integer ``factor`` >= 1, which is the whole config."""

    def __init__(self, factor: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if factor < 1:
            raise ValueError(f"factor must be >= 1. Received: factor={factor}")
        self.factor = int(factor)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="stylecut")
class SpaceToDepth(_FactorLayer):
    """(B, H, W, C) -> (B, H/f, W/f, C·f²): full-resolution pixels folded into channels."""

    def call(self, x: Any) -> Any:
        f = self.factor
        shape = ops.shape(x)
        b, h, w, c = shape[0], shape[1], shape[2], x.shape[-1]
        x = ops.reshape(x, (b, h // f, f, w // f, f, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (b, h // f, w // f, c * f * f))

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        b, h, w, c = input_shape
        f = self.factor
        return (b, None if h is None else h // f, None if w is None else w // f, c * f * f)


@keras.saving.register_keras_serializable(package="stylecut")
class DepthToSpace(_FactorLayer):
    """(B, H, W, C·f²) -> (B, H·f, W·f, C): the inverse of ``SpaceToDepth``."""

    def call(self, x: Any) -> Any:
        f = self.factor
        shape = ops.shape(x)
        b, h, w, c = shape[0], shape[1], shape[2], x.shape[-1]
        out_c = c // (f * f)
        x = ops.reshape(x, (b, h, w, f, f, out_c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (b, h * f, w * f, out_c))

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        b, h, w, c = input_shape
        f = self.factor
        return (b, None if h is None else h * f, None if w is None else w * f, c // (f * f))


@keras.saving.register_keras_serializable(package="stylecut")
class ReflectPad(keras.layers.Layer):
    """Reflect-pads H and W by ``pad`` (zero padding leaves coloured borders in GANs)."""

    def __init__(self, pad: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, x: Any) -> Any:
        p = self.pad
        return ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        b, h, w, c = input_shape
        p = 2 * self.pad
        return (b, None if h is None else h + p, None if w is None else w + p, c)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pad": self.pad}


@keras.saving.register_keras_serializable(package="stylecut")
class InstanceNorm(keras.layers.Layer):
    """Per image and channel: subtract the spatial mean, divide by the spatial std, then a learned
    scale and offset (Ulyanov 2016). Statistics in float32; the same at batch 1 as in training."""

    def __init__(self, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape: tuple[Any, ...]) -> None:
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, x: Any) -> Any:
        x32 = ops.cast(x, "float32")
        mean = ops.mean(x32, axis=(1, 2), keepdims=True)
        var = ops.mean(ops.square(x32 - mean), axis=(1, 2), keepdims=True)
        scale = ops.rsqrt(var + self.epsilon) * ops.cast(self.gamma, "float32")
        shift = ops.cast(self.beta, "float32") - mean * scale
        return x * ops.cast(scale, x.dtype) + ops.cast(shift, x.dtype)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="stylecut")
class ResidualBlock(keras.layers.Layer):
    """conv3×3 → LeakyReLU → conv3×3, added back scaled by ``residual_scale``. ``norm=True``
    instance-normalises after each conv (per image and channel, so batch 1 behaves as in
    training). ``separable`` uses depthwise-separable convolutions; ``dilation`` widens the
    receptive field."""

    def __init__(
        self,
        channels: int,
        *,
        separable: bool = False,
        dilation: int = 1,
        residual_scale: float = 0.2,
        norm: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.norm = bool(norm)
        self.channels = int(channels)
        self.separable = bool(separable)
        self.dilation = int(dilation)
        self.residual_scale = float(residual_scale)
        conv = keras.layers.SeparableConv2D if separable else keras.layers.Conv2D
        self.conv1 = conv(channels, 3, padding="same", dilation_rate=dilation, name="conv1")
        self.conv2 = conv(channels, 3, padding="same", name="conv2")
        self.act = keras.layers.LeakyReLU(0.2)
        if self.norm:
            self.norm1 = InstanceNorm(name="norm1")
            self.norm2 = InstanceNorm(name="norm2")

    def build(self, input_shape: tuple[Any, ...]) -> None:
        self.conv1.build(input_shape)
        self.conv2.build(input_shape[:-1] + (self.channels,))
        if self.norm:
            self.norm1.build(input_shape[:-1] + (self.channels,))
            self.norm2.build(input_shape[:-1] + (self.channels,))

    def call(self, x: Any) -> Any:
        if self.norm:
            y = self.norm2(self.conv2(self.act(self.norm1(self.conv1(x)))))
        else:
            y = self.conv2(self.act(self.conv1(x)))
        return x + self.residual_scale * y

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "channels": self.channels,
            "separable": self.separable,
            "dilation": self.dilation,
            "residual_scale": self.residual_scale,
            "norm": self.norm,
        }


@keras.saving.register_keras_serializable(package="stylecut")
class BinomialBlur(keras.layers.Layer):
    """(B, H, W, C) -> same: separable [1, 2, 1]/4 blur, edges repeated. Placed before a stride-2
    conv it removes what would alias (Zhang 2019, "Making convolutional networks shift-invariant
    again"), so the subsampled grid's phase matters less."""

    def call(self, x: Any) -> Any:
        for axis in (1, 2):
            pad = [(0, 0)] * 4
            pad[axis] = (1, 1)
            p = ops.pad(x, pad, mode="symmetric")
            if axis == 1:
                x = 0.25 * p[:, :-2] + 0.5 * p[:, 1:-1] + 0.25 * p[:, 2:]
            else:
                x = 0.25 * p[:, :, :-2] + 0.5 * p[:, :, 1:-1] + 0.25 * p[:, :, 2:]
        return x

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        return input_shape


@keras.saving.register_keras_serializable(package="stylecut")
class BilinearUp2(keras.layers.Layer):
    """(B, H, W, C) -> (B, 2H, 2W, C): bilinear ×2 (half-pixel centres, edges clamped), written
    with pads and weighted sums so it works for any H×W, traced with unknown sizes, on every
    backend. Equal to ``UpSampling2D(2, interpolation="bilinear")``."""

    def call(self, x: Any) -> Any:
        x = self._up(x, axis=1)
        return self._up(x, axis=2)

    @staticmethod
    def _up(x: Any, axis: int) -> Any:
        pad = [(0, 0)] * 4
        pad[axis] = (1, 1)
        p = ops.pad(x, pad, mode="symmetric")  # by 1: repeats the edge
        if axis == 1:
            before, centre, after = p[:, :-2], p[:, 1:-1], p[:, 2:]
        else:
            before, centre, after = p[:, :, :-2], p[:, :, 1:-1], p[:, :, 2:]
        both = ops.stack([0.75 * centre + 0.25 * before, 0.75 * centre + 0.25 * after], axis=axis + 1)
        shape = ops.shape(x)
        new = [shape[0], shape[1], shape[2], x.shape[-1]]
        new[axis] = shape[axis] * 2
        return ops.reshape(both, new)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        b, h, w, c = input_shape
        return (b, None if h is None else 2 * h, None if w is None else 2 * w, c)
