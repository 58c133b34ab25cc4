"""``stylecut preview``: the preview and scrubbing app (needs the ``preview`` extra: PySide6,
pyqtgraph). Qt is imported only when the command runs, never by ``stylecut.plugin.cli``."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import click

from .cli import cli

__all__ = ["preview_cmd"]

INSTALL_HINT = "pip install 'stylecut[preview]'"


def _parse_box(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) >= 16 for p in parts):
        raise click.BadParameter(f"use WIDTHxHEIGHT, e.g. 960x540. Received: preview_size={text!r}",
                                 param_hint="--preview-size")
    return int(parts[0]), int(parts[1])


def qt_available() -> bool:
    """True when PySide6's widgets and pyqtgraph import (a missing system library such as libGL
    or libEGL also shows up as an ImportError)."""
    try:
        importlib.import_module("PySide6.QtWidgets")
        importlib.import_module("pyqtgraph")
    except ImportError:
        return False
    return True


@cli.command("preview")
@click.argument("clip", required=False, type=click.Path(path_type=Path))
@click.option("--style", metavar="NAME|PATH", default=None,
              help="Style to preview (default: the first installed style).")
@click.option("--keyframes", type=click.Path(path_type=Path), metavar="CURVE.json", default=None,
              help="Strength curve to load (default: CLIP.keyframes.json beside the clip, if present).")
@click.option("--preview-size", default="640x360", show_default=True, metavar="WxH",
              help="Box the preview (and its proxy) fits in.")
@click.option("--no-proxy", is_flag=True, help="Scrub the original directly (no proxy is built).")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Folder for proxies (default: $STYLECUT_CACHE/proxies, else the user cache folder's "
                   "stylecut/proxies, ~/.cache/stylecut/proxies on Linux).")
def preview_cmd(clip: Path | None, style: str | None, keyframes: Path | None, preview_size: str,
                no_proxy: bool, cache_dir: Path | None) -> None:
    """Scrub CLIP with a live styled preview, edit the strength curve, export.

    Keys: Space play/pause, J/K/L shuttle, ←/→ step, Home/End, I/O marks, W A/B wipe,
    F fit, 1 100 %, Delete key, Ctrl+Z/Ctrl+Shift+Z undo/redo, Ctrl+S save curve, Ctrl+E export.
    """
    box = _parse_box(preview_size)
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    if not qt_available():
        click.echo(f"stylecut: the preview app needs Qt: {INSTALL_HINT}", err=True)
        raise click.exceptions.Exit(1)
    from .preview.qt_platform import platform_problem

    problem = platform_problem()
    if problem is not None:
        click.echo(f"stylecut: error: {problem}", err=True)
        raise click.exceptions.Exit(1)
    try:
        from .preview.app import run_app
    except ModuleNotFoundError as exc:  # a build that left the subpackage out
        if not (exc.name or "").startswith("stylecut.plugin.preview"):
            raise
        click.echo(f"stylecut: this installation has no preview app ({exc.name} is missing); "
                   "reinstall stylecut", err=True)
        raise click.exceptions.Exit(1) from None

    status = run_app(clip, style=style, keyframes=keyframes, preview_box=box, use_proxy=not no_proxy,
                     proxy_dir=cache_dir / "proxies" if cache_dir is not None else None)
    if status:
        raise click.exceptions.Exit(status)
