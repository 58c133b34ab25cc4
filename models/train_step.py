"""One optimisation step of the style trainer on the TensorFlow, JAX or torch backend.

The losses are written once with Keras layers and ``keras.ops`` (:class:`StepModels.losses`);
what differs per backend is how gradients are taken and state is updated, as in the keras.io
GAN examples: TensorFlow records a ``GradientTape`` inside a ``tf.function``, JAX runs the
losses in a ``keras.StatelessScope`` and differentiates a pure, jitted function (the variables
live in a state tuple between steps and are written back by :meth:`TrainStep.sync`), torch
uses autograd eagerly. Each step returns the losses as floats.
"""

from __future__ import annotations

from typing import Any, Protocol

import keras
import numpy as np
from keras import ops
from stylecut.core.errors import ModelError

__all__ = ["StepModels", "TrainStep", "make_train_step"]

class StepModels(Protocol):
    """What a step needs from the trainer."""

    g: keras.Model
    d: keras.Model
    g_ema: keras.Model
    opt_g: keras.optimizers.Optimizer
    opt_d: keras.optimizers.Optimizer
    seed: keras.random.SeedGenerator
    adversarial: bool

    def losses(self, content: Any, style: Any) -> tuple[Any, Any, dict[str, Any]]:
        """(generator loss, discriminator loss or None, named losses) for one batch."""


class TrainStep(Protocol):
    def __call__(
        self, content: np.ndarray, style: np.ndarray, *, lr_g: float, lr_d: float, ema_decay: float
    ) -> dict[str, float]: ...

    def sync(self) -> None:
        """Write the step's state into the Keras variables (before samples and checkpoints)."""


def make_train_step(models: StepModels) -> TrainStep:
    """The train step of the current Keras backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _TensorFlowStep(models)
    if backend == "jax":
        return _JaxStep(models)
    if backend == "torch":
        return _TorchStep(models)
    raise ModelError(
        f"Training runs on the tensorflow, jax and torch Keras backends. Received: KERAS_BACKEND={backend!r}"
    )


def _set_learning_rates(models: StepModels, lr_g: float, lr_d: float) -> None:
    models.opt_g.learning_rate = lr_g
    models.opt_d.learning_rate = lr_d


def _floats(losses: dict[str, Any]) -> dict[str, float]:
    return {k: float(ops.convert_to_numpy(v)) for k, v in losses.items()}


class _TensorFlowStep:
    def __init__(self, models: StepModels) -> None:
        import tensorflow as tf

        self.m = models
        self._tf = tf
        self._fn = tf.function(self._impl, reduce_retracing=True)

    def _impl(self, content: Any, style: Any, decay: Any) -> dict[str, Any]:
        tf, m = self._tf, self.m
        with tf.GradientTape(persistent=True) as tape:
            g_loss, d_loss, losses = m.losses(content, style)
        if m.adversarial:
            d_grads = tape.gradient(d_loss, m.d.trainable_variables)
            m.opt_d.apply_gradients(zip(d_grads, m.d.trainable_variables, strict=True))
        g_grads = tape.gradient(g_loss, m.g.trainable_variables)
        del tape
        m.opt_g.apply_gradients(zip(g_grads, m.g.trainable_variables, strict=True))
        for ema_w, w in zip(m.g_ema.weights, m.g.weights, strict=True):
            ema_w.assign(decay * ema_w + (1.0 - decay) * ops.cast(w, ema_w.dtype))
        return losses

    def __call__(
        self, content: np.ndarray, style: np.ndarray, *, lr_g: float, lr_d: float, ema_decay: float
    ) -> dict[str, float]:
        _set_learning_rates(self.m, lr_g, lr_d)
        tf = self._tf
        return _floats(self._fn(tf.constant(content), tf.constant(style), tf.constant(ema_decay, tf.float32)))

    def sync(self) -> None:
        pass


class _TorchStep:
    def __init__(self, models: StepModels) -> None:
        import torch

        self.m = models
        self._torch = torch

    def __call__(
        self, content: np.ndarray, style: np.ndarray, *, lr_g: float, lr_d: float, ema_decay: float
    ) -> dict[str, float]:
        torch, m = self._torch, self.m
        _set_learning_rates(m, lr_g, lr_d)
        g_loss, d_loss, losses = m.losses(ops.convert_to_tensor(content), ops.convert_to_tensor(style))
        # Both gradients at the weights the losses saw (as the TF tape and jax.vjp take them):
        # updating D first would change, in place, tensors the generator's graph still needs.
        d_vars = m.d.trainable_variables if m.adversarial else []
        g_vars = m.g.trainable_variables
        d_grads = (torch.autograd.grad(d_loss, [v.value for v in d_vars], retain_graph=True,
                                       allow_unused=True) if d_vars else ())
        g_grads = torch.autograd.grad(g_loss, [v.value for v in g_vars], allow_unused=True)
        with torch.no_grad():
            if d_vars:
                m.opt_d.apply([_zero_if_none(g, v) for g, v in zip(d_grads, d_vars, strict=True)], d_vars)
            m.opt_g.apply([_zero_if_none(g, v) for g, v in zip(g_grads, g_vars, strict=True)], g_vars)
            for ema_w, w in zip(m.g_ema.weights, m.g.weights, strict=True):
                ema_w.assign(ema_decay * ema_w.value + (1.0 - ema_decay) * ops.cast(w.value, ema_w.dtype))
        return _floats(losses)

    def sync(self) -> None:
        pass


def _zero_if_none(grad: Any, var: Any) -> Any:
    return ops.zeros_like(var.value) if grad is None else grad


class _JaxStep:
    """The step as a pure function of a state tuple, jitted; ``sync`` writes the state back."""

    def __init__(self, models: StepModels) -> None:
        import jax

        self.m = models
        self._jax = jax
        m = models
        self._g_train = list(m.g.trainable_variables)
        self._g_rest = list(m.g.non_trainable_variables)
        self._d_train = list(m.d.trainable_variables)
        self._d_rest = list(m.d.non_trainable_variables)
        self._state: tuple[Any, ...] | None = None
        self._fn = jax.jit(self._impl)

    def _read_state(self) -> tuple[Any, ...]:
        m = self.m

        def values(vs: list[Any]) -> list[Any]:
            return [v.value for v in vs]

        return (
            values(self._g_train), values(self._g_rest), values(self._d_train), values(self._d_rest),
            values(m.opt_g.variables), values(m.opt_d.variables), values(m.g_ema.weights), m.seed.state.value,
        )

    def _impl(self, state: tuple[Any, ...], content: Any, style: Any, lr_g: Any, lr_d: Any,
              decay: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        jax, m = self._jax, self.m
        g_train, g_rest, d_train, d_rest, opt_g, opt_d, ema, seed = state

        def forward(g_vals: list[Any], d_vals: list[Any]) -> tuple[tuple[Any, Any], tuple[Any, ...]]:
            mapping = [
                *zip(self._g_train, g_vals, strict=True), *zip(self._g_rest, g_rest, strict=True),
                *zip(self._d_train, d_vals, strict=True), *zip(self._d_rest, d_rest, strict=True),
                (m.seed.state, seed),
            ]
            with keras.StatelessScope(state_mapping=mapping) as scope:
                g_loss, d_loss, losses = m.losses(content, style)
            if d_loss is None:
                d_loss = ops.zeros(())
            after = (
                [scope.get_current_value(v) for v in self._g_rest],
                [scope.get_current_value(v) for v in self._d_rest],
                scope.get_current_value(m.seed.state),
                losses,
            )
            return (g_loss, d_loss), after

        _, vjp, (g_rest, d_rest, seed, losses) = jax.vjp(forward, g_train, d_train, has_aux=True)
        one, zero = ops.ones(()), ops.zeros(())
        g_grads = vjp((one, zero))[0]
        opt_g = _with_learning_rate(m.opt_g, opt_g, lr_g)
        g_train, opt_g = m.opt_g.stateless_apply(opt_g, g_grads, g_train)
        if m.adversarial:
            d_grads = vjp((zero, one))[1]
            opt_d = _with_learning_rate(m.opt_d, opt_d, lr_d)
            d_train, opt_d = m.opt_d.stateless_apply(opt_d, d_grads, d_train)
        new_g = dict(zip(map(id, self._g_train), g_train, strict=True))
        new_g.update(zip(map(id, self._g_rest), g_rest, strict=True))
        ema = [decay * e + (1.0 - decay) * ops.cast(new_g[id(w)], e.dtype)
               for e, w in zip(ema, m.g.weights, strict=True)]
        return (g_train, g_rest, d_train, d_rest, opt_g, opt_d, ema, seed), losses

    def __call__(
        self, content: np.ndarray, style: np.ndarray, *, lr_g: float, lr_d: float, ema_decay: float
    ) -> dict[str, float]:
        if self._state is None:
            self._state = self._read_state()
        self._state, losses = self._fn(
            self._state, content, style, np.float32(lr_g), np.float32(lr_d), np.float32(ema_decay)
        )
        return _floats(losses)

    def sync(self) -> None:
        if self._state is None:
            return
        m = self.m
        g_train, g_rest, d_train, d_rest, opt_g, opt_d, ema, seed = self._state
        groups = [
            (self._g_train, g_train), (self._g_rest, g_rest),
            (self._d_train, d_train), (self._d_rest, d_rest),
            (m.opt_g.variables, opt_g), (m.opt_d.variables, opt_d), (m.g_ema.weights, ema),
            ([m.seed.state], [seed]),
        ]
        for variables, values in groups:
            for v, x in zip(variables, values, strict=True):
                v.assign(x)
        self._state = None  # re-read after sync: the variables may be changed (restore, init)


def _with_learning_rate(opt: keras.optimizers.Optimizer, values: list[Any], lr: Any) -> list[Any]:
    index = next(i for i, v in enumerate(opt.variables) if v is opt._learning_rate)
    values = list(values)
    values[index] = ops.cast(lr, values[index].dtype)
    return values
