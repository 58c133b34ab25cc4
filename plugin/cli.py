"""The ``stylecut`` command line.

Exit codes: 0 ok; 2 bad usage or bad input (one ``stylecut: error: …`` line on stderr, click's
usage errors included); 1 an unexpected internal failure; 130 cancelled (Ctrl-C); 143 terminated
(SIGTERM, during the commands that write media). ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import click
from stylecut.core import (
    CODEC_PRESETS,
    DEFAULT_TEMPORAL,
    FOLLOW_PANS_STABILISER,
    Curve,
    EncodeSettings,
    RenderCancelled,
    RenderSettings,
    StylecutError,
    Stylizer,
    TemporalMode,
    build_index,
    frame_range,
    parse_strength,
    probe,
    render,
)
from stylecut.models import StyleCard, default_style, find_style, list_styles, load_stylizer

from .progress import JsonProgress, ProgressBar, warn_stderr

__all__ = ["cli", "main"]


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C (temp files removed), then exits 128 + 15."""

    exit_code = 128 + signal.SIGTERM


@contextlib.contextmanager
def sigterm_cancels() -> Iterator[None]:
    """While the block runs (on the main thread), SIGTERM raises :class:`Terminated`, so a render
    removes its temp file and the command exits 143 with one message."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _OneLineError(click.UsageError):
    """A click usage error shown as the one ``stylecut: error: …`` line (exit 2)."""

    def __init__(self, original: click.ClickException, ctx: click.Context | None) -> None:
        super().__init__(original.format_message(), ctx)
        self.exit_code = original.exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        hint = ""
        if self.ctx is not None and self.ctx.command.get_help_option(self.ctx) is not None:
            hint = f" (see '{self.ctx.command_path} --help')"
        click.echo(f"stylecut: error: {self.format_message()}{hint}", file=file, err=file is None)


def _one_line(exc: click.ClickException) -> click.ClickException:
    if isinstance(exc, (_OneLineError, click.exceptions.NoArgsIsHelpError)):
        return exc
    return _OneLineError(exc, getattr(exc, "ctx", None))


class _Group(click.Group):
    """Translates stylecut errors, and click's usage errors, into one stderr line and the
    documented exit codes (``--help`` and ``--version`` work as usual)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:  # e.g. an unknown option before the command
            raise _one_line(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except Terminated:
            if debug:
                raise
            click.echo("stylecut: terminated (SIGTERM); no output was written", err=True)
            ctx.exit(Terminated.exit_code)
        except (KeyboardInterrupt, RenderCancelled):
            if debug:
                raise
            click.echo("\nstylecut: cancelled; no output was written", err=True)
            ctx.exit(130)
        except StylecutError as exc:
            if debug:
                raise
            click.echo(f"stylecut: error: {exc}", err=True)
            ctx.exit(2)
        except click.ClickException as exc:  # unknown command/option, missing or bad value
            raise _one_line(exc) from exc
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            if debug:
                raise
            click.echo(
                f"stylecut: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback)", err=True,
            )
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.version_option(package_name="stylecut")
def cli(debug: bool) -> None:
    """stylecut: GAN-trained, real-time video style transfer as an editor effect.

    Times (T) are a frame number (90), seconds (3s, 1.5s) or a timecode (00:00:03:00).
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="stylecut")


# --- helpers ---------------------------------------------------------------------------------


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise click.BadParameter(f"use WIDTHxHEIGHT, e.g. 1280x720. Received: size={text!r}",
                                 param_hint="--size")
    return int(parts[0]), int(parts[1])


def _strength_curve(fps: Fraction, strength: str | None, keyframes: Path | None, *,
                    vfr: bool = False) -> Curve:
    if strength is not None and keyframes is not None:
        raise click.UsageError("Give either --strength or --keyframes, not both.")
    if keyframes is not None:
        return Curve.load(keyframes)
    if strength is None:
        return Curve.constant(1.0)
    return parse_strength(strength, fps, vfr=vfr)


def _find_style(name: str) -> StyleCard:
    """The style ``name`` (an installed name or a card/weights path); unreadable cards of other
    user styles are skipped with a warning."""
    return find_style(name, warn=warn_stderr)


def _load_style(name: str) -> Stylizer:
    return load_stylizer(_find_style(name))


# What one frame of a batch costs in the model, per pixel: measured with the default style
# rendering 640x360 at --batch 1, 16 and 64 (peak RSS +54, +197, +498 MB: 7-9.5 MB a frame,
# 31-41 bytes per pixel; the larger figure is used).
MODEL_BYTES_PER_PIXEL = 41
_BATCH_MEMORY_CAP = 2 << 30  # bytes for one batch, and at most a quarter of the RAM


def _memory_budget() -> int:
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _BATCH_MEMORY_CAP
    return min(_BATCH_MEMORY_CAP, max(ram // 4, 256 << 20))


def batch_within_memory(batch: int, width: int, height: int, budget: int | None = None) -> tuple[
        int, str | None]:
    """``batch`` clamped so that a batch of ``width`` x ``height`` frames fits the memory
    budget, with the note to print when it was clamped."""
    budget = _memory_budget() if budget is None else budget
    per_frame = MODEL_BYTES_PER_PIXEL * width * height
    cap = max(1, budget // per_frame)
    if batch <= cap:
        return batch, None
    return cap, (f"--batch {batch} clamped to {cap}: a {width}x{height} frame takes about "
                 f"{per_frame / 1e6:.1f} MB in the model and a batch is kept under "
                 f"{budget / 2**30:.1f} GB")


def _echo_note(text: str) -> None:
    click.echo(f"stylecut: note: {text}", err=True)


# --- commands --------------------------------------------------------------------------------

_CODEC_HELP = ", ".join(CODEC_PRESETS)


@cli.command("render")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Output file; its extension picks the container (.mp4 .mov .mkv .webm .avi).")
@click.option("--style", "style", metavar="NAME|PATH", required=True,
              help="An installed style's name (see `stylecut styles`) or a style card/weights path.")
@click.option("--strength", metavar="S|T:S,…",
              help="Constant strength 0..1 (0.7) or keys TIME:VALUE[@interp] (0:0,2s:1,5.5s:0.4).")
@click.option("--keyframes", type=click.Path(path_type=Path), metavar="CURVE.json",
              help="Strength curve as keyframes JSON (clip-local seconds).")
@click.option("--codec", type=click.Choice(list(CODEC_PRESETS)), default=None,
              help="Video codec preset (default: from the extension; h264 for .mp4/.mov/.mkv).")
@click.option("--crf", type=int, default=None, help="Quality for h264/hevc/vp9 (lower is better).")
@click.option("--speed", default=None, metavar="PRESET",
              help="x264/x265 speed preset (ultrafast … veryslow; default medium).")
@click.option("--in", "in_point", metavar="T", help="First frame to render (inclusive).")
@click.option("--out", "out_point", metavar="T", help="Where to stop (exclusive).")
@click.option("--size", metavar="WxH", default=None,
              help="Scale the output to WxH pixels (e.g. 1280x720); default: the source size.")
@click.option("--temporal", type=click.Choice(TemporalMode.choices()), default=DEFAULT_TEMPORAL.value,
              show_default=True,
              help="stable: blend with the motion-compensated previous output where it is reliable "
                   "(no flicker in static areas); off: every frame on its own.")
@click.option("--follow-pans", is_flag=True,
              help="With --temporal stable: where the camera pans, the held paint of plain areas "
                   "(sky, walls) moves with the picture instead of staying on the screen. Fixed shots "
                   "are unchanged. Off by default: a flicker measure without optical flow counts "
                   "that motion as flicker (docs/benchmarks.md).")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="Frames per stylizer call (clamped to what fits in memory at the frame size).")
@click.option("--no-audio", is_flag=True, help="Drop the audio (it is passed through by default).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--progress-json", is_flag=True,
              help="Report progress as JSON lines on stderr (done, total, fps, eta) for front-ends.")
@sigterm_cancels()
def render_cmd(
    source: Path, output: Path, style: str, strength: str | None, keyframes: Path | None,
    codec: str | None, crf: int | None, speed: str | None, in_point: str | None,
    out_point: str | None, size: str | None, temporal: str, follow_pans: bool, batch: int | None,
    no_audio: bool, overwrite: bool, quiet: bool, progress_json: bool,
) -> None:
    """Render SOURCE with a style into OUTPUT (atomically; audio passed through)."""
    if follow_pans and TemporalMode(temporal) is not TemporalMode.STABLE:
        raise click.UsageError(f"--follow-pans needs --temporal stable. Received: --temporal {temporal}")
    encode = EncodeSettings(codec=codec, crf=crf, speed=speed)
    video = probe(source).video  # bad input first: missing file, not media, no video
    fps = video.fps
    curve = _strength_curve(fps, strength, keyframes, vfr=video.vfr)
    start, stop = (None, None) if in_point is None and out_point is None else frame_range(
        build_index(source), fps, in_point, out_point, source=source.name)
    out_size = _parse_size(size)
    if batch is not None:
        width, height = out_size or (video.width, video.height)
        batch, clamped = batch_within_memory(batch, width, height)
        if clamped is not None:
            _echo_note(clamped)
    settings = RenderSettings(encode=encode, start=start, stop=stop, batch_size=batch,
                              overwrite=overwrite, audio=not no_audio, size=out_size,
                              temporal=temporal)
    if follow_pans:
        settings = replace(settings, stabiliser=FOLLOW_PANS_STABILISER)
    encode.preset_for(output)
    stylizer = _load_style(style)
    if progress_json:
        result = render(source, output, stylizer, strength=curve, settings=settings,
                        progress=JsonProgress(), on_note=_echo_note)
    else:
        with ProgressBar(f"{source.name} → {output.name}", quiet=quiet) as bar:
            result = render(source, output, stylizer, strength=curve, settings=settings, progress=bar,
                            on_note=_echo_note)
    click.echo(str(result.output))
    if not quiet:
        click.echo(f"stylecut: {result.frames} frames in {result.seconds:.1f}s "
                   f"({result.fps:.1f} fps)", err=True)


@cli.command("probe")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stdout carries only JSON).")
def probe_cmd(source: Path, as_json: bool) -> None:
    """Describe SOURCE: streams, codec, size, fps, frames, rotation, colour, audio."""
    info = probe(source)
    if as_json:
        click.echo(json.dumps(info.to_dict(), indent=2))
        return
    v = info.video
    colour = v.colour.to_dict()
    lines = [
        f"file       {info.path} ({info.format}, {info.size_bytes / 1e6:.2f} MB)",
        f"duration   {float(info.duration):.3f}s",
        f"video      #{v.index} {v.codec}{f' ({v.profile})' if v.profile else ''} "
        f"{v.width}x{v.height} {v.pix_fmt} {v.bit_depth}-bit",
        f"rate       {v.fps} fps ({float(v.fps):.3f}){' variable' if v.vfr else ''}, "
        f"{v.frame_count} frames, time base {v.time_base}",
        f"rotation   {v.rotation}°",
        f"colour     matrix {colour['matrix']}, range {colour['range']}, "
        f"primaries {colour['primaries']}, transfer {colour['transfer']}",
    ]
    for x in info.extra_video:
        kind = "cover art" if x.attached_picture else (
            f"{x.fps} fps" + (f", {x.frame_count} frames" if x.frame_count else "")
            if x.fps else "rate unknown")
        lines.append(f"video      #{x.index} {x.codec} {x.width}x{x.height} ({kind}; not rendered: "
                     f"stylecut renders #{v.index})")
    for a in info.audio:
        lines.append(f"audio      #{a.index} {a.codec} {a.sample_rate} Hz {a.layout} "
                     f"({a.channels} ch)")
    if not info.audio:
        lines.append("audio      none")
    for other in info.other_streams:
        lines.append(f"other      {other}")
    click.echo("\n".join(lines))


@cli.command("styles")
@click.option("--json", "as_json", is_flag=True, help="Print the style cards as JSON.")
def styles_cmd(as_json: bool) -> None:
    """List installed styles with their cards."""
    cards = list_styles(warn=warn_stderr)
    if as_json:
        click.echo(json.dumps([{"name": c.name, "weights": str(c.weights_path), **c.data}
                               for c in cards], indent=2))
        return
    if not cards:
        click.echo("No styles are installed. (Shipped styles live in the package's models/styles; "
                   "user styles go in $STYLECUT_STYLES.)")
        return
    default = default_style(cards)
    for c in cards:
        click.echo(f"{c.name}{'  (default)' if c is default else ''}")
        for line in _card_lines(c):
            click.echo(f"    {line}")


def _card_lines(card: StyleCard) -> list[str]:
    """A style card's description, training and evaluation summary, and path."""
    lines = [card.description] if card.description else []
    summary, parts = card.summary, []
    if summary.steps is not None:
        parts.append(f"{summary.steps} steps" + (f" from {summary.init}" if summary.init else ""))
    if summary.wall_time_s is not None:
        minutes = f"{summary.wall_time_s / 60:.0f} min training"
        if summary.wall_time_with_init_s is not None:
            minutes += f" ({summary.wall_time_with_init_s / 60:.0f} min with its --init)"
        parts.append(minutes)
    if summary.ratios:
        parts.append("vs Reinhard: " + ", ".join(f"{k} {v:.2f}x" for k, v in summary.ratios.items()))
    if summary.output:
        parts.append(", ".join(f"{k} {v:.2f}" for k, v in summary.output.items()))
    if summary.tone_anchor is not None:
        parts.append(f"tone anchor {summary.tone_anchor:g}")
    if parts:
        lines.append("; ".join(parts))
    lines.append(str(card.card_path))
    return lines


@cli.command("codecs")
def codecs_cmd() -> None:
    """List the output codec presets and the containers that hold them."""
    for p in CODEC_PRESETS.values():
        click.echo(f"{p.name:11s} {p.description}  [{' '.join(p.containers)}]")


@cli.command("demo")
@click.argument("clip", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("stylecut-demo"),
              show_default=True, help="Folder for the demo clip, render and contact sheet.")
@click.option("--style", default=None, help="Style to use (default: the default shipped style).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@sigterm_cancels()
def demo_cmd(clip: Path | None, output_dir: Path, style: str | None, quiet: bool) -> None:
    """Render a generated clip (or CLIP) with a strength ramp 0 → 1 → 0.5 and a contact sheet."""
    from .demo import run_demo

    run_demo(clip, output_dir, style, quiet=quiet, echo=click.echo)


from . import blender_cmd, evaluate_cmd, otio_cmd, preview_cmd, train_cmd  # noqa: E402,F401

if __name__ == "__main__":  # pragma: no cover
    main()
