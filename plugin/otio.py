"""OpenTimelineIO integration: put the stylecut effect on clips, bake it, relink the timeline.

The effect on a clip is an OTIO ``Effect`` named ``stylecut.Stylize`` whose metadata holds the
style, the strength keyframes (clip-local seconds: relative to the start of the source media, so
trimming a clip does not shift its curve) and the temporal mode. :func:`render_timeline` renders
each effected clip's source range (plus handles, and whatever an adjacent transition needs) from
its media reference into a media folder and relinks the clip to the rendered file; the original
reference is kept under ``clip.metadata["stylecut"]["original_media_reference"]`` so the effect
can be re-baked or removed. Only this module (and the CLI) imports ``opentimelineio``.

Interchange formats do not all keep OTIO effects and metadata (see docs/editors.md):

- FCP 7 XML (otio-fcp-adapter) drops OTIO effects and every metadata namespace but ``fcp_xml``;
  it reads ``<filter>`` elements as effects and writes ``metadata["fcp_xml"]`` back as XML. So
  :func:`write_timeline` stores the effect (and the bake state) as a ``<filter>`` whose
  ``<effect>`` is ``stylecut.Stylize`` with style / strength / temporal / bake parameters, and
  :func:`read_timeline` turns that filter back into the effect.
- Kdenlive (otio-kdenlive-adapter) keeps only fade, volume and brightness filters, no clip
  metadata and no clip markers: it cannot hold the effect. ``write_timeline(...,
  require_effect=True)`` (what ``otio apply`` uses) checks by reading the written file back and
  refuses, for this and any other format that loses the effect, without touching the output.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio import url_utils
from opentimelineio.opentime import RationalTime
from stylecut.core import (
    DEFAULT_TEMPORAL,
    Curve,
    EncodeSettings,
    Progress,
    RenderCancelled,
    RenderSettings,
    StylecutError,
    Stylizer,
    TemporalMode,
    build_index,
    render,
)

__all__ = [
    "EFFECT_NAME",
    "ClipResult",
    "OtioError",
    "RenderReport",
    "apply_effect",
    "effect_settings",
    "adapter_hint",
    "format_name",
    "no_effect_message",
    "read_timeline",
    "render_timeline",
    "styled_clips",
    "write_timeline",
]

EFFECT_NAME = "stylecut.Stylize"
_HASH_VERSION = 1


class OtioError(StylecutError, ValueError):
    """A timeline, clip selection or clip that stylecut cannot work with."""


@dataclass(frozen=True)
class ClipResult:
    """What happened to one effected clip: ``status`` is rendered, skipped or error."""

    clip: str
    status: str
    message: str = ""
    output: Path | None = None
    frames: int = 0


@dataclass
class RenderReport:
    """Per-clip results of :func:`render_timeline`."""

    results: list[ClipResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> bool:
        return any(r.status == "error" for r in self.results)

    def summary(self) -> str:
        return (f"{self.count('rendered')} rendered, {self.count('skipped')} unchanged, "
                f"{self.count('error')} failed")


# Timeline formats whose OTIO adapter is a separate package (OTIO >= 0.17 ships only .otio/.otiod/.otioz).
ADAPTER_PACKAGES = {
    "kdenlive": "otio-kdenlive-adapter",
    "xml": "otio-fcp-adapter",
    "fcpxml": "otio-fcpx-xml-adapter",
    "aaf": "otio-aaf-adapter",
    "edl": "otio-cmx3600-adapter",
    "ale": "otio-ale-adapter",
    "xges": "otio-xges-adapter",
    "svg": "otio-svg-adapter",
}


def adapter_hint(path: str | os.PathLike[str]) -> str:
    """What to install so OTIO can read/write ``path`` (for the no-adapter error)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    package = ADAPTER_PACKAGES.get(suffix)
    if package is not None:
        return (f"no OpenTimelineIO adapter for .{suffix} files is installed; "
                f"install it with `pip install {package}`")
    known = ", ".join(f".{s}" for s in sorted(otio.adapters.suffixes_with_defined_adapters()))
    return f"no OpenTimelineIO adapter handles .{suffix or '(no extension)'} files (installed: {known})"


# Formats that store OTIO objects themselves: everything survives, nothing to check.
NATIVE_SUFFIXES = frozenset({"otio", "otiod", "otioz"})

FORMAT_NAMES = {
    "otio": "OTIO", "otiod": "OTIO", "otioz": "OTIO", "xml": "FCP 7 XML", "fcpxml": "FCP X XML",
    "kdenlive": "Kdenlive", "aaf": "AAF", "edl": "CMX 3600 EDL", "ale": "ALE", "xges": "GES",
    "svg": "SVG",
}

# Why a format cannot hold the effect, where we know (checked against the adapter's code).
_CANNOT_HOLD = {
    "kdenlive": "its adapter (otio-kdenlive-adapter) keeps only fade, volume and brightness filters "
                "and no clip metadata or clip markers",
}


def _suffix(path: str | os.PathLike[str]) -> str:
    return Path(path).suffix.lower().lstrip(".")


def format_name(path: str | os.PathLike[str]) -> str:
    """A human name for the timeline format of ``path`` ("FCP 7 XML", "Kdenlive", …)."""
    suffix = _suffix(path)
    return FORMAT_NAMES.get(suffix, f".{suffix}" if suffix else "(no extension)")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Adapters print banners (the Kdenlive one a deprecation notice) to stdout on every call;
    keep them out of the command's output."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def read_timeline(path: str | os.PathLike[str]) -> otio.schema.Timeline:
    """Read any timeline OTIO has an adapter for; errors become :class:`OtioError`.

    A stylecut filter in FCP 7 XML comes back as the ``stylecut.Stylize`` effect (and the bake
    state as ``clip.metadata["stylecut"]``)."""
    p = Path(path)
    if not p.exists():
        raise OtioError(f"No timeline at {p}. Received: timeline={str(p)!r}")
    try:
        with _quiet():
            result = otio.adapters.read_from_file(str(p))
    except otio.exceptions.NoKnownAdapterForExtensionError as exc:
        raise OtioError(f"Cannot read {p}: {adapter_hint(p)}. Received: timeline={str(p)!r}") from exc
    except Exception as exc:  # noqa: BLE001 - adapters raise anything
        raise OtioError(f"Cannot read {p} as a timeline: {_one_line(exc)}. "
                        f"Received: timeline={str(p)!r}") from exc
    if not isinstance(result, otio.schema.Timeline):
        raise OtioError(f"{p} holds a {type(result).__name__}, not a timeline. Received: timeline={str(p)!r}")
    _restore_fcp_filters(result)
    return result


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _write_file(timeline: otio.schema.Timeline, p: Path, shown: Path) -> None:
    try:
        with _quiet():
            otio.adapters.write_to_file(timeline, str(p))
    except otio.exceptions.NoKnownAdapterForExtensionError as exc:
        raise OtioError(f"Cannot write {shown}: {adapter_hint(shown)}. "
                        f"Received: output={str(shown)!r}") from exc
    except Exception as exc:  # noqa: BLE001 - adapters raise anything
        raise OtioError(f"Cannot write {shown}: {_one_line(exc)}. Received: output={str(shown)!r}") from exc


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def write_timeline(timeline: otio.schema.Timeline, path: str | os.PathLike[str], *,
                   require_effect: bool = False) -> list[str]:
    """Write ``timeline`` in the format of ``path``'s extension; errors become :class:`OtioError`.

    In FCP 7 XML the effect is stored as a stylecut ``<filter>``. For formats other than OTIO's
    own, the file is written beside ``path``, read back and compared: returns the clips whose
    effect (or bake state) did not survive. With ``require_effect`` any loss raises
    :class:`OtioError` naming the format and what to use instead, and ``path`` is left untouched.
    """
    p = Path(path)
    out = _to_fcp_filters(timeline) if _suffix(p) == "xml" else timeline
    styled = styled_clips(timeline)
    if _suffix(p) in NATIVE_SUFFIXES or not styled:
        _write_file(out, p, p)
        return []
    tmp = p.with_name(f".{p.name}.stylecut-{os.getpid()}{p.suffix}")
    try:
        _write_file(out, tmp, p)
        try:
            back = read_timeline(tmp)
        except OtioError as exc:
            raise OtioError(f"Cannot read back the {format_name(p)} just written to {p}: {exc}") from exc
        lost = _lost(timeline, back)
        if lost and require_effect:
            raise OtioError(_cannot_hold_message(p, lost, len(styled)))
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            _remove(tmp)
    return lost


def _cannot_hold_message(p: Path, lost: list[str], total: int) -> str:
    fmt, suffix = format_name(p), _suffix(p)
    why = _CANNOT_HOLD.get(suffix, f"the {fmt} adapter does not keep it")
    which = ", ".join(repr(n) for n in lost[:5]) + (", …" if len(lost) > 5 else "")
    return (f"A {fmt} timeline cannot carry the stylecut effect: {why} ({len(lost)} of {total} "
            f"styled clips would lose it: {which}); nothing was written. Write the styled timeline "
            f"as OTIO instead (-o {p.stem}.otio), then `stylecut otio render {p.stem}.otio --media-dir "
            f"DIR -o relinked.{suffix}` writes the relinked {fmt}. Received: output={str(p)!r}")


def no_effect_message(path: str | os.PathLike[str]) -> str:
    """The error for ``otio render`` on a timeline where no clip carries the effect."""
    p = Path(path)
    suffix = _suffix(p)
    if suffix in _CANNOT_HOLD:
        return (f"No clip in {p} carries the stylecut effect, and a {format_name(p)} timeline "
                f"cannot: {_CANNOT_HOLD[suffix]}. Apply it into OTIO (`stylecut otio apply {p.name} "
                f"… -o {p.stem}.otio`) and render that. Received: timeline={str(p)!r}")
    return (f"No clip in {p} carries the stylecut effect ({EFFECT_NAME}): put it on clips with "
            f"`stylecut otio apply` first. Received: timeline={str(p)!r}")


def _lost(before: otio.schema.Timeline, after: otio.schema.Timeline) -> list[str]:
    """Names of styled clips of ``before`` with no clip in ``after`` carrying the same effect
    settings and bake state."""
    def key(clip: otio.schema.Clip) -> tuple[str, str]:
        state = {"effect": effect_settings(clip), "bake": _plain(clip.metadata.get("stylecut", {}))}
        return clip.name, json.dumps(state, sort_keys=True, default=str)

    kept = Counter(key(c) for c in styled_clips(after))
    lost = []
    for clip in styled_clips(before):
        if "error" in (effect_settings(clip) or {}):
            continue  # an unreadable effect is reported by render, not carried
        k = key(clip)
        if kept[k] > 0:
            kept[k] -= 1
        else:
            lost.append(clip.name or "(unnamed)")
    return lost


# --- FCP 7 XML: the effect as a <filter> ---------------------------------------------------------

_FCP = "fcp_xml"  # otio-fcp-adapter's metadata namespace, written back as XML
_PARAM_NAMES = {"style": "Style", "strength": "Strength keyframes (stylecut.keyframes JSON)",
                "temporal": "Temporal", "bake": "Bake state (stylecut JSON)"}


def _as_list(value: Any) -> list[Any]:
    value = _plain(value)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_stylecut_filter(f: Any) -> bool:
    effect = f.get("effect") if isinstance(f, dict) else None
    return isinstance(effect, dict) and EFFECT_NAME in (effect.get("effectid"), effect.get("name"))


def _fcp_filter(settings: dict[str, Any], bake: dict[str, Any]) -> dict[str, Any]:
    values = {"style": str(settings.get("style", "")),
              "strength": json.dumps(settings.get("keyframes"), separators=(",", ":")),
              "temporal": str(settings.get("temporal", DEFAULT_TEMPORAL))}
    if bake:
        values["bake"] = json.dumps(bake, separators=(",", ":"), sort_keys=True)
    return {"enabled": "TRUE", "effect": {
        "name": EFFECT_NAME, "effectid": EFFECT_NAME, "effectcategory": "stylecut",
        "effecttype": "filter", "mediatype": "video",
        "parameter": [{"@authoringApp": "stylecut", "parameterid": k, "name": _PARAM_NAMES[k], "value": v}
                      for k, v in values.items()],
    }}


def _to_fcp_filters(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy of ``timeline`` with each clip's stylecut effect (and bake state) as a ``<filter>``
    in ``metadata["fcp_xml"]``, which otio-fcp-adapter writes into the clipitem."""
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        settings = effect_settings(clip)
        ours = [] if settings is None else [
            _fcp_filter(settings, _plain(clip.metadata.get("stylecut", {})) or {})]
        _replace_stylecut_filters(clip, ours)
    return copy


def _replace_stylecut_filters(clip: otio.schema.Clip, ours: list[dict[str, Any]]) -> None:
    """Drop the clip's stylecut ``<filter>`` entries from its ``fcp_xml`` metadata, keep the
    editor's own filters, append ``ours``; empty entries are removed."""
    fcp = _plain(clip.metadata.get(_FCP, {})) or {}
    filters = [f for f in _as_list(fcp.get("filter")) if not _is_stylecut_filter(f)] + ours
    if filters:
        fcp["filter"] = filters
    else:
        fcp.pop("filter", None)
    if fcp:
        clip.metadata[_FCP] = fcp
    elif _FCP in clip.metadata:
        del clip.metadata[_FCP]


def _settings_from_filter(effect_md: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    params: dict[str, Any] = {}
    for param in _as_list(effect_md.get("parameter")):
        if isinstance(param, dict):
            params[str(param.get("parameterid") or param.get("name"))] = param.get("value")
    settings: dict[str, Any] = {}
    bake: dict[str, Any] = {}
    try:
        if not params.get("style"):
            raise ValueError("no style parameter")
        settings["style"] = str(params["style"])
        settings["temporal"] = str(params.get("temporal") or DEFAULT_TEMPORAL)
        if params.get("strength"):
            settings["keyframes"] = json.loads(params["strength"])
        if params.get("bake"):
            bake = json.loads(params["bake"])
            if not isinstance(bake, dict):
                raise ValueError("bake state is not a JSON object")
    except (ValueError, TypeError) as exc:
        settings = {"error": f"unreadable {EFFECT_NAME} filter: {_one_line(exc)}"}
        bake = {}
    return settings, bake


def _restore_fcp_filters(timeline: otio.schema.Timeline) -> None:
    """Turn stylecut ``<filter>`` effects read by otio-fcp-adapter back into the effect."""
    for clip in timeline.find_clips():
        effects = list(clip.effects)
        changed = False
        for i, effect in enumerate(effects):
            md = _plain(effect.metadata.get(_FCP))
            if not isinstance(md, dict) or EFFECT_NAME not in (md.get("effectid"), effect.name):
                continue
            settings, bake = _settings_from_filter(md)
            effects[i] = otio.schema.Effect(name=EFFECT_NAME, effect_name=EFFECT_NAME,
                                            metadata={"stylecut": settings})
            if bake and "stylecut" not in clip.metadata:
                clip.metadata["stylecut"] = bake
            changed = True
        if not changed:
            continue
        clip.effects[:] = effects
        _replace_stylecut_filters(clip, [])


# --- apply -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """OTIO's AnyDictionary/AnyVector as plain dicts and lists."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "AnyVector":
        return [_plain(v) for v in value]
    return value


def _is_ours(effect: Any) -> bool:
    return EFFECT_NAME in (getattr(effect, "effect_name", None), getattr(effect, "name", None))


def _effect_of(clip: otio.schema.Clip) -> Any | None:
    for effect in clip.effects:
        if _is_ours(effect):
            return effect
    return None


def effect_settings(clip: otio.schema.Clip) -> dict[str, Any] | None:
    """The stylecut effect's settings on ``clip`` as plain data (None when it has none)."""
    effect = _effect_of(clip)
    return None if effect is None else _plain(effect.metadata.get("stylecut", {}))


def styled_clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    """The clips of ``timeline`` (nested ones included) that carry the stylecut effect."""
    return [c for c in timeline.find_clips() if _effect_of(c) is not None]


def _on_audio_track(clip: otio.schema.Clip) -> bool:
    """Whether the track that holds ``clip`` (the nearest one, in nested stacks) is audio."""
    parent = clip.parent()
    while parent is not None and not isinstance(parent, otio.schema.Track):
        parent = parent.parent()
    return parent is not None and parent.kind == otio.schema.TrackKind.Audio


def apply_effect(timeline: otio.schema.Timeline, *, clip: str | None = None, track: int | None = None,
                 style: str, curve: Curve, temporal: TemporalMode | str = DEFAULT_TEMPORAL) -> int:
    """Add (or replace) the stylecut effect on the clips named ``clip`` or on every clip of
    ``track`` (counted from 1 in the timeline's track order, nested stacks included).
    Returns how many clips changed; raises :class:`OtioError` when nothing matches."""
    if (clip is None) == (track is None):
        raise OtioError(f"Give exactly one of clip or track. Received: clip={clip!r}, track={track!r}")
    try:
        temporal = TemporalMode.parse(temporal)
    except ValueError as exc:
        raise OtioError(str(exc)) from None
    if track is not None:
        tracks = list(timeline.tracks)
        if not 1 <= track <= len(tracks):
            raise OtioError(f"The timeline has tracks 1..{len(tracks)}. Received: track={track}")
        chosen = tracks[track - 1]
        if chosen.kind == otio.schema.TrackKind.Audio:
            video = [str(i) for i, t in enumerate(tracks, 1) if t.kind != otio.schema.TrackKind.Audio]
            label = f" ({chosen.name})" if chosen.name else ""
            raise OtioError(f"Track {track}{label} is an audio track; the effect goes on a video "
                            f"track ({', '.join(video) or 'this timeline has none'}). "
                            f"Received: track={track}")
        clips = list(chosen.find_clips())
    else:
        named = [c for c in timeline.find_clips() if c.name == clip]
        # Premiere's FCP 7 XML names a clip's audio like its video: only the video is styled.
        clips = [c for c in named if not _on_audio_track(c)]
        if not clips:
            names = sorted({c.name for c in timeline.find_clips() if not _on_audio_track(c)})
            where = " on a video track" if named else ""
            raise OtioError(f"No clip named {clip!r}{where}; video clips: "
                            f"{', '.join(names) or 'none'}. Received: clip={clip!r}")
    for c in clips:
        c.effects[:] = [e for e in c.effects if not _is_ours(e)]
        c.effects.append(otio.schema.Effect(
            name=EFFECT_NAME, effect_name=EFFECT_NAME,
            metadata={"stylecut": {"style": style, "keyframes": curve.to_dict(), "temporal": temporal.value}},
        ))
    return len(clips)


# --- render ------------------------------------------------------------------------------------


def _media_path(ref: Any, base_dir: Path) -> Path:
    if not isinstance(ref, otio.schema.ExternalReference) or not ref.target_url:
        raise OtioError(f"has no media (reference: {type(ref).__name__})")
    url = ref.target_url
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        path = Path(url_utils.filepath_from_url(url))  # keeps the host of file://server/share
    elif parsed.scheme and len(parsed.scheme) > 1:
        raise OtioError(f"media {url} is not a local file")
    else:
        path = Path(url)
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise OtioError(f"media {path} is missing")
    return path


def _seconds(t: otio.opentime.RationalTime) -> Fraction:
    return Fraction(t.value).limit_denominator(1_000_000) / Fraction(t.rate).limit_denominator(1_000_000)


def _transition_needs(clip: otio.schema.Clip) -> tuple[Fraction, Fraction]:
    """Extra media (seconds) before and after the clip that adjacent transitions show."""
    parent = clip.parent()
    if parent is None:
        return Fraction(0), Fraction(0)
    head, tail = parent.handles_of_child(clip)
    return (_seconds(head) if head is not None else Fraction(0),
            _seconds(tail) if tail is not None else Fraction(0))


def _check_supported(clip: otio.schema.Clip) -> None:
    item: Any = clip
    while item is not None:
        for effect in item.effects if hasattr(item, "effects") else ():
            if isinstance(effect, otio.schema.TimeEffect):
                where = "the clip" if item is clip else f"its parent {item.name!r}"
                raise OtioError(f"{where} has a time warp ({effect.effect_name or type(effect).__name__}), "
                                "which stylecut cannot bake yet")
        item = item.parent()


@dataclass
class _Job:
    clip: otio.schema.Clip
    label: str
    source: Path
    original: Any
    start: int
    stop: int
    offset: RationalTime
    origin: RationalTime
    fps: Fraction
    style: str
    curve: Curve
    temporal: TemporalMode
    digest: str
    output: Path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:40] or "clip"


def _plan(clip: otio.schema.Clip, label: str, media_dir: Path, base_dir: Path, handles: int) -> _Job:
    _check_supported(clip)
    meta = clip.metadata.get("stylecut", {})
    original = meta.get("original_media_reference")
    ref = otio.adapters.read_from_string(original, "otio_json") if original else clip.media_reference
    source = _media_path(ref, base_dir)
    settings = effect_settings(clip) or {}
    if "error" in settings:
        raise OtioError(f"has a {EFFECT_NAME} effect with bad settings ({settings['error']})")
    try:
        style = str(settings["style"])
        curve = Curve.from_dict(settings.get("keyframes") or Curve.constant(1.0).to_dict())
        temporal = TemporalMode.parse(settings.get("temporal", DEFAULT_TEMPORAL))
    except (KeyError, ValueError) as exc:
        raise OtioError(f"has a {EFFECT_NAME} effect with bad settings ({exc})") from exc

    # The clip's range inside the media: relative to the reference's available range start.
    range_in_ref = clip.source_range or clip.available_range()
    if original and "rendered_origin" in meta:
        # Already baked: map the (possibly re-trimmed) range on the rendered file back to the original.
        value, rate = meta["rendered_origin"]
        rendered_start = clip.media_reference.available_range.start_time \
            if getattr(clip.media_reference, "available_range", None) is not None else RationalTime(0, rate)
        range_in_ref = otio.opentime.TimeRange(
            RationalTime(value, rate) + (range_in_ref.start_time - rendered_start), range_in_ref.duration)
    media_start = ref.available_range.start_time if ref.available_range is not None else None
    begin = range_in_ref.start_time - media_start if media_start is not None else range_in_ref.start_time
    t0 = _seconds(begin)
    t1 = t0 + _seconds(range_in_ref.duration)
    index = build_index(source)
    fps = Fraction(len(index)) / index.duration if index.duration > 0 else Fraction(24)
    first, stop = index.frame_at(t0), index.first_at_or_after(t1)
    if t0 < 0 or stop > len(index) or t1 > index.duration + Fraction(1, 1000) or stop <= first:
        raise OtioError(f"range {float(t0):.3f}s..{float(t1):.3f}s is outside {source.name} "
                        f"(0..{float(index.duration):.3f}s)")
    extra_before, extra_after = _transition_needs(clip)
    start = max(0, min(first - handles, index.frame_at(max(Fraction(0), t0 - extra_before))))
    stop = min(len(index), max(stop + handles, index.first_at_or_after(t1 + extra_after)))
    rate = range_in_ref.start_time.rate
    offset = RationalTime(float(t0 - index.time_of(start)), 1).rescaled_to(rate)
    origin = range_in_ref.start_time - offset
    stat = source.stat()
    digest = hashlib.sha256(json.dumps({
        "v": _HASH_VERSION, "source": str(source.resolve()), "size": stat.st_size,
        "mtime": stat.st_mtime_ns, "start": start, "stop": stop, "style": style,
        "keyframes": curve.to_dict(), "temporal": temporal.value,
    }, sort_keys=True).encode()).hexdigest()
    output = media_dir / f"{_safe(clip.name)}-{digest[:16]}.mp4"
    return _Job(clip, label, source, ref, start, stop, offset, origin, fps, style, curve, temporal, digest,
                output)


def _relink(job: _Job) -> None:
    clip = job.clip
    frames = job.stop - job.start
    rate = float(job.fps)
    original = clip.source_range or clip.available_range()
    new_ref = otio.schema.ExternalReference(
        target_url=job.output.resolve().as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(frames, rate)),
    )
    meta = dict(clip.metadata.get("stylecut", {}))
    if "original_media_reference" not in meta:
        meta["original_media_reference"] = otio.adapters.write_to_string(clip.media_reference, "otio_json")
    meta["render_hash"] = job.digest
    meta["rendered_origin"] = [job.origin.value, job.origin.rate]
    meta["rendered_frames"] = [job.start, job.stop]
    clip.metadata["stylecut"] = meta
    clip.media_reference = new_ref
    clip.source_range = otio.opentime.TimeRange(job.offset, original.duration)


def _label(clip: otio.schema.Clip, n: int) -> str:
    return f"#{n} {clip.name!r}" if clip.name else f"#{n}"


def render_timeline(
    timeline: otio.schema.Timeline,
    media_dir: str | os.PathLike[str],
    *,
    stylizer_factory: Callable[[str], Stylizer],
    handles: int = 0,
    progress: Callable[[Progress], None] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    encode: EncodeSettings | None = None,
) -> RenderReport:
    """Bake every clip carrying the stylecut effect and relink it (in place) to the result.

    Each clip's source range (plus ``handles`` frames each side, clamped to the media, and the
    media adjacent transitions show) is rendered into ``media_dir`` under a name carrying a hash
    of source, range and effect settings; an existing file with that hash is reused (skipped).
    Relative media paths resolve against ``base_dir`` (default: the working directory).
    Per-clip failures are collected in the report; the other clips still render. ``progress``
    receives frames done/total over the whole timeline.
    """
    if handles < 0:
        raise OtioError(f"handles must be >= 0. Received: handles={handles}")
    folder = Path(media_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OtioError(f"Cannot create the media folder {folder}: {exc}. "
                        f"Received: media_dir={str(folder)!r}") from exc
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    report = RenderReport()
    jobs: list[_Job] = []
    for n, clip in enumerate(timeline.find_clips(), start=1):
        if _effect_of(clip) is None:
            continue
        label = _label(clip, n)
        try:
            jobs.append(_plan(clip, label, folder, base, handles))
        except (StylecutError, otio.exceptions.OTIOError, ValueError) as exc:
            report.results.append(ClipResult(label, "error", str(exc) or type(exc).__name__))
    todo = [j for j in jobs if not j.output.exists()]
    total = sum(j.stop - j.start for j in todo)
    done = 0
    began = time.monotonic()
    stylizers: dict[str, Stylizer] = {}
    for job in jobs:
        frames = job.stop - job.start
        if job.output.exists():
            _relink(job)
            report.results.append(ClipResult(job.label, "skipped", "unchanged", job.output, frames))
            continue
        base_done = done

        def each(p: Progress, base_done: int = base_done) -> None:
            if progress is not None:
                progress(Progress(base_done + p.done, total, time.monotonic() - began))

        try:
            if job.style not in stylizers:
                stylizers[job.style] = stylizer_factory(job.style)
            settings = RenderSettings(start=job.start, stop=job.stop, temporal=job.temporal,
                                      encode=encode or EncodeSettings(), audio=False)
            render(job.source, job.output, stylizers[job.style], strength=job.curve,
                   settings=settings, progress=each)
        except RenderCancelled:
            raise
        except StylecutError as exc:
            report.results.append(ClipResult(job.label, "error", str(exc)))
            continue
        finally:
            done = base_done + frames
        _relink(job)
        report.results.append(ClipResult(job.label, "rendered", "", job.output, frames))
    return report
