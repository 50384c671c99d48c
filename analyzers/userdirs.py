"""The user's cache folder, for what ragtune keeps between runs outside any project."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/ragtune``, else ``~/.cache/ragtune``; None when neither gives an
    absolute folder (no home directory known): a relative one would land in whatever
    folder ragtune runs in, the user's project."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ragtune" if os.path.isabs(base) else None
