"""``stylecut otio``: put the stylecut effect on OpenTimelineIO timelines and bake it.

Needs the ``otio`` extra (opentimelineio, otio-fcp-adapter); it is imported only when an
``otio`` subcommand runs. ``otio render`` exits 1 when any clip failed (the others are still
rendered and relinked, and the timeline is written); bad input exits 2 as everywhere else.
``otio apply`` refuses (exit 2, nothing written) when the output format cannot carry the effect
(a Kdenlive project, for one): the written file is read back and checked. ``otio render`` on a
timeline where no clip carries the effect exits 2 instead of reporting "0 rendered".
"""

from __future__ import annotations

import importlib
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import click
from stylecut.core import DEFAULT_TEMPORAL, Curve, StylecutError, Stylizer, TemporalMode, parse_strength

from .cli import cli, sigterm_cancels
from .progress import ProgressBar

__all__ = ["otio_group"]

INSTALL_HINT = "pip install 'stylecut[otio]'"


class OtioMissingError(StylecutError, ImportError):
    """OpenTimelineIO is not installed."""


def _otio() -> ModuleType:
    try:
        return importlib.import_module("stylecut.plugin.otio")
    except ImportError as exc:
        raise OtioMissingError(f"The otio commands need OpenTimelineIO: {INSTALL_HINT}. "
                               f"Received: {exc}") from exc


def _write(timeline: object, path: Path, *, require_effect: bool = False) -> list[str]:
    return _otio().write_timeline(timeline, path, require_effect=require_effect)


@cli.group("otio")
def otio_group() -> None:
    """Apply and bake the stylecut effect on OpenTimelineIO timelines (.otio, FCP XML, …)."""


@otio_group.command("apply")
@click.argument("timeline", type=click.Path(path_type=Path))
@click.option("--clip", "clip_name", metavar="NAME", help="Every clip with this name.")
@click.option("--track", type=int, metavar="N", help="Every clip on track N (counted from 1).")
@click.option("--style", metavar="NAME|PATH", required=True, help="Style to apply.")
@click.option("--strength", metavar="S|T:S,…", default="1",
              help="Constant 0..1 or keys TIME:VALUE (clip-local seconds: from the media's start).")
@click.option("--temporal", type=click.Choice(TemporalMode.choices()), default=DEFAULT_TEMPORAL.value,
              show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Where to write the timeline (default: overwrite TIMELINE).")
def apply_cmd(timeline: Path, clip_name: str | None, track: int | None, style: str, strength: str,
              temporal: str, output: Path | None) -> None:
    """Add the stylecut.Stylize effect to clips of TIMELINE."""
    mod = _otio()
    tl = mod.read_timeline(timeline)
    # The style must exist now, not only when the timeline is rendered.
    importlib.import_module("stylecut.plugin.cli")._find_style(style)
    rate = Fraction(tl.global_start_time.rate).limit_denominator() if tl.global_start_time else Fraction(24)
    curve: Curve = parse_strength(strength, rate)
    n = mod.apply_effect(tl, clip=clip_name, track=track, style=style, curve=curve, temporal=temporal)
    # Read back and compared: a format that drops the effect is refused, nothing is written.
    _write(tl, output or timeline, require_effect=True)
    click.echo(f"stylecut: effect applied to {n} clip{'s' if n != 1 else ''}", err=True)


@otio_group.command("render")
@click.argument("timeline", type=click.Path(path_type=Path))
@click.option("--media-dir", type=click.Path(path_type=Path), required=True,
              help="Folder for the rendered clips.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Relinked timeline to write (extension picks the format: .otio, .xml for FCP 7).")
@click.option("--handles", type=click.IntRange(min=0), default=0, show_default=True,
              help="Extra frames rendered before and after each clip's range.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@sigterm_cancels()
def render_cmd(timeline: Path, media_dir: Path, output: Path, handles: int, quiet: bool) -> None:
    """Bake every clip with the effect into MEDIA_DIR and write a relinked timeline.

    Unchanged clips are reused; exits 1 when any clip failed (the rest are still relinked)."""
    mod = _otio()
    tl = mod.read_timeline(timeline)
    if not mod.styled_clips(tl):
        raise mod.OtioError(mod.no_effect_message(timeline))

    def factory(name: str) -> Stylizer:
        return importlib.import_module("stylecut.plugin.cli")._load_style(name)

    with ProgressBar(f"{timeline.name} → {media_dir}", quiet=quiet) as bar:
        report = mod.render_timeline(tl, media_dir, stylizer_factory=factory, handles=handles,
                                     progress=bar, base_dir=timeline.resolve().parent)
    lost = _write(tl, output)
    for r in report.results:
        detail = r.message if r.status == "error" else str(r.output)
        click.echo(f"  {r.status:8} {r.clip}: {detail}", err=True)
    click.echo(f"stylecut: {report.summary()}", err=True)
    if lost:
        click.echo(f"stylecut: note: {output.name} points at the baked media but keeps no stylecut effect "
                   f"({mod.format_name(output)} cannot hold it); render {timeline.name} again to re-bake",
                   err=True)
    click.echo(str(output))
    if report.failed:
        raise click.exceptions.Exit(1)
