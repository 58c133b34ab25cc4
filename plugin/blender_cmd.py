"""``stylecut blender install``: put the Blender VSE add-on into Blender (or into a zip).

The add-on (``plugin/blender``) is copied as the folder ``stylecut_vse`` with a config file that
records this install's ``stylecut`` executable, which the add-on's bake subprocess runs (Blender's
Python is not the project's environment).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import click
from stylecut.core import StylecutError

from .blender.bake_plan import ADDON_NAME, CONFIG_FILE
from .cli import cli

__all__ = ["addon_source", "blender_group", "blender_version", "install_addon", "stylecut_executable"]


def addon_source() -> Path:
    return Path(__file__).resolve().parent / "blender"


def stylecut_executable() -> str:
    """The ``stylecut`` next to this Python (the venv's console script), else the one on PATH."""
    exe = Path(sys.executable).with_name("stylecut")
    if exe.exists():
        return str(exe.absolute())
    return shutil.which("stylecut") or str(exe.absolute())


def blender_version(blender: str = "blender") -> str | None:
    """``"3.4"`` from ``blender --version``; None when Blender is not found."""
    path = shutil.which(blender)
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"Blender (\d+)\.(\d+)", out)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _files() -> list[Path]:
    return sorted(p for p in addon_source().glob("*.py"))


def _config_text() -> str:
    return json.dumps({"stylecut_bin": stylecut_executable()}, indent=2) + "\n"


def install_addon(target: Path) -> Path:
    """Copy the add-on into ``target`` (an ``addons`` folder) as ``stylecut_vse``; returns its folder."""
    dest = Path(target).absolute() / ADDON_NAME
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for src in _files():
        shutil.copy2(src, dest / src.name)
    (dest / CONFIG_FILE).write_text(_config_text(), encoding="utf-8")
    return dest


def write_zip(out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for src in _files():
            zf.write(src, f"{ADDON_NAME}/{src.name}")
        zf.writestr(f"{ADDON_NAME}/{CONFIG_FILE}", _config_text())
    os.replace(tmp, out)
    return out


@cli.group("blender")
def blender_group() -> None:
    """Blender VSE add-on: a Stylecut panel for movie strips (animatable strength, Bake)."""


@blender_group.command("install")
@click.option("--target", type=click.Path(path_type=Path), default=None,
              help="Blender's addons folder (default: ~/.config/blender/<version>/scripts/addons).")
@click.option("--zip", "zip_out", type=click.Path(path_type=Path), default=None,
              help="Write an installable zip instead (Preferences ▸ Add-ons ▸ Install…).")
@click.option("--blender", "blender_bin", default="blender", show_default=True,
              help="Blender executable used to detect the version.")
def install_cmd(target: Path | None, zip_out: Path | None, blender_bin: str) -> None:
    """Install the add-on (records this install's stylecut executable for its bakes)."""
    if zip_out is not None:
        click.echo(f"wrote {write_zip(zip_out)}")
        if target is None:
            return
    if target is None:
        version = blender_version(blender_bin)
        if version is None:
            raise StylecutError("Blender was not found to detect its version: pass --target (Blender's "
                                f"scripts/addons folder) or --zip. Received: blender={blender_bin!r}")
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        target = base / "blender" / version / "scripts" / "addons"
    dest = install_addon(target)
    click.echo(f"installed {dest} (stylecut: {stylecut_executable()})")
    click.echo("enable it in Edit ▸ Preferences ▸ Add-ons ▸ 'stylecut (VSE)', or: blender -b --python-expr "
               f"\"import addon_utils, bpy; addon_utils.enable('{ADDON_NAME}', default_set=True, "
               "persistent=True); bpy.ops.wm.save_userpref()\"")
