"""Codec presets for rendered output and which containers may hold them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import EncodeSettingsError

__all__ = ["CODEC_PRESETS", "CodecPreset", "EncodeSettings", "default_codec_for"]


@dataclass(frozen=True)
class CodecPreset:
    """One output codec: the FFmpeg encoder, pixel format, quality knob and containers."""

    name: str
    encoder: str
    pix_fmt: str
    containers: tuple[str, ...]
    description: str
    crf_range: tuple[int, int] | None = None
    default_crf: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    speed_presets: tuple[str, ...] = ()
    default_speed: str | None = None
    alpha_pix_fmt: str | None = None  # the pixel format that also carries an alpha channel


_X26X_SPEEDS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow")

CODEC_PRESETS: dict[str, CodecPreset] = {
    p.name: p
    for p in (
        CodecPreset("h264", "libx264", "yuv420p", (".mp4", ".mov", ".mkv", ".m4v", ".avi"),
                    "H.264 (libx264), CRF quality", (0, 51), 18, {}, _X26X_SPEEDS, "medium"),
        CodecPreset("hevc", "libx265", "yuv420p", (".mp4", ".mov", ".mkv", ".m4v"),
                    "HEVC/H.265 (libx265), CRF quality", (0, 51), 22,
                    {"x265-params": "log-level=error"}, _X26X_SPEEDS, "medium"),
        CodecPreset("prores", "prores_ks", "yuv422p10le", (".mov", ".mkv"),
                    "Apple ProRes 422 (10-bit), for editing", None, None, {"profile": "2"}),
        CodecPreset("prores4444", "prores_ks", "yuv444p10le", (".mov", ".mkv"),
                    "Apple ProRes 4444 (10-bit 4:4:4; keeps a source's alpha)", None, None,
                    {"profile": "4"}, alpha_pix_fmt="yuva444p10le"),
        CodecPreset("ffv1", "ffv1", "bgr0", (".mkv", ".avi"),
                    "FFV1 lossless (8-bit RGB: bit-exact frames, any size; keeps a source's alpha)",
                    None, None, {"level": "3"}, alpha_pix_fmt="bgra"),
        CodecPreset("vp9", "libvpx-vp9", "yuv420p", (".webm", ".mkv", ".mp4"),
                    "VP9 (libvpx), CRF quality", (0, 63), 32,
                    {"b": "0", "row-mt": "1", "deadline": "good", "cpu-used": "4"}),
        CodecPreset("mpeg4", "mpeg4", "yuv420p", (".avi", ".mp4", ".mov", ".mkv"),
                    "MPEG-4 Part 2, quantiser quality (2 best .. 31)", (1, 31), 3),
    )
}

_DEFAULT_BY_EXT = {".webm": "vp9", ".avi": "mpeg4", ".mov": "h264"}


def default_codec_for(path: str | Path) -> str:
    """The codec used when none is given: VP9 for .webm, MPEG-4 for .avi, else H.264."""
    return _DEFAULT_BY_EXT.get(Path(path).suffix.lower(), "h264")


@dataclass(frozen=True, kw_only=True)
class EncodeSettings:
    """How to encode the video of a render. ``codec=None`` picks by the output extension."""

    codec: str | None = None
    crf: int | None = None
    speed: str | None = None
    bitrate: int | None = None
    pix_fmt: str | None = None

    def __post_init__(self) -> None:
        if self.codec is not None and self.codec not in CODEC_PRESETS:
            raise EncodeSettingsError(
                f"Unknown codec; choose one of {', '.join(CODEC_PRESETS)}. "
                f"Received: codec={self.codec!r}"
            )
        if self.bitrate is not None and self.bitrate <= 0:
            raise EncodeSettingsError(
                f"Bitrate must be a positive number of bits/s. Received: bitrate={self.bitrate}"
            )
        if self.codec is not None:
            self.resolve_preset(self.codec)

    def resolve_preset(self, codec: str) -> CodecPreset:
        """Check crf/speed against ``codec``'s preset and return the preset."""
        preset = CODEC_PRESETS[codec]
        if self.crf is not None:
            if preset.crf_range is None:
                raise EncodeSettingsError(
                    f"Codec {codec} has no CRF setting (it is fixed-quality). Received: crf={self.crf}"
                )
            lo, hi = preset.crf_range
            if not lo <= self.crf <= hi:
                raise EncodeSettingsError(
                    f"CRF for {codec} must be in {lo}..{hi}. Received: crf={self.crf}"
                )
        if self.speed is not None and self.speed not in preset.speed_presets:
            accepted = ", ".join(preset.speed_presets) or "none"
            raise EncodeSettingsError(
                f"Speed preset for {codec} must be one of: {accepted}. Received: speed={self.speed!r}"
            )
        return preset

    def preset_for(self, path: str | Path) -> CodecPreset:
        """The preset for writing ``path``, checked against its container."""
        codec = self.codec or default_codec_for(path)
        preset = self.resolve_preset(codec)
        ext = Path(path).suffix.lower()
        if ext not in preset.containers:
            raise EncodeSettingsError(
                f"Codec {codec} cannot be written to a {ext or 'extension-less'} file; use one of "
                f"{', '.join(preset.containers)}. Received: codec={codec!r}, output={str(path)!r}"
            )
        return preset

    def alpha_pix_fmt(self, preset: CodecPreset) -> str | None:
        """The pixel format that writes a source's alpha with ``preset``, or None where the alpha
        is dropped (the codec has none, or an explicit ``pix_fmt`` was asked for)."""
        return preset.alpha_pix_fmt if self.pix_fmt is None else None

    def encoder_options(self, preset: CodecPreset) -> dict[str, str]:
        opts = dict(preset.options)
        if preset.crf_range is not None:
            crf = self.crf if self.crf is not None else preset.default_crf
            if preset.name == "mpeg4":
                opts["qscale"] = str(crf)
            elif self.bitrate is None:
                opts["crf"] = str(crf)
        if preset.speed_presets:
            opts["preset"] = self.speed or preset.default_speed or "medium"
        return opts
