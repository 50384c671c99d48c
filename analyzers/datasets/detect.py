"""Is a ``.json`` file a fine-tuning dataset?  Decided by content, from its first 4 KB:
a JSON array whose first element has fine-tuning keys, or JSON Lines saved as ``.json``.
"""

from __future__ import annotations

import re
from pathlib import Path

_HEAD_BYTES = 4096
_KEYS = re.compile(r'"(messages|conversations|instruction|prompt|completion)"\s*:')


def looks_like_dataset(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES).decode("utf-8", "ignore")
    except OSError:
        return False
    body = head.lstrip("\ufeff \t\r\n")
    if body.startswith("["):
        first = body[1:].lstrip(" \t\r\n")
        return first.startswith("{") and bool(_KEYS.search(first[:2000]))
    if body.startswith("{"):
        first_line, _, rest = body.partition("\n")
        return bool(_KEYS.search(first_line)) and rest.lstrip(" \t\r\n").startswith("{")
    return False
