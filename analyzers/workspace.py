"""The workspace: where files are read from, and a memo of facts per file content.

Cross-file facts (a constant imported from another module, a prompt file loaded by
code) are computed through ``Workspace.memo`` keyed by content hash, so editing one file
only recomputes what depends on its content.  Editors register open buffers as
overlays: unsaved text wins over the disk.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# A file this large is not read as a prompt source or module (a 50 MB single-line
# "module" is data, not code); the file gets RT002 when analysed directly.
MAX_SOURCE_BYTES = 5 * 1024 * 1024


class UnreadableFile(Exception):
    """A file that cannot be analysed, with the reason in words."""


def decode_source(raw: bytes, path: str) -> str:
    if b"\x00" in raw[:8192]:
        raise UnreadableFile("binary file (contains NUL bytes)")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None


class Workspace:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self._overlays: dict[str, str] = {}
        # (kind, path) → (content digest, value): one entry per file and kind, so a new
        # content replaces the old one without a scan over every entry (which made a
        # scan of n files O(n²): 1.3 % of a 10,300-file check, growing with the tree)
        self._memo: dict[tuple[str, str], tuple[str, Any]] = {}
        self._lock = threading.RLock()

    # -- reading ----------------------------------------------------------
    def set_overlay(self, path: str, text: str | None) -> None:
        key = str(Path(path).resolve())
        with self._lock:
            if text is None:
                self._overlays.pop(key, None)
            else:
                self._overlays[key] = text

    def overlay(self, path: str) -> str | None:
        if not self._overlays:  # the CLI has none: skip resolving (a stat per path component)
            return None
        return self._overlays.get(str(Path(path).resolve()))

    def read_text(self, path: str | os.PathLike[str], max_bytes: int = MAX_SOURCE_BYTES) -> str:
        """Text of a file (overlay first).  Raises UnreadableFile with the reason."""
        if self._overlays:
            key = str(Path(path).resolve())
            text = self._overlays.get(key)
            if text is not None:
                return text
        else:
            key = os.path.abspath(path)
        try:
            with open(key, "rb") as f:
                # one fstat on the open file gives the size limit and, to a subclass,
                # the stat the bytes were read under
                stat = os.fstat(f.fileno())
                if stat.st_size > max_bytes:
                    raise UnreadableFile(f"file is {stat.st_size / 1024 / 1024:.1f} MB, over the {max_bytes // (1024 * 1024)} MB limit for source files")
                raw = f.read()
        except OSError as exc:
            raise UnreadableFile(exc.strerror or str(exc)) from None
        self._read_done(key, stat, raw)
        return decode_source(raw, key)

    def _read_done(self, path: str, stat: os.stat_result, raw: bytes) -> None:
        """Called with every file read from disk (a subclass may note what it read);
        ``stat`` was taken on the open file before its bytes were read."""

    def try_read_text(self, path: str | os.PathLike[str]) -> str | None:
        try:
            return self.read_text(path)
        except UnreadableFile:
            return None

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """True when ``path`` is inside the workspace root (no escaping via ``..``)."""
        try:
            return Path(path).resolve().is_relative_to(self.root)
        except OSError:
            return False

    def relative(self, path: str) -> str:
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path

    # -- memo ---------------------------------------------------------------
    def memo(self, kind: str, path: str, text: str, compute: Callable[[], T]) -> T:
        """Compute-once per (kind, file, content hash)."""
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return self._memo_by_digest(kind, str(path), digest, compute)

    def _memo_by_digest(self, kind: str, path: str, digest: str, compute: Callable[[], T]) -> T:
        """``memo`` once the content is hashed (a subclass hooks in here, digest known)."""
        key = (kind, path)
        with self._lock:
            hit = self._memo.get(key)
            if hit is not None and hit[0] == digest:
                return hit[1]
        value = compute()
        with self._lock:
            self._memo[key] = (digest, value)  # an older content's value goes
        return value
