"""Colour tags of a video stream and the RGB <-> YUV conversions that honour them."""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import VideoReformatter

__all__ = ["BT601_LUMA", "ColourTags", "FrameConverter"]

#: BT.601 luma weights of R, G and B (what OpenCV's RGB2GRAY uses).
BT601_LUMA = (0.299, 0.587, 0.114)

# FFmpeg enum values (AVColorSpace / AVColorPrimaries / AVColorTransferCharacteristic / AVColorRange)
_MATRIX_NAMES = {
    0: "rgb", 1: "bt709", 2: "unspecified", 4: "fcc", 5: "bt470bg", 6: "smpte170m",
    7: "smpte240m", 9: "bt2020nc", 10: "bt2020c",
}
_PRIMARIES_NAMES = {1: "bt709", 2: "unspecified", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}
_TRC_NAMES = {1: "bt709", 2: "unspecified", 6: "smpte170m", 13: "iec61966-2-1", 14: "bt2020-10",
              16: "smpte2084", 18: "arib-std-b67"}
_RANGE_NAMES = {0: "unspecified", 1: "limited", 2: "full"}

# swscale coefficient sets by AVColorSpace value, by name: VideoReformatter.reformat looks the names
# up in its Colorspace enum, though PyAV's stubs type its colorspace arguments as int only
_SWS_MATRIX = {1: "itu709", 4: "fcc", 5: "itu601", 6: "smpte170m", 7: "smpte240m",
               9: "bt2020", 10: "bt2020"}

UNSPECIFIED = 2


@dataclass(frozen=True)
class ColourTags:
    """FFmpeg colour description of a stream: matrix, range, primaries, transfer.

    ``matrix``/``primaries``/``trc`` are FFmpeg enum values (2 = unspecified),
    ``range`` is 0 unspecified, 1 limited (MPEG/tv), 2 full (JPEG/pc).
    """

    matrix: int = UNSPECIFIED
    range: int = 0
    primaries: int = UNSPECIFIED
    trc: int = UNSPECIFIED
    height: int = 0

    @classmethod
    def from_codec_context(cls, cc: av.video.codeccontext.VideoCodecContext) -> ColourTags:
        pix_fmt = cc.pix_fmt or ""
        rng = int(cc.color_range or 0)
        if rng == 0 and pix_fmt.startswith("yuvj"):
            rng = 2
        return cls(
            matrix=int(cc.colorspace if cc.colorspace is not None else UNSPECIFIED),
            range=rng,
            primaries=int(cc.color_primaries if cc.color_primaries is not None else UNSPECIFIED),
            trc=int(cc.color_trc if cc.color_trc is not None else UNSPECIFIED),
            height=int(cc.height or 0),
        )

    @property
    def effective_matrix(self) -> int:
        """The matrix used for conversion: the tag, or BT.709 for untagged HD, else BT.601."""
        if self.matrix in _SWS_MATRIX:
            return self.matrix
        return 1 if self.height >= 720 else 6

    @property
    def effective_range(self) -> int:
        return self.range if self.range in (1, 2) else 1

    @property
    def sws_matrix(self) -> str:
        return _SWS_MATRIX[self.effective_matrix]

    @property
    def sws_range(self) -> str:
        return "JPEG" if self.effective_range == 2 else "MPEG"

    def to_dict(self) -> dict[str, str]:
        return {
            "matrix": _MATRIX_NAMES.get(self.matrix, str(self.matrix)),
            "range": _RANGE_NAMES.get(self.range, str(self.range)),
            "primaries": _PRIMARIES_NAMES.get(self.primaries, str(self.primaries)),
            "transfer": _TRC_NAMES.get(self.trc, str(self.trc)),
        }

    def output_tags(self) -> ColourTags:
        """Tags to write on an output: the effective matrix/range made explicit."""
        primaries = self.primaries
        trc = self.trc
        if primaries == UNSPECIFIED and self.effective_matrix == 1:
            primaries = 1
        if trc == UNSPECIFIED and self.effective_matrix == 1:
            trc = 1
        return ColourTags(
            matrix=self.effective_matrix, range=self.effective_range,
            primaries=primaries, trc=trc, height=self.height,
        )


class FrameConverter:
    """RGB <-> YUV conversions honouring colour tags, reusing one swscale context (a new
    context per frame costs ~0.3 ms at 1080p). Not thread-safe: one per reader or writer."""

    def __init__(self, tags: ColourTags) -> None:
        self.tags = tags
        self._reformatter = VideoReformatter()

    def to_rgb(self, frame: av.VideoFrame, size: tuple[int, int] | None = None) -> np.ndarray:
        """Decode side: uint8 RGB (H, W, 3), optionally scaled to ``size`` = (width, height)."""
        width, height = size if size is not None else (None, None)
        if frame.format.name == "rgb24" and size is None:
            return frame.to_ndarray()
        yuv = not frame.format.is_rgb
        matrix = self.tags.sws_matrix if yuv else None
        rgb = self._reformatter.reformat(
            frame, width=width, height=height, format="rgb24",
            interpolation="AREA" if size is not None else None,
            src_colorspace=matrix, dst_colorspace=matrix,  # type: ignore[arg-type]  # (see _SWS_MATRIX)
            src_color_range=self.tags.sws_range if yuv else None, dst_color_range="JPEG" if yuv else None,
        )
        return rgb.to_ndarray()

    def from_rgb(self, rgb: np.ndarray, pix_fmt: str) -> av.VideoFrame:
        """Encode side: uint8 RGB to ``pix_fmt``, tagged with this converter's tags."""
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        if pix_fmt == "rgb24":
            return frame
        if av.VideoFormat(pix_fmt).is_rgb:
            return self._reformatter.reformat(frame, format=pix_fmt)
        tags = self.tags
        out = self._reformatter.reformat(
            frame, format=pix_fmt,
            src_colorspace=tags.sws_matrix, dst_colorspace=tags.sws_matrix,  # type: ignore[arg-type]
            src_color_range="JPEG", dst_color_range=tags.sws_range,
        )
        out.colorspace = tags.matrix
        out.color_range = tags.range
        out.color_primaries = tags.primaries
        out.color_trc = tags.trc
        return out
