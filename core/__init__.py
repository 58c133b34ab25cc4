"""stylecut's engine: media I/O, keyframed strength, the Stylizer protocol and the render pipeline.

Imports only numpy, PyAV and OpenCV (never TensorFlow).
"""

from .codecs import CODEC_PRESETS, CodecPreset, EncodeSettings, default_codec_for
from .colour import ColourTags
from .errors import (
    CorruptMediaError,
    EmptyMediaError,
    EncodeSettingsError,
    KeyframeError,
    MediaError,
    MediaNotFoundError,
    ModelError,
    NotMediaError,
    NoVideoStreamError,
    OutputDirError,
    OutputError,
    OutputExistsError,
    OutputIsInputError,
    OutputWriteError,
    RenderCancelled,
    SeekError,
    StylecutError,
    StyleNotFoundError,
    TimecodeError,
)
from .keyframes import Curve, Interp, Key, parse_strength
from .media import (
    AudioInfo,
    DecodedFrame,
    ExtraVideoInfo,
    FrameIndex,
    MediaInfo,
    VideoInfo,
    VideoReader,
    build_index,
    probe,
)
from .pipeline import Progress, RenderResult, RenderSettings, render
from .sheets import contact_sheet, save_png
from .stylizer import PassthroughStylizer, Stylizer, blend
from .temporal import FlowEstimator, FlowSettings, Stabilizer, backward_warp, occlusion_mask, scene_cut
from .temporal_mode import DEFAULT_TEMPORAL, TemporalMode
from .timecode import (
    frame_range,
    frame_to_seconds,
    frame_to_timecode,
    parse_fps,
    parse_time,
    seconds_to_frame,
    timecode_to_frame,
)
from .tone import ToneAnchor
from .writer import AudioPassthrough, VideoWriter

__all__ = [
    "DEFAULT_TEMPORAL",
    "TemporalMode",
    "CODEC_PRESETS",
    "AudioInfo",
    "AudioPassthrough",
    "CodecPreset",
    "ColourTags",
    "CorruptMediaError",
    "Curve",
    "DecodedFrame",
    "EmptyMediaError",
    "EncodeSettings",
    "EncodeSettingsError",
    "ExtraVideoInfo",
    "FlowEstimator",
    "FlowSettings",
    "FrameIndex",
    "Interp",
    "Key",
    "KeyframeError",
    "MediaError",
    "MediaInfo",
    "MediaNotFoundError",
    "ModelError",
    "NoVideoStreamError",
    "NotMediaError",
    "OutputDirError",
    "OutputError",
    "OutputExistsError",
    "OutputIsInputError",
    "OutputWriteError",
    "PassthroughStylizer",
    "Progress",
    "RenderCancelled",
    "RenderResult",
    "RenderSettings",
    "SeekError",
    "StyleNotFoundError",
    "Stabilizer",
    "Stylizer",
    "StylecutError",
    "TimecodeError",
    "ToneAnchor",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "backward_warp",
    "blend",
    "build_index",
    "contact_sheet",
    "save_png",
    "scene_cut",
    "default_codec_for",
    "frame_range",
    "frame_to_seconds",
    "frame_to_timecode",
    "occlusion_mask",
    "parse_fps",
    "parse_strength",
    "parse_time",
    "probe",
    "render",
    "seconds_to_frame",
    "timecode_to_frame",
]
