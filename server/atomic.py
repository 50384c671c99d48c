"""Writing a file so that a reader sees the old bytes or the new, never a mix.

Only the standard library: the replay of an unchanged run (``replay.py``) writes an
output file without importing the engine.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_CHUNKED_BUFFER = 1 << 20  # a list of many small pieces is written a megabyte at a time


def _temp_beside(path: Path, data: bytes | list[bytes], mode: int | None, durable: bool = True) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".ragtune-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=_CHUNKED_BUFFER if isinstance(data, list) else -1) as f:
            if isinstance(data, list):
                f.writelines(data)
            else:
                f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(name, mode)
    except BaseException:
        _unlink_quietly(Path(name))
        raise
    return Path(name)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _mode_of(path: Path) -> int | None:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None


def write_atomically(path: Path, data: bytes | list[bytes], *, durable: bool = True) -> None:
    """Replace (or create) ``path`` with ``data`` (bytes, or a list of them written one
    after another) in one rename.  ``durable`` flushes the
    bytes to disk before the rename (a user's file); a cache that checks what it reads
    can skip that (after a crash it finds the old file, a new one, or an empty one)."""
    tmp = _temp_beside(path, data, _mode_of(path), durable)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def create_exclusively(path: Path, data: bytes) -> None:
    """Create ``path`` complete in one step; FileExistsError if anything is there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path, data, 0o666 & ~_umask())
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:
            # a filesystem without hard links: O_EXCL still refuses an existing file
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    finally:
        _unlink_quietly(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def in_background(target: Callable[[], object], name: str) -> threading.Thread:
    """``target`` in a started thread, for writing what only speeds up a later run (the
    findings cache, a run record): an exception there is logged at debug level, never
    printed with a traceback, and the caller joins the thread before relying on it."""

    def run() -> None:
        try:
            target()
        except Exception:  # noqa: BLE001 - nothing is lost but a later run's speed
            log.debug("%s failed", name, exc_info=True)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread
