"""The bpy-free part of the Blender add-on: what to render and how.

Samples the strip's strength F-curve (anything with ``evaluate(frame)``) into stylecut keyframes
JSON in clip-local seconds (seconds from the start of the strip's media, as the engine's curves
are), works out the strip's visible media frames, names the baked file and builds the
``stylecut render`` command. Blender's own Python runs this module, so it needs only the
standard library (and Python 3.10).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "ADDON_NAME",
    "CONFIG_FILE",
    "BakePlan",
    "StripInfo",
    "baked_path",
    "build_command",
    "fcurve_data_paths",
    "keyframes_json",
    "make_plan",
    "media_range",
    "resolve_stylecut_bin",
    "sample_strength",
]

ADDON_NAME = "stylecut_vse"
CONFIG_FILE = "stylecut_config.json"
# the add-on runs in Blender's Python without stylecut.core: a copy of core.TemporalMode, first the
# default (tests/test_blender.py checks it against core)
TEMPORAL_MODES = ("stable", "off")


class Evaluable(Protocol):
    def evaluate(self, frame: float) -> float: ...


@dataclass(frozen=True)
class StripInfo:
    """What the bake needs to know about a movie strip (timeline frames)."""

    name: str
    filepath: str
    frame_start: int  # where media frame 0 sits on the timeline
    frame_final_start: int  # first visible timeline frame
    frame_final_end: int  # one past the last visible timeline frame
    channel: int
    animation_offset_start: int = 0  # media frames cut from the strip's head ("hold offset")


@dataclass(frozen=True)
class BakePlan:
    strip: StripInfo
    media_in: int  # first media frame to render (inclusive)
    media_out: int  # where to stop (exclusive)
    keyframes: dict[str, Any]
    output: Path


def media_range(strip: StripInfo) -> tuple[int, int]:
    """The strip's visible media frames as (in, out) media frame numbers, out exclusive."""
    first = strip.frame_final_start - strip.frame_start + strip.animation_offset_start
    length = strip.frame_final_end - strip.frame_final_start
    if length <= 0:
        raise ValueError(f"Strip {strip.name!r} shows no frames. Received: length={length}")
    first = max(0, first)
    return first, first + length


def sample_strength(
    strip: StripInfo, fps: float, fcurve: Evaluable | None, constant: float = 1.0
) -> list[tuple[float, float]]:
    """(clip-local seconds, strength) for every visible frame; ``fcurve`` None: the constant.

    ``fps`` is the movie's own rate (not the scene's): timeline frames map one-to-one to media
    frames, and media frame ``i`` is at ``i / fps`` clip-local seconds."""
    if fps <= 0:
        raise ValueError(f"fps must be positive. Received: fps={fps!r}")
    first, _ = media_range(strip)
    samples = []
    for i, frame in enumerate(range(strip.frame_final_start, strip.frame_final_end)):
        value = constant if fcurve is None else float(fcurve.evaluate(frame))
        samples.append(((first + i) / fps, min(1.0, max(0.0, value))))
    return samples


def keyframes_json(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """A stylecut keyframes document (linear keys); runs of equal values collapse to their ends."""
    keys: list[tuple[float, float]] = []
    for i, (t, v) in enumerate(samples):
        if 0 < i < len(samples) - 1 and samples[i - 1][1] == v == samples[i + 1][1]:
            continue
        keys.append((t, v))
    return {"format": "stylecut.keyframes", "version": 1,
            "keys": [{"time": round(t, 9), "value": round(v, 6), "interp": "linear"} for t, v in keys]}


def fcurve_data_paths(strip_name: str, prop: str = "stylecut_strength") -> list[str]:
    """Data paths Blender may use for a strip property: < 4.4 ``sequences_all``, ≥ 4.4 ``strips_all``."""
    quoted = strip_name.replace("\\", "\\\\").replace('"', '\\"')
    return [f'sequence_editor.{coll}["{quoted}"].{prop}' for coll in ("sequences_all", "strips_all")]


def baked_path(strip: StripInfo, out_dir: str | os.PathLike[str]) -> Path:
    """``<out_dir>/<media stem>.<strip name>.stylecut.mp4`` (names made filesystem-safe)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(strip.filepath).stem) or "clip"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", strip.name) or "strip"
    return Path(out_dir) / f"{stem}.{name}.stylecut.mp4"


def make_plan(strip: StripInfo, fps: float, fcurve: Evaluable | None, constant: float,
              out_dir: str | os.PathLike[str]) -> BakePlan:
    media_in, media_out = media_range(strip)
    keys = keyframes_json(sample_strength(strip, fps, fcurve, constant))
    return BakePlan(strip, media_in, media_out, keys, baked_path(strip, out_dir))


def build_command(stylecut_bin: str, plan: BakePlan, style: str, keyframes_file: str | os.PathLike[str],
                  temporal: str = "stable") -> list[str]:
    if not style:
        raise ValueError("Choose a style (a style name or a style card's path) before baking.")
    if temporal not in TEMPORAL_MODES:
        raise ValueError(f"temporal must be one of {TEMPORAL_MODES}. Received: temporal={temporal!r}")
    return [stylecut_bin, "render", plan.strip.filepath, "-o", str(plan.output), "--style", style,
            "--keyframes", str(keyframes_file), "--in", str(plan.media_in), "--out", str(plan.media_out),
            "--temporal", temporal, "--overwrite", "-q", "--progress-json"]


def last_progress(log_text: str) -> float | None:
    """Fraction done from the last ``--progress-json`` line in the engine's stderr, if any."""
    for line in reversed(log_text.splitlines()):
        line = line.strip()
        if line.startswith("{") and '"done"' in line:
            try:
                data = json.loads(line)
                return max(0.0, min(1.0, data["done"] / data["total"])) if data["total"] else None
            except (ValueError, KeyError, TypeError):
                return None
    return None


def resolve_stylecut_bin(preference: str = "", env: Mapping[str, str] | None = None,
                         addon_dir: str | os.PathLike[str] | None = None) -> str:
    """The preference, else ``$STYLECUT_BIN``, else the path ``stylecut blender install`` recorded,
    else ``stylecut`` on PATH. Raises ValueError when none is found."""
    environ: Mapping[str, str] = os.environ if env is None else env
    if preference:
        return preference
    if environ.get("STYLECUT_BIN"):
        return environ["STYLECUT_BIN"]
    if addon_dir is not None:
        config = Path(addon_dir) / CONFIG_FILE
        try:
            recorded = json.loads(config.read_text(encoding="utf-8")).get("stylecut_bin", "")
        except (OSError, ValueError):
            recorded = ""
        if recorded:
            return str(recorded)
    found = shutil.which("stylecut")
    if found:
        return found
    raise ValueError("The stylecut executable was not found: run `stylecut blender install`, set "
                     "STYLECUT_BIN, or set the path in the add-on's preferences.")
