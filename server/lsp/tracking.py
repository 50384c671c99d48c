"""The engine as the language server drives it: which files an analysis read, and the
facts it saw (for hover and code lens), without a second extraction.

Runs in the analysis process (``worker``); imports no pygls.
"""

from __future__ import annotations

import contextlib
import threading
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
    """``Engine`` that also hands back the file context the rules saw, and stops at its
    checkpoints (before and after reading the file's facts) once ``stop`` is set."""

    _last_ctx: FileContext | None = None
    stop: threading.Event | None = None

    def checkpoint(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Superseded

    def _extract(self, ctx: FileContext) -> None:
        self.checkpoint()
        self._last_ctx = ctx
        super()._extract(ctx)
        # a stop here skips the rules; the extraction itself left nothing half-done
        # behind (cross-file facts are memoised only once complete)
        self.checkpoint()

    def analyze_with_context(self, path: str, *, text: str | None = None) -> tuple[list[Finding], FileContext | None]:
        self._last_ctx = None
        findings = self.analyze_file(path, text=text)
        ctx, self._last_ctx = self._last_ctx, None
        return findings, ctx
