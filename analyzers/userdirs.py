"""The user's cache folder, for what ragtune keeps between runs outside any project
(derived data that is slow to build and the same every time: parsed tokenizer ranks,
the duplicate finder's token table).  Every file there starts with the sha256 of the
rest and is read only when that matches; anything else is a miss, and a folder that
cannot be written only costs the speed-up."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def user_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/ragtune``, else ``~/.cache/ragtune``; None when neither gives an
    absolute folder (no home directory known): a relative one would land in whatever
    folder ragtune runs in, the user's project."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ragtune" if os.path.isabs(base) else None


def read_checked(path: Path) -> bytes | None:
    """The payload of a file written by ``write_checked``, or None (missing, damaged)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest, payload = data[:32], data[32:]
    if len(digest) != 32 or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def write_checked(path: Path, payload: bytes) -> None:
    """Write ``payload`` after its sha256, whole or not at all (temporary file and
    rename: processes writing it at once each leave a whole file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(hashlib.sha256(payload).digest())
                f.write(payload)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass  # a read-only home: built again next time
