"""Adversarial + perceptual training of a style generator on any Keras 3 backend.

The generator learns against a multi-scale PatchGAN (non-saturating BCE by default) and, with
``w_style`` > 0, Gram-matrix style and content losses on frozen VGG16 features
(``models.perceptual``; the Johnson 2016 recipe). ``w_adv = 0`` trains the perceptual-only
baseline with the same generator and no discriminator, so the adversarial term's contribution
can be measured. Adam with TTUR and a linear decay, EMA generator, DiffAugment for the discriminator,
multi-scale (and rotated) random crops of the style source, checkpoints with exact resume,
fixed-seed sample sheets and a diversity (mode-collapse) monitor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops
from stylecut.core.errors import ModelError
from stylecut.core.metrics import diversity_ratio
from stylecut.core.sheets import contact_sheet, save_png

from .data import ImageSet, load_images, manifest_entry, random_crops, split_held_out
from .discriminators import MultiScaleDiscriminator
from .generators import GeneratorConfig, build_generator
from .losses import (
    RandomFeatures,
    colour_moment_loss,
    content_loss,
    diff_augment,
    discriminator_loss,
    generator_adversarial_loss,
    gram_style_loss,
    layout_loss,
    raster_loss,
    temporal_loss,
)
from .perceptual import (
    VGGFeatures,
    gram_matrix,
    perceptual_content_loss,
    perceptual_style_loss,
    total_variation,
)
from .train_config import (
    COLOUR_MATCH,
    TrainConfig,
    TrainResult,
    TrainStatus,
    recipe_name,
)
from .train_step import make_train_step

__all__ = [
    "COLOUR_MATCH", "TrainConfig", "TrainResult", "TrainStatus", "checkpoint_style", "train",
]

def _learning_rate(base: float, step: int, steps: int, start: float, time_fraction: float) -> float:
    """Constant until ``start`` of the run, then down to 10 % at its end; the run's progress is
    its step ÷ steps or, with a wall-time limit, the larger of that and ``time_fraction``."""
    progress = max(step / steps, time_fraction)
    frac = min(1.0, max(0.0, (progress - start) / max(1e-6, 1.0 - start)))
    return base * (1.0 - 0.9 * frac)


class _Trainer:
    def __init__(self, cfg: TrainConfig, data_root: Path | None) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        keras.utils.set_random_seed(cfg.seed)
        previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(cfg.precision)
        try:
            self.g = build_generator(cfg.generator)
            self.d = MultiScaleDiscriminator(cfg.discriminator)
            self.d.build((None, cfg.crop, cfg.crop, 3))
            self.d(ops.zeros((1, cfg.crop, cfg.crop, 3)))
            self.vgg = VGGFeatures(cfg.perceptual.layers) if cfg.uses_vgg else None
        finally:
            keras.mixed_precision.set_global_policy(previous)
        self.g_ema = build_generator(cfg.generator, name="generator_ema")
        self.g_ema.set_weights(self.g.get_weights())
        self.features = RandomFeatures() if cfg.w_gram > 0 else None
        if self.features is not None:
            self.features(ops.zeros((1, 64, 64, 3)))
        self.adversarial = cfg.w_adv > 0
        self.opt_g = keras.optimizers.Adam(cfg.lr_g, 0.5, 0.99)
        self.opt_d = keras.optimizers.Adam(cfg.lr_d, 0.5, 0.99)
        self.opt_g.build(self.g.trainable_variables)
        self.opt_d.build(self.d.trainable_variables)
        self.seed = keras.random.SeedGenerator(cfg.seed)
        self.steps_done = 0
        self.rng = np.random.default_rng(cfg.seed)
        self.data_root = data_root
        self.resumed_wall_time = 0.0  # training seconds before this process (set by restore)
        self._load_data()
        self.style_source = _style_source(cfg.style, cfg.style_video)
        self.gram_targets = self._gram_targets() if cfg.w_style > 0 else {}
        self._step_fn = make_train_step(self)

    # --- data -------------------------------------------------------------------------------
    def _load_data(self) -> None:
        cfg = self.cfg
        if cfg.style_video:
            self.style = load_images([Path(cfg.style_video)], video_frames=48, root=self.data_root)
        else:
            self.style = load_images([Path(s) for s in cfg.style], root=self.data_root)
        content = load_images([Path(c) for c in cfg.content], max_side=640, root=self.data_root)
        self.train_set, self.held_out = (
            split_held_out(content, cfg.held_out) if cfg.held_out else (content, ImageSet((), ()))
        )
        n = min(8, len(self.held_out.images) or len(self.train_set.images))
        pool = self.held_out.images or self.train_set.images
        m = cfg.generator.multiple
        fixed = []
        for img in pool[:n]:
            h, w = img.shape[:2]
            s = 256 / min(h, w)
            img = ops.convert_to_numpy(
                ops.image.resize(img[None].astype(np.float32), (round(h * s), round(w * s)), antialias=True)
            )[0]
            h, w = img.shape[:2]
            fixed.append(np.clip(img[: h - h % m, : w - w % m], 0, 255).astype(np.uint8))
        self.fixed = fixed

    def _content_batch(self) -> np.ndarray:
        c = self.cfg
        return random_crops(
            self.train_set.images,
            c.batch,
            c.crop,
            self.rng,
            short_side=(int(c.crop * c.content_scale[0]), int(c.crop * c.content_scale[1])),
        )

    def _style_batch(self, rng: np.random.Generator | None = None, *, rotate: bool = True) -> np.ndarray:
        """A batch of style crops at the training scale (``style_scale``), rotated for the
        discriminator; ``rng`` defaults to the run's own."""
        c = self.cfg
        return random_crops(
            self.style.images,
            c.batch,
            c.crop,
            self.rng if rng is None else rng,
            short_side=(int(c.crop * c.style_scale[0]), int(c.crop * c.style_scale[1])),
            rotate=rotate,
        )

    def _gram_targets(self, batches: int = 8) -> dict[str, Any]:
        """The style's Gram matrix per style layer: the mean over ``batches`` batches of
        unrotated style crops at the training scale (their own rng: the run's stays as it was)."""
        assert self.vgg is not None
        c = self.cfg
        rng = np.random.default_rng(c.seed + 1)
        sums: dict[str, Any] = {}
        for _ in range(batches):
            feats = self.vgg(ops.convert_to_tensor(self._style_batch(rng, rotate=False)))  # [-1, 1] floats
            for layer in c.perceptual.style_layers:
                g = ops.sum(gram_matrix(feats[layer]), axis=0)
                sums[layer] = sums[layer] + g if layer in sums else g
        return {k: v / float(batches * c.batch) for k, v in sums.items()}

    # --- one step -----------------------------------------------------------------------------
    def losses(self, content: Any, style: Any) -> tuple[Any, Any, dict[str, Any]]:
        """(generator loss, discriminator loss or None, named losses) for one batch, written with
        ``keras.ops`` only (``models.train_step`` takes the gradients on each backend)."""
        c = self.cfg
        fake = ops.cast(self.g(content, training=True), "float32")
        cont = content_loss(content, fake)
        colour = colour_moment_loss(fake, style, per_image=c.colour_match == "image")
        losses = {"content": cont, "colour": colour}
        g_loss = c.w_content * cont + c.w_colour * colour
        d_loss = None
        if self.adversarial:
            def f32(xs: list[Any]) -> list[Any]:
                return [ops.cast(x, "float32") for x in xs]

            d_real = self.d(diff_augment(style, self.seed), training=True)
            d_fake = self.d(diff_augment(ops.stop_gradient(fake), self.seed), training=True)
            d_loss = discriminator_loss(f32(d_real), f32(d_fake), c.loss)
            g_fake = self.d(diff_augment(fake, self.seed), training=True)
            adv = generator_adversarial_loss(f32(g_fake), c.loss)
            g_loss += c.w_adv * adv
            losses.update(d=d_loss, adv=adv)
        if self.vgg is not None:
            f_out = self.vgg(fake)
            if c.w_style > 0:
                vgg_style = perceptual_style_loss(f_out, self.gram_targets, c.perceptual)
                g_loss += c.w_style * vgg_style
                losses["style"] = vgg_style
            if c.w_perceptual_content > 0:
                layer = c.perceptual.content_layer
                f_in = {layer: ops.stop_gradient(self.vgg(content, until=layer)[layer])}
                vgg_content = perceptual_content_loss(f_in, f_out, layer)
                g_loss += c.w_perceptual_content * vgg_content
                losses["vgg_content"] = vgg_content
        if c.w_tv > 0:
            tv = total_variation(fake)
            g_loss += c.w_tv * tv
            losses["tv"] = tv
        if c.w_raster > 0:
            raster = raster_loss(content, fake)
            g_loss += c.w_raster * raster
            losses["raster"] = raster
        if c.w_layout > 0:
            layout = layout_loss(content, fake)
            g_loss += c.w_layout * layout
            losses["layout"] = layout
        if c.w_temporal > 0:
            temp = temporal_loss(self.g, content, fake, self.seed, noise=c.temporal_noise)
            temp = ops.cast(temp, "float32")
            g_loss += c.w_temporal * temp
            losses["temporal"] = temp
        if self.features is not None:
            gram = gram_style_loss(self.features, fake, style)
            g_loss += c.w_gram * gram
            losses["gram"] = gram
        losses["g"] = g_loss
        return g_loss, d_loss, losses

    def train_step(
        self, content: np.ndarray, style: np.ndarray, time_fraction: float = 0.0
    ) -> dict[str, float]:
        """One step on a batch of content and style crops ([-1, 1] floats, as ``random_crops``
        cuts them); ``time_fraction``: the share of ``max_minutes`` trained so far (the learning
        rate decays by the larger of it and the step's share of ``steps``). Returns the losses."""
        c, n = self.cfg, self.steps_done
        losses = self._step_fn(
            content, style,
            lr_g=_learning_rate(c.lr_g, n, c.steps, c.decay_start, time_fraction),
            lr_d=_learning_rate(c.lr_d, n, c.steps, c.decay_start, time_fraction),
            ema_decay=min(c.ema, (1.0 + n) / (10.0 + n)),
        )
        self.steps_done += 1
        return losses

    # --- checkpoints, samples -----------------------------------------------------------------
    def _state_groups(self) -> dict[str, list[Any]]:
        return {
            "g": self.g.weights, "d": self.d.weights, "g_ema": self.g_ema.weights,
            "opt_g": self.opt_g.variables, "opt_d": self.opt_d.variables, "seed": [self.seed.state],
        }

    def save_checkpoint(self, wall_time: float | None = None) -> Path:
        """Write the full training state; ``wall_time``: training seconds so far (all segments)."""
        self._step_fn.sync()
        step = self.steps_done
        prefix = self.out / "checkpoints" / f"step-{step:07d}"
        prefix.parent.mkdir(parents=True, exist_ok=True)
        _write_variables(prefix.with_suffix(".state.npz"), self._state_groups())
        state = {"step": step, "rng": self.rng.bit_generator.state, "config": self.cfg.to_dict(),
                 "wall_time": wall_time, "held_out": list(self.held_out.names),
                 "style_source": self.style_source, "format": _CHECKPOINT_FORMAT}
        (prefix.parent / f"step-{step:07d}.json").write_text(json.dumps(state))
        (prefix.parent / "latest").write_text(prefix.name)
        return prefix

    def restore(self, checkpoint_dir: Path) -> int:
        latest = checkpoint_dir / "latest"
        if not latest.exists():
            raise ModelError(
                f"No checkpoint to resume in {checkpoint_dir}. Received: resume={str(checkpoint_dir)!r}"
            )
        prefix = checkpoint_dir / latest.read_text().strip()
        _read_variables(_state_file(prefix), self._state_groups())
        state = json.loads(prefix.with_suffix(".json").read_text())
        self.rng.bit_generator.state = state["rng"]
        self.resumed_wall_time = float(state.get("wall_time") or 0.0)
        self.steps_done = int(state["step"])
        return self.steps_done

    def stylize_fixed(self, model: keras.Model | None = None) -> list[np.ndarray]:
        self._step_fn.sync()
        model = model or self.g_ema
        outs = []
        for img in self.fixed:
            x = ops.convert_to_tensor(img[None].astype(np.float32) / 127.5 - 1.0)
            y = keras.ops.convert_to_numpy(model(x, training=False))[0]
            outs.append(np.clip(np.rint((y + 1.0) * 127.5), 0, 255).astype(np.uint8))
        return outs

    def sample_sheet(self) -> tuple[Path, float]:
        outs = self.stylize_fixed()
        step = self.steps_done
        style = self.style.images[0]
        rows = [[i, o, style] for i, o in zip(self.fixed[:4], outs[:4], strict=False)]
        (self.out / "samples").mkdir(exist_ok=True)
        path = save_png(
            self.out / "samples" / f"step-{step:07d}.png",
            contact_sheet(rows, column_labels=["input", "output", "style"]),
        )
        return path, diversity_ratio(self.fixed, outs)


def train(
    cfg: TrainConfig,
    *,
    resume: bool = False,
    data_root: Path | None = None,
    progress: Callable[[TrainStatus], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train (or resume) a style; returns the EMA generator and what its card records.

    Ctrl-C (KeyboardInterrupt) saves a checkpoint before it propagates."""
    trainer = _Trainer(cfg, data_root)
    start = 0
    if resume:
        start = trainer.restore(Path(cfg.out) / "checkpoints")
    elif cfg.init:
        _init_from_style(trainer, cfg.init)
    log = (Path(cfg.out) / "train.log.jsonl").open("a", encoding="utf-8")
    t0 = time.perf_counter()
    done_steps = 0
    last_div: float | None = None
    try:
        for step in range(start, cfg.steps):
            fraction = 0.0
            if cfg.max_minutes is not None:
                so_far = trainer.resumed_wall_time + time.perf_counter() - t0
                fraction = so_far / (60.0 * cfg.max_minutes)
            losses = trainer.train_step(trainer._content_batch(), trainer._style_batch(), fraction)
            done_steps += 1
            elapsed = time.perf_counter() - t0
            message = None
            n = step + 1
            trained_s = trainer.resumed_wall_time + elapsed
            time_up = cfg.max_minutes is not None and trained_s >= 60 * cfg.max_minutes
            if n % cfg.sample_every == 0 or n == cfg.steps or time_up:
                sheet, last_div = trainer.sample_sheet()
                losses["diversity"] = last_div
                message = f"sample sheet {sheet.name}, diversity {last_div:.2f}"
                if last_div < 0.3:
                    message += " — WARNING: outputs are collapsing (diversity < 0.3)"
            if n % cfg.checkpoint_every == 0 and n != cfg.steps and not time_up:
                trainer.save_checkpoint(trainer.resumed_wall_time + elapsed)
            if n % 10 == 0 or message:
                log.write(
                    json.dumps(
                        {"step": n, "time": round(elapsed, 2), **{k: round(v, 5) for k, v in losses.items()}}
                    )
                    + "\n"
                )
                log.flush()
            if progress is not None:
                progress(TrainStatus(n, cfg.steps, losses, elapsed, done_steps / max(elapsed, 1e-9), message))
            if stop is not None and stop():
                break
            if time_up:
                break
    except KeyboardInterrupt:
        trainer.save_checkpoint(trainer.resumed_wall_time + time.perf_counter() - t0)
        raise
    finally:
        log.close()
    trainer.save_checkpoint(trainer.resumed_wall_time + time.perf_counter() - t0)  # also syncs the state
    return TrainResult(
        generator=trainer.g_ema,
        generator_config=cfg.generator,
        config=cfg.to_dict(),
        recipe=cfg.recipe,
        steps=trainer.steps_done,
        wall_time=trainer.resumed_wall_time + time.perf_counter() - t0,  # all segments
        held_out=tuple(trainer.held_out.names),
        style_source=trainer.style_source,
        diversity=last_div,
        trainer=trainer,
    )


def _style_source(style: Sequence[str], style_video: str | None) -> dict[str, str]:
    if style:
        return manifest_entry(Path(style[0]))
    return {"file": Path(style_video or "").name}


def _wall_time_at(log_path: Path, step: int) -> float | None:
    """Training seconds up to ``step`` from a run's log (resumed segments are added up)."""
    if not log_path.exists():
        return None
    offset = last = 0.0
    with log_path.open(encoding="utf-8") as log:
        for line in log:
            try:
                entry = json.loads(line)
                n, t = int(entry["step"]), float(entry["time"])
            except (ValueError, KeyError, TypeError):
                continue
            if t < last:  # a resumed run restarts its clock
                offset += last
            last = t
            if n == step:
                return offset + t
    return None


def checkpoint_style(run: Path, step: int | None = None, *, data_root: Path | None = None) -> TrainResult:
    """The EMA generator saved at checkpoint ``step`` (default: the latest) of the run folder
    ``run``, with what its style card needs (``diversity`` None; ``wall_time`` may be None).

    Checkpoints record their training time, held-out list and style source; for checkpoints
    written before they did, the time comes from the run's log and the held-out list is
    recomputed from the content (names relative to ``data_root``, default: the first content
    folder's parent, as in training)."""
    folder = Path(run) / "checkpoints"
    saved = sorted(int(p.stem.removeprefix("step-")) for p in folder.glob("step-*.json"))
    if not saved:
        raise ModelError(f"{run} is not a training run folder (no checkpoints in {folder}). "
                         f"Received: run={str(run)!r}")
    if step is None:
        step = saved[-1]
    if step not in saved:
        raise ModelError(f"Run {run} has checkpoints at steps {saved}. Received: step={step!r}")
    prefix = folder / f"step-{step:07d}"
    try:
        state = json.loads(prefix.with_suffix(".json").read_text(encoding="utf-8"))
        config = state["config"]
        generator_config = GeneratorConfig.from_dict(config["generator"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"Checkpoint {prefix}.json cannot be read: {exc}. Received: step={step}") from exc
    generator = build_generator(generator_config, name="generator_ema")
    _read_generator(prefix, generator)
    held_out = state.get("held_out")
    if held_out is None and config.get("held_out"):
        contents = [Path(c) for c in config["content"]]
        root = data_root or contents[0].resolve().parent  # as `stylecut train` stores names
        held_out = split_held_out(load_images(contents, max_side=640, root=root), config["held_out"])[1].names
    source = state.get("style_source") or _style_source(config["style"], config.get("style_video"))
    return TrainResult(
        generator=generator,
        generator_config=generator_config,
        config=config,
        recipe=recipe_name(  # configs from before the VGG losses: adversarial + random features
            float(config.get("w_adv", 1.0)), float(config.get("w_style", 0.0)),
            float(config.get("w_perceptual_content", 0.0)),
        ),
        steps=step,
        wall_time=state.get("wall_time") or _wall_time_at(Path(run) / "train.log.jsonl", step),
        held_out=tuple(held_out or ()),
        style_source=source,
    )


_CHECKPOINT_FORMAT = "stylecut-train-state-1"


def _write_variables(path: Path, groups: dict[str, list[Any]]) -> None:
    """The variables' values as ``GROUP/INDEX`` arrays in one .npz, written atomically."""
    arrays = {
        f"{name}/{i}": v.numpy() for name, vs in groups.items() for i, v in enumerate(vs)
    }
    tmp = path.with_name(path.name + ".partial")
    with tmp.open("wb") as f:
        np.savez(f, **arrays)
    tmp.replace(path)


def _state_file(prefix: Path) -> Path:
    """The .state.npz of checkpoint ``prefix``; a clear error for the TensorFlow-format checkpoints
    of runs trained before it."""
    path = prefix.with_suffix(".state.npz")
    if not path.exists() and prefix.with_suffix(".index").exists():
        raise ModelError(f"Checkpoint {prefix} is in the TensorFlow format of runs trained before "
                         f"{_CHECKPOINT_FORMAT}; export it with `stylecut export-style` on the TensorFlow "
                         f"backend, or train again. Received: checkpoint={str(prefix)!r}")
    return path


def _read_variables(path: Path, groups: dict[str, list[Any]]) -> None:
    """Assign the groups' variables from a .npz written by :func:`_write_variables`."""
    try:
        with np.load(path) as saved:
            for name, vs in groups.items():
                n = sum(1 for k in saved.files if k.split("/")[0] == name)
                if n != len(vs):
                    raise ValueError(f"{name} has {n} saved variables, the model {len(vs)}")
                for i, v in enumerate(vs):
                    value = saved[f"{name}/{i}"]
                    if tuple(value.shape) != tuple(v.shape):
                        raise ValueError(f"{v.path} is {tuple(v.shape)}, saved {value.shape}")
                    v.assign(value)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(
            f"Checkpoint {path} cannot be restored: {exc}. Received: checkpoint={str(path)!r}"
        ) from exc


def _read_generator(prefix: Path, generator: keras.Model) -> None:
    """The EMA generator's weights from a checkpoint, also from the tf.train.Checkpoint files of
    runs trained before the .state.npz format (on the TensorFlow backend)."""
    if prefix.with_suffix(".state.npz").exists() or keras.backend.backend() != "tensorflow":
        _read_variables(_state_file(prefix), {"g_ema": generator.weights})
        return
    import tensorflow as tf

    try:
        tf.train.Checkpoint(g_ema=generator).read(str(prefix)).expect_partial().assert_existing_objects_matched()
    except (tf.errors.OpError, AssertionError, ValueError) as exc:
        raise ModelError(
            f"Checkpoint {prefix} cannot be restored: {exc}. Received: checkpoint={str(prefix)!r}"
        ) from exc


def _init_from_style(trainer: _Trainer, init: str) -> None:
    from .registry import find_style

    card = find_style(init)
    cfg = GeneratorConfig.from_dict(card.data.get("generator", {}))
    if cfg != trainer.cfg.generator:
        raise ModelError(
            f"--init style {card.name!r} has generator {cfg}, but this run builds "
            f"{trainer.cfg.generator}. Received: init={init!r}"
        )
    trainer.g.load_weights(card.weights_path)
    trainer.g_ema.set_weights(trainer.g.get_weights())
