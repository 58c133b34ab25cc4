"""Atomic output files: write to a hidden temp file beside the target, move it into place on success.

While a render runs, a lock file ``.NAME.stylecut-lock`` beside the target (holding the writer's
pid, and ``flock``-ed where the platform has it) makes a second render into the same path refuse
at once. The final move is exclusive unless overwriting is allowed (a hard link, which fails when
the target appeared meanwhile), so two renders can never silently replace each other. The temp
file's name carries the writer's pid (``.STEM.PID-XXXXXXXX.partial.EXT``): temp and lock files
left by a killed render (``kill -9``, a power cut) are removed by the next render into that folder.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import time
from pathlib import Path

from .errors import OutputDirError, OutputExistsError, OutputIsInputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: liveness by pid only
    fcntl = None  # type: ignore[assignment]

__all__ = ["AtomicOutput", "check_output_path", "remove_abandoned"]

_PARTIAL = re.compile(r"^\..+\.(?P<pid>\d+)-[0-9a-f]{8}\.partial(\.[^.]*)?$")
_LOCK_SUFFIX = ".stylecut-lock"
# A lock file whose holder is gone but whose pid now belongs to another process (pid reuse) counts
# as abandoned after this many seconds without a flock held on it.
_LOCK_GRACE_S = 30.0


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


def _pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (on Windows: always assumed, nothing is removed)."""
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def _flock_free(path: Path) -> bool:
    """True when nobody holds an ``flock`` on ``path`` (or it is gone)."""
    assert fcntl is not None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def _abandoned(path: Path, pid: int | None, *, grace_s: float | None) -> bool:
    """Whether the temp/lock file ``path``, written by ``pid``, belongs to no running render.

    A running render holds an ``flock`` on its files and its pid is alive. ``grace_s``: a file
    whose pid is alive but holds no lock counts as abandoned once it is older than this (the pid
    was reused); ``None`` keeps such files.
    """
    if pid == os.getpid():
        return False
    if fcntl is None:
        return pid is not None and not _pid_alive(pid)
    if not _flock_free(path):
        return False
    if pid is not None and not _pid_alive(pid):
        return True
    if grace_s is None:
        return False
    try:
        return time.time() - path.stat().st_mtime > grace_s
    except OSError:
        return False


def _lock_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def remove_abandoned(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temp and lock files that killed renders left in ``folder``; returns them.

    Only stylecut's own names are considered (``.STEM.PID-XXXXXXXX.partial.EXT`` and
    ``.NAME.stylecut-lock``), and only those whose render is no longer running.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith("."):
            continue
        path = Path(entry.path)
        match = _PARTIAL.match(name)
        if match is not None:
            stale = _abandoned(path, int(match["pid"]), grace_s=None)
        elif name.endswith(_LOCK_SUFFIX):
            stale = _abandoned(path, _lock_pid(path), grace_s=_LOCK_GRACE_S)
        else:
            continue
        if stale:
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    return removed


class AtomicOutput:
    """Context manager giving ``temp`` (same folder, same extension); moved to ``target`` by
    :meth:`commit`, deleted on any exception, so a failed or cancelled render leaves nothing.

    On entering, leftovers of killed renders in the folder are removed and a lock beside the
    target is taken: a second render into the same target raises ``OutputExistsError`` while
    this one runs. Without ``overwrite``, :meth:`commit` never replaces a file that appeared at
    the target meanwhile (``OutputExistsError``).
    """

    def __init__(self, target: Path, *, overwrite: bool = False) -> None:
        self.target = Path(target)
        self.overwrite = overwrite
        self.temp = self.target.with_name(
            f".{self.target.stem}.{os.getpid()}-{secrets.token_hex(4)}.partial{self.target.suffix}"
        )
        self.lock = self.target.with_name(f".{self.target.name}{_LOCK_SUFFIX}")
        self._lock_fd: int | None = None
        self._temp_fd: int | None = None

    def _received(self) -> str:
        return f"Received: output={str(self.target)!r}"

    def _folder_error(self, exc: OSError) -> OutputDirError:
        return OutputDirError(
            f"Cannot write into {self.target.parent}: {exc.strerror or exc}. {self._received()}"
        )

    def _busy(self, pid: int | None) -> OutputExistsError:
        who = "this process" if pid == os.getpid() else f"pid {pid}" if pid else "another process"
        return OutputExistsError(
            f"Another render ({who}) is writing {self.target} right now; wait for it to finish or "
            f"choose another output (its lock is {self.lock.name}). {self._received()}"
        )

    def _acquire_lock(self) -> None:
        for _ in range(3):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = _lock_pid(self.lock)
                if not _abandoned(self.lock, pid, grace_s=_LOCK_GRACE_S):
                    raise self._busy(pid) from None
                self.lock.unlink(missing_ok=True)  # left by a killed render
                continue
            except OSError as exc:
                raise self._folder_error(exc) from exc
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            except OSError as exc:
                os.close(fd)
                self.lock.unlink(missing_ok=True)
                raise self._folder_error(exc) from exc
            self._lock_fd = fd
            return
        raise self._busy(_lock_pid(self.lock))

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            self.lock.unlink(missing_ok=True)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> AtomicOutput:
        remove_abandoned(self.target.parent)
        self._acquire_lock()
        try:
            fd = os.open(self.temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # marks the temp file as in use until commit/discard
        except OSError as exc:
            self._release_lock()
            raise self._folder_error(exc) from exc
        self._temp_fd = fd
        return self

    def _close_temp(self) -> None:
        if self._temp_fd is not None:
            os.close(self._temp_fd)
            self._temp_fd = None

    def discard(self) -> None:
        """Delete the temp file and release the lock."""
        try:
            self.temp.unlink()
        except FileNotFoundError:
            pass
        finally:
            self._close_temp()
            self._release_lock()

    def _exists_error(self) -> OutputExistsError:
        return OutputExistsError(
            f"Output file already exists: {self.target} (it appeared while this render ran; nothing "
            f"was replaced). Pass --overwrite (overwrite=True) to replace it. {self._received()}"
        )

    def _move_exclusive(self) -> None:
        """Move temp to target, failing if the target exists (no check-then-rename race)."""
        try:
            os.link(self.temp, self.target)
        except FileExistsError:
            raise self._exists_error() from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK,
                                 errno.ENOSYS, errno.EXDEV):
                raise
            # No hard links on this file system (FAT, some shares): claim the name exclusively,
            # then move the finished file over the empty placeholder.
            try:
                fd = os.open(self.target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                raise self._exists_error() from None
            os.close(fd)
            os.replace(self.temp, self.target)
            return
        os.unlink(self.temp)

    def commit(self) -> None:
        """Move the finished temp file to the target (see the class docstring)."""
        try:
            if self.overwrite:
                os.replace(self.temp, self.target)
            else:
                self._move_exclusive()
        except OutputExistsError:
            self.discard()
            raise
        except OSError as exc:
            self.discard()
            raise OutputDirError(
                f"Cannot move the finished render to {self.target}: {exc.strerror}. {self._received()}"
            ) from exc
        self._close_temp()
        self._release_lock()

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None or self._lock_fd is not None:
            self.discard()
