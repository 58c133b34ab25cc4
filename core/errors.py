"""The stylecut exception hierarchy.

Every error a user can cause is a ``StylecutError``; each class also subclasses the
matching built-in so callers may catch either::

    StylecutError
    ├── MediaError (ValueError)                  bad input media
    │   ├── MediaNotFoundError (FileNotFoundError)
    │   ├── NotMediaError                        not a media file / unreadable container
    │   ├── CorruptMediaError                    truncated or undecodable data
    │   ├── NoVideoStreamError                   no video stream
    │   ├── EmptyMediaError                      zero decodable frames
    │   └── SeekError (IndexError)               frame/time outside the clip
    ├── OutputError (ValueError)                 where the render should go
    │   ├── OutputExistsError (FileExistsError)  target exists and --overwrite not given
    │   ├── OutputIsInputError                   output path is the input path
    │   ├── OutputDirError (NotADirectoryError)  missing or unwritable folder
    │   └── OutputWriteError (OSError)           writing failed midway (disk full, I/O error)
    ├── EncodeSettingsError (ValueError)         unknown codec, codec not allowed in container, bad CRF
    ├── TimecodeError (ValueError)               unparsable or out-of-range time
    ├── KeyframeError (ValueError)               invalid strength curve
    ├── ModelError (ValueError)                  missing/corrupt/mismatched style weights
    │   └── StyleNotFoundError (LookupError)
    └── RenderCancelled                          a render was cancelled (Ctrl-C, a button)

Messages name the file or value, say what is accepted and end with ``Received: name=value``.
"""

from __future__ import annotations

__all__ = [
    "CorruptMediaError",
    "EmptyMediaError",
    "EncodeSettingsError",
    "KeyframeError",
    "MediaError",
    "MediaNotFoundError",
    "ModelError",
    "NoVideoStreamError",
    "NotMediaError",
    "OutputDirError",
    "OutputError",
    "OutputExistsError",
    "OutputIsInputError",
    "OutputWriteError",
    "RenderCancelled",
    "SeekError",
    "StyleNotFoundError",
    "StylecutError",
    "TimecodeError",
]


class StylecutError(Exception):
    """Base class of every error stylecut raises on purpose."""


class MediaError(StylecutError, ValueError):
    """The input media cannot be used."""


class MediaNotFoundError(MediaError, FileNotFoundError):
    """The input file does not exist."""


class NotMediaError(MediaError):
    """The file is not a media container PyAV/FFmpeg can open."""


class CorruptMediaError(MediaError):
    """The file opens but its data is truncated or cannot be decoded."""


class NoVideoStreamError(MediaError):
    """The container has no video stream."""


class EmptyMediaError(MediaError):
    """The video stream holds no decodable frames."""


class SeekError(MediaError, IndexError):
    """A frame number or time lies outside the clip."""


class OutputError(StylecutError, ValueError):
    """The output path cannot be written as asked."""


class OutputExistsError(OutputError, FileExistsError):
    """The output exists and overwriting was not allowed."""


class OutputIsInputError(OutputError):
    """The output path is the input path (the source would be overwritten)."""


class OutputDirError(OutputError, NotADirectoryError):
    """The output folder is missing or not writable."""


class OutputWriteError(OutputError, OSError):
    """Writing the output failed partway (disk full, quota, I/O error); nothing was kept."""


class EncodeSettingsError(StylecutError, ValueError):
    """Unknown codec/preset, codec not allowed in the container, or bad quality value."""


class TimecodeError(StylecutError, ValueError):
    """A time value cannot be parsed or lies outside the clip."""


class KeyframeError(StylecutError, ValueError):
    """A strength curve is invalid."""


class ModelError(StylecutError, ValueError):
    """A style's weights or card are missing, corrupt or do not match the architecture."""


class StyleNotFoundError(ModelError, LookupError):
    """No installed style has that name and no file is at that path."""


class RenderCancelled(StylecutError):
    """The render was cancelled; no output was written."""
