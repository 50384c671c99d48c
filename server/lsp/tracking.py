"""The engine as the language server drives it: which files an analysis read, and the
facts it saw (for hover and code lens), without a second extraction.

Runs in the analysis process (``worker``); imports no pygls.
"""

from __future__ import annotations

import contextlib
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


class RecordingEngine(Engine):
    """``Engine`` that also hands back the file context the rules saw."""

    _last_ctx: FileContext | None = None

    def _extract(self, ctx: FileContext) -> None:
        self._last_ctx = ctx
        super()._extract(ctx)

    def analyze_with_context(self, path: str, *, text: str | None = None) -> tuple[list[Finding], FileContext | None]:
        self._last_ctx = None
        findings = self.analyze_file(path, text=text)
        ctx, self._last_ctx = self._last_ctx, None
        return findings, ctx
