"""How ragtune's processes treat the garbage collector while they load."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loaded_for_good() -> Iterator[None]:
    """What is made inside (modules, classes, the tokenizer) lives as long as the
    process: no collector pass while it is made, and none over it after (``gc.freeze``).
    The collector is left enabled or not as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
