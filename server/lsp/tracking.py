"""The engine as the language server drives it: which files an analysis read, and the
facts it saw (for hover and code lens), without a second extraction.

Runs in the analysis process (``worker``); imports no pygls.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from pathlib import Path

from ragtune.analyzers.engine import Engine
from ragtune.analyzers.models import Finding
from ragtune.analyzers.rules.base import FileContext
from ragtune.analyzers.workspace import Workspace


class TrackingWorkspace(Workspace):
    """A workspace that records every file read while a recording is open.

    The analysed file's dependencies (an imported constant's module, a prompt file read
    by literal path) are what its diagnostics depend on: editing one of them re-analyses
    the files that read it.
    """

    _recording: set[str] | None = None

    @contextlib.contextmanager
    def recording(self):
        reads: set[str] = set()
        self._recording = reads
        try:
            yield reads
        finally:
            self._recording = None

    def read_text(self, path, max_bytes=None):
        if self._recording is not None:
            self._recording.add(str(Path(path).resolve()))
        if max_bytes is None:
            return super().read_text(path)
        return super().read_text(path, max_bytes=max_bytes)

    def overlays(self) -> dict[str, str]:
        with self._lock:
            return dict(self._overlays)


class Superseded(BaseException):
    """A newer version of the file being analysed came in: the rest is not wanted.

    A ``BaseException``, so the engine's ``except Exception`` guards (which turn an
    extractor's or a rule's error into RT002) let it through."""


class RecordingEngine(Engine):
    """``Engine`` that stops at its checkpoints once ``stop`` is set: before the file is
    read, and before each rule (the first one right after the file's facts are read)."""

    stop: threading.Event | None = None

    def checkpoint(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Superseded

    def analyze_with_context(self, path: str, **kwargs) -> tuple[list[Finding], FileContext | None]:
        self.checkpoint()
        return super().analyze_with_context(path, **kwargs)

    def _run_rule(self, code: str, ctx: FileContext) -> Iterable[Finding]:
        # a stop here leaves nothing half-done: cross-file facts are memoised only once
        # complete, and a rule's findings are only collected
        self.checkpoint()
        return super()._run_rule(code, ctx)
