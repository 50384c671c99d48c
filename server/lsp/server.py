"""The language server: state on a ``LanguageServer`` subclass, features in modules.

``create_server()`` builds a fresh server (one per test); each feature module has a
``register(server)`` that attaches its thin handlers.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .backend import AnalysisProcess
from .positions import UTF16

log = logging.getLogger("ragtune.server")

_LANGUAGE_SUFFIX = {
    "python": ".py", "javascript": ".js", "typescript": ".ts", "typescriptreact": ".tsx", "javascriptreact": ".jsx",
    "markdown": ".prompt.md", "jinja": ".j2", "yaml": ".prompt.yml", "prompty": ".prompty", "jsonl": ".jsonl",
}


def _version() -> str:
    from ragtune.server import __version__

    return __version__


@dataclass
class FileResult:
    """The latest analysis of one file, as the analysis process answered it."""

    path: str
    uri: str
    version: int | None  # the document version it was computed for; None: from disk
    lines: list[str]  # the text it was computed on, for position conversion
    findings: list[dict[str, Any]]
    kind: str | None  # the engine's file kind (python, prompt, dataset...)
    sites: list[dict[str, Any]]
    deps: list[str]
    error: str | None = None
    result_id: str = ""
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    job_id: int | None = None  # the request it answers (its figures may follow separately)
    # resolved once this analysis's hover and code lens figures are in ``sites``; until
    # then ``sites`` holds the previous analysis's
    sites_ready: asyncio.Future | None = None

    async def current_sites(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The figures of this analysis, waiting for them when they are still on their way."""
        if self.sites_ready is not None and not self.sites_ready.done():
            try:
                await asyncio.wait_for(asyncio.shield(self.sites_ready), timeout)
            except asyncio.TimeoutError:
                pass
        return self.sites


class RagtuneLanguageServer(LanguageServer):
    """All state of one editor session."""

    def __init__(self, backend: AnalysisProcess | None = None, **kwargs):
        super().__init__("ragtune", _version(), text_document_sync_kind=types.TextDocumentSyncKind.Incremental, max_workers=2, **kwargs)
        self._backend = backend  # open documents
        self._scan_backend: AnalysisProcess | None = None  # the scan and files not open
        self._ids = itertools.count(1)
        self.encoding: str = UTF16
        self.pull_mode = False
        self.refresh_support = False
        self.root: str | None = None
        self.results: dict[str, FileResult] = {}  # by path
        self.jobs: dict[int, dict[str, Any]] = {}  # analysis requests in flight
        self.debounce: dict[str, asyncio.TimerHandle] = {}  # by uri
        self.analysis_ms: dict[str, Any] = {}  # by path: the last open analyses' times (a deque)
        self.change_times: dict[str, Any] = {}  # by uri: when the last changes came (a deque)
        self.waiters: dict[str, list[asyncio.Future]] = {}  # by path: pull requests
        self.workspace_changed = asyncio.Event()
        self.first_result = asyncio.Event()  # an open document got its first diagnostics
        self.settings: dict[str, Any] = {}  # client settings (section "ragtune")
        # Settings the analysis processes were given: each new set is a new generation,
        # and a result computed under an older one is dropped (its re-analysis follows).
        # Until the client's settings are first known, results are held, not shown: a
        # client's thresholds must not flash the file settings' findings first.
        self.config_generation = 0
        self.config_settled = False
        self.held_results: list[tuple[int, dict[str, Any], str, dict[str, Any]]] = []
        self.server_options: dict[str, Any] = {"debounce-ms": 120, "code-lens": True}
        self.config_problem: str | None = None
        self.scan_state: dict[str, Any] = {}
        self.initialized_done = False
        self.refresh_pending = False
        self.lens_refresh_pending = False
        self.untitled: dict[str, str] = {}  # untitled: uri -> the path it is analysed as
        self.disable_cache: dict = {}  # "Disable CODE for this line" fixes of one buffer version
        self.doc_uris: dict[str, str] = {}  # path -> the uri exactly as the client sent it
        self.scan_held = False  # the scan process was told to hold its scan
        self.scan_overlays_behind: set[str] = set()  # open buffers the scan process has an older text of

    # -- the analysis process ----------------------------------------------
    # Two analysis processes: one for the open documents, one for the workspace scan and
    # files not open, so a slow scanned file never holds up the file being typed in.
    @property
    def backend(self) -> AnalysisProcess:
        if self._backend is None:
            self._backend = AnalysisProcess.spawn()
        return self._backend

    @property
    def scan_backend(self) -> AnalysisProcess:
        if self._scan_backend is None:
            self._scan_backend = AnalysisProcess.spawn("scan")
            self.scan_held = False
            self.scan_overlays_behind.clear()  # a new process is given every buffer
            self.on_new_backend(self._scan_backend, "scan")
        return self._scan_backend

    def backends(self) -> list[AnalysisProcess]:
        return [b for b in (self._backend, self._scan_backend) if b is not None]

    def on_new_backend(self, backend: AnalysisProcess, role: str) -> None:
        """Attach a (re)started process and give it the configuration and the buffers."""
        from .lifecycle import attach_backend

        attach_backend(self, backend, role)

    def replace_backend(self, role: str) -> AnalysisProcess:
        if role == "scan":
            self._scan_backend = None
            return self.scan_backend
        self._backend = AnalysisProcess.spawn()
        self.on_new_backend(self._backend, "editor")
        return self._backend

    def next_id(self) -> int:
        return next(self._ids)

    # -- helpers every feature uses -------------------------------------------
    def path_of(self, uri: str) -> str | None:
        if uri.startswith("untitled:"):
            return self.untitled.get(uri)
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return str(Path(path).resolve()) if path else None

    def name_untitled(self, uri: str, language_id: str) -> str:
        """A path for an unsaved buffer: inside the workspace (so its configuration
        applies), with the suffix of its language, never a file that exists."""
        suffix = _LANGUAGE_SUFFIX.get(language_id, ".txt")
        base = Path(self.root or Path.cwd())
        n = len(self.untitled) + 1
        path = base / f".ragtune-untitled-{n}{suffix}"
        while path.exists():
            n += 1
            path = base / f".ragtune-untitled-{n}{suffix}"
        self.untitled[uri] = str(path)
        return str(path)

    def uri_of(self, path: str) -> str:
        return self.doc_uris.get(path) or from_fs_path(path) or path

    def open_document(self, uri: str):
        """The open document, or None (no error) when the client never opened it."""
        if unquote(uri) not in self.workspace.text_documents:
            return None
        return self.workspace.get_text_document(uri)

    def open_document_at(self, path: str):
        uri = self.doc_uris.get(path)
        return self.open_document(uri) if uri else None

    def log(self, message: str, level: types.MessageType = types.MessageType.Log) -> None:
        """To the client's log (window/logMessage) and the server log (stderr/--log-file)."""
        {types.MessageType.Error: log.error, types.MessageType.Warning: log.warning, types.MessageType.Info: log.info}.get(level, log.debug)(message)
        if self.initialized_done:
            try:
                self.window_log_message(types.LogMessageParams(type=level, message=message))
            except Exception:  # the log must never take the server down
                log.debug("could not send a log message", exc_info=True)

    def report_server_error(self, error: Exception, source) -> None:
        """Log an internal error (the client's log, stderr, --log-file) and go on.

        pygls's default also pops up a message for every failed notification; during
        typing that would be a storm of dialogs for one bug."""
        self.log(f"internal error ({source.__name__ if isinstance(source, type) else source}): {error}", types.MessageType.Error)

    def tell_user(self, message: str, level: types.MessageType = types.MessageType.Warning) -> None:
        self.log(message, level)
        try:
            self.window_show_message(types.ShowMessageParams(type=level, message=message))
        except Exception:
            log.debug("could not show a message", exc_info=True)


def create_server(backend: AnalysisProcess | None = None) -> RagtuneLanguageServer:
    from . import code_actions, code_lens, commands, configuration, diagnostics, hover, lifecycle, scan

    server = RagtuneLanguageServer(backend=backend)
    for module in (lifecycle, configuration, diagnostics, scan, code_actions, hover, code_lens, commands):
        module.register(server)
    return server
