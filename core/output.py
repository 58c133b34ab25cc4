"""Atomic output files: write to a hidden temp file beside the target, rename on success."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import OutputDirError, OutputExistsError, OutputIsInputError

__all__ = ["AtomicOutput", "check_output_path"]


def check_output_path(
    target: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Validate a render target; returns it as an absolute ``Path``."""
    out = Path(target).expanduser().absolute()
    if source is not None:
        src = Path(source).expanduser().absolute()
        same = out == src or (out.exists() and src.exists() and os.path.samefile(out, src))
        if same:
            raise OutputIsInputError(
                f"The output would overwrite the input {src}; choose another output path. "
                f"Received: output={str(target)!r}"
            )
    folder = out.parent
    if not folder.exists():
        raise OutputDirError(
            f"Output folder does not exist: {folder}. Create it first. Received: output={str(target)!r}"
        )
    if not folder.is_dir():
        raise OutputDirError(
            f"Output folder is not a folder: {folder}. Received: output={str(target)!r}"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputDirError(
            f"Output folder is not writable: {folder}. Received: output={str(target)!r}"
        )
    if out.is_dir():
        raise OutputDirError(
            f"Output path is a folder; give a file name such as {out / 'styled.mp4'}. "
            f"Received: output={str(target)!r}"
        )
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"Output file already exists: {out}. Pass --overwrite (overwrite=True) to replace it. "
            f"Received: output={str(target)!r}"
        )
    return out


class AtomicOutput:
    """Context manager giving ``temp`` (same folder, same extension); renamed to ``target`` on
    success, deleted on any exception, so a failed or cancelled render leaves nothing behind."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.temp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")

    def __enter__(self) -> AtomicOutput:
        return self

    def discard(self) -> None:
        try:
            self.temp.unlink()
        except FileNotFoundError:
            pass

    def commit(self) -> None:
        try:
            os.replace(self.temp, self.target)
        except OSError as exc:
            self.discard()
            raise OutputDirError(
                f"Cannot move the finished render to {self.target}: {exc.strerror}. "
                f"Received: output={str(self.target)!r}"
            ) from exc

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.discard()
