"""Diagnostics: debounced analysis of open documents, push or pull, never both.

A client that declares ``textDocument.diagnostic`` pulls (``textDocument/diagnostic``
for open documents, ``workspace/diagnostic`` for the rest); every other client is sent
``publishDiagnostics``.  Analysis runs in the analysis process; a result computed for a
version that is no longer the document's is dropped.  Files an analysis read (a module
with an imported constant, a loaded prompt file) are its dependencies: a change to one
re-analyses the files that read it.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from .positions import range_to_client, split_lines
from .server import FileResult, RagtuneLanguageServer
from .worker import rule_doc_uri

log = logging.getLogger("ragtune.server")

# A buffer over this size is analysed from disk, where the engine reports it (RT002)
# instead of parsing it: the same limit as the engine's for files.
MAX_BUFFER_CHARS = 5 * 1024 * 1024
# How long workspace/diagnostic waits for a change before answering "unchanged".
WORKSPACE_POLL_SECONDS = 30.0
# The longest the scan waits for an open document's analysis without hearing more (a
# release that never comes costs the scan this long, not the rest of the session).
SCAN_HOLD_SECONDS = 2.0

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


# -- scheduling -----------------------------------------------------------------
# An analysis starts this much earlier than the end of its debounce, beyond the longest
# of the file's recent analyses (the round trip, the timer's slack)...
LEAD_MARGIN_SECONDS = 0.010
# ...of which the last this many count.
RECENT_ANALYSES = 8
# While changes come faster than the debounce, an analysis starts no sooner than this
# many times the usual gap between them after the last one: the next change would most
# likely cancel it, and fast typing would keep a core busy for results never shown (a
# plain debounce analyses nothing until the typing stops).
TYPING_GAP_FACTOR = 1.25
RECENT_CHANGES = 6


def schedule(ls: RagtuneLanguageServer, uri: str, delay: float | None = None) -> None:
    """Analyse an open document so that its diagnostics are ready as its debounce ends.

    The debounce (``delay``, by default ``debounce-ms`` after a change) is how long
    after the last change diagnostics may be shown.  The analysis starts earlier, by
    about as long as this file's analyses take, and its result is held until the
    debounce is over: text typed past is still never shown diagnostics, and the wait
    after the debounce is only the part of the analysis that did not fit in it.  A
    change cancels the analysis under way for the text it replaced."""
    old = ls.debounce.pop(uri, None)
    if old is not None:
        old.cancel()
    loop = asyncio.get_running_loop()
    path = ls.path_of(uri)
    start = 0.0
    if delay is None:  # a change
        delay = ls.server_options["debounce-ms"] / 1000
        gap = typing_gap_seconds(ls, uri, loop.time())
        if gap < delay:  # typing faster than the debounce
            start = gap * TYPING_GAP_FACTOR
    delay = max(0.0, delay)
    if path is not None:
        cancel_open_jobs(ls, path)
    start = min(delay, max(start, delay - expected_analysis_seconds(ls, path)))
    ls.debounce[uri] = loop.call_later(start, send_open_job, ls, uri, True, loop.time() + delay)


def typing_gap_seconds(ls: RagtuneLanguageServer, uri: str, now: float) -> float:
    """Note a change; the usual gap between the last changes (infinite for the first)."""
    times = ls.change_times.setdefault(uri, collections.deque(maxlen=RECENT_CHANGES + 1))
    times.append(now)
    gaps = sorted(b - a for a, b in zip(times, list(times)[1:]))
    return gaps[len(gaps) // 2] if len(gaps) >= 2 else float("inf")


def expected_analysis_seconds(ls: RagtuneLanguageServer, path: str | None) -> float:
    """How long an analysis of ``path`` is expected to take (0 when none was timed)."""
    times = ls.analysis_ms.get(path) if path is not None else None
    return max(times) / 1000 + LEAD_MARGIN_SECONDS if times else 0.0


def cancel_open_jobs(ls: RagtuneLanguageServer, path: str) -> None:
    """The buffer changed: analyses of its older text stop (or never start)."""
    for jid in [jid for jid, j in ls.jobs.items() if j["path"] == path and j["kind"] == "open"]:
        job = ls.jobs.pop(jid)
        ls.log(f"{path}: version {job['version']} superseded by a change; its diagnostics are skipped")
        ls.backend.send(("cancel", jid))


def send_open_job(ls: RagtuneLanguageServer, uri: str, with_dependents: bool = True, not_before: float = 0.0) -> None:
    """Send the buffer to the analysis process; its diagnostics are shown no earlier than
    ``not_before`` (the event loop's clock: when the debounce ends)."""
    ls.debounce.pop(uri, None)
    doc = ls.open_document(uri)
    path = ls.path_of(uri)
    if doc is None or path is None:
        return
    source = doc.source
    text = source if len(source) <= MAX_BUFFER_CHARS else None
    if text is None:
        ls.log(f"{path}: the buffer is {len(source) / 1024 / 1024:.1f} MB; analysed from disk, where it is reported as too large")
    # an analysis still running for an older version is superseded: the analysis process
    # drops it if it has not started, and its answer is dropped here if it has
    older = [jid for jid, j in ls.jobs.items() if j["path"] == path and j["kind"] == "open"]
    for jid in older:
        ls.log(f"{path}: version {ls.jobs.pop(jid)['version']} superseded by version {doc.version}; its diagnostics are skipped")
    job_id = ls.next_id()
    ls.jobs[job_id] = {"kind": "open", "uri": uri, "path": path, "version": doc.version, "lines": split_lines(source), "sent": time.perf_counter(), "not_before": not_before, "config": ls.config_generation}
    ls.backend.send(("analyze", job_id, path, text, ("open", doc.version)))
    hold_scan(ls)
    if text is not None:
        # the scan process reads this buffer for files not open; it gets the text when it
        # needs it (before a file not open is analysed) and when this analysis is done,
        # not the whole buffer on every keystroke
        ls.scan_overlays_behind.add(path)
    if with_dependents:
        reanalyse_dependents(ls, path)


def hold_scan(ls: RagtuneLanguageServer) -> None:
    """Hold the workspace scan while an open document is analysed (renewed per request)."""
    if ls._scan_backend is None or getattr(ls, "analysis_off", False):
        return
    ls._scan_backend.send(("hold", SCAN_HOLD_SECONDS))
    ls.scan_held = True


def release_scan(ls: RagtuneLanguageServer) -> None:
    """Let the scan go on once no open document's analysis is under way (a result held
    for its debounce is done with the CPU)."""
    if not ls.scan_held or any(j["kind"] == "open" and "arrived" not in j for j in ls.jobs.values()):
        return
    ls.scan_held = False
    if ls._scan_backend is not None:
        ls._scan_backend.send(("hold", 0))


def sync_scan_overlays(ls: RagtuneLanguageServer) -> None:
    """Send the scan process the open buffers it has an older text of."""
    behind, ls.scan_overlays_behind = ls.scan_overlays_behind, set()
    if ls._scan_backend is None:
        return
    for path in sorted(behind):
        doc = ls.open_document_at(path)
        if doc is not None and len(doc.source) <= MAX_BUFFER_CHARS:
            ls._scan_backend.send(("overlay", path, doc.source))


def send_closed_job(ls: RagtuneLanguageServer, path: str) -> None:
    """Analyse a file that is not open, from disk (and the open buffers it reads)."""
    if path in ls.doc_uris:
        return
    job_id = ls.next_id()
    ls.jobs[job_id] = {"kind": "closed", "uri": ls.uri_of(path), "path": path, "version": None, "lines": None, "sent": time.perf_counter(), "config": ls.config_generation}
    backend = ls.scan_backend
    sync_scan_overlays(ls)  # it may read open buffers
    backend.send(("analyze", job_id, path, None, ("closed", None)))


def reanalyse_dependents(ls: RagtuneLanguageServer, path: str) -> None:
    for result in list(ls.results.values()):
        if result.path != path and path in result.deps:
            uri = ls.doc_uris.get(result.path)
            if uri is not None:
                send_open_job(ls, uri, with_dependents=False)
            else:
                send_closed_job(ls, result.path)


def reanalyse_everything(ls: RagtuneLanguageServer) -> None:
    """After a configuration change: open documents now, other known files after."""
    for uri in list(ls.doc_uris.values()):
        send_open_job(ls, uri, with_dependents=False)
    for path in list(ls.results):
        if path not in ls.doc_uris:
            send_closed_job(ls, path)


# -- answers from the analysis process -------------------------------------------------
def on_result(ls: RagtuneLanguageServer, job_id: int, path: str, payload: dict[str, Any]) -> None:
    job = ls.jobs.get(job_id)
    if job is not None and job["kind"] == "open" and "arrived" not in job:
        job["arrived"] = time.perf_counter()
        if not payload.get("superseded") and not payload.get("error"):
            times = ls.analysis_ms.setdefault(path, collections.deque(maxlen=RECENT_ANALYSES))
            times.append(payload.get("elapsed_ms", 0.0))
        loop = asyncio.get_running_loop()
        wait = job["not_before"] - loop.time()
        if wait > 0 and not payload.get("superseded"):
            # ready before its debounce is over: shown when it is (unless a change
            # comes first, which drops it)
            loop.call_later(wait, on_result, ls, job_id, path, payload)
            release_scan(ls)
            return
    job = ls.jobs.pop(job_id, None)
    release_scan(ls)
    if payload.get("superseded"):
        ls.log(f"{path}: the analysis of an older version stopped after {payload.get('elapsed_ms', 0.0):.0f} ms: a newer version came in")
        return
    if job is None:
        return
    if not ls.config_settled:
        ls.held_results.append((job_id, job, path, payload))  # shown once the client's settings are known
        return
    accept_result(ls, job_id, job, path, payload)


def accept_result(ls: RagtuneLanguageServer, job_id: int, job: dict[str, Any], path: str, payload: dict[str, Any]) -> None:
    """Store and show an analysis result, unless it no longer applies."""
    if job.get("config", ls.config_generation) != ls.config_generation:
        ls.log(f"{path}: dropped a result computed under earlier settings; its re-analysis follows")
        return
    if payload.get("config_error"):
        from .configuration import report_config_problem

        report_config_problem(ls, payload["error"])
    elif payload.get("error"):
        ls.log(f"{path}: analysis failed ({payload['error']}); the previous diagnostics stay")
        return
    if job["kind"] == "open":
        # for --log-file and the benchmark: how much of the wait was the analysis itself
        now = time.perf_counter()
        log.info("analysed %s version %s: %.1f ms in the analysis process, %.1f ms round trip, held %.1f ms for the debounce", path, job["version"], payload.get("elapsed_ms", 0.0), (job["arrived"] - job["sent"]) * 1000, (now - job["arrived"]) * 1000)
        doc = ls.open_document(job["uri"])
        if doc is None or doc.version != job["version"]:
            ls.log(f"{path}: dropped the result for version {job['version']}: the document moved on")
            return
        lines = job["lines"]
        version = job["version"]
        sync_scan_overlays(ls)
    else:
        if path in ls.doc_uris:
            return  # the buffer is open now: its own analysis wins
        lines = None
        version = None
    if payload["sites"] is None and "sites" in job:  # the figures came during the hold
        previous = ls.results.get(path)
        payload = dict(payload, sites=job["sites"] if job["sites"] is not None else (previous.sites if previous is not None else []))
    store_result(ls, path, job["uri"], version, lines, payload, job_id)


def on_sites(ls: RagtuneLanguageServer, job_id: int, path: str, sites: list[dict[str, Any]] | None) -> None:
    """The hover and code lens figures of an analysis whose diagnostics came first
    (None: skipped, a newer version came in; the previous figures stay)."""
    job = ls.jobs.get(job_id)
    if job is None:  # or held until the client's settings are known
        job = next((held for jid, held, _, _ in ls.held_results if jid == job_id), None)
    if job is not None:  # its diagnostics are held (debounce, settings): they take these along
        job["sites"] = sites
        return
    result = ls.results.get(path)
    if result is None or result.job_id != job_id:
        return
    changed = sites is not None and sites != result.sites
    if sites is not None:
        result.sites = sites
    ready, result.sites_ready = result.sites_ready, None
    if ready is not None and not ready.done():
        ready.set_result(None)
    if changed and result.version is not None:
        request_code_lens_refresh(ls)


def on_scan_result(ls: RagtuneLanguageServer, path: str, payload: dict[str, Any] | None) -> None:
    if payload is None or path in ls.doc_uris or payload.get("error"):
        return
    store_result(ls, path, ls.uri_of(path), None, None, payload)


def store_result(ls: RagtuneLanguageServer, path: str, uri: str, version: int | None, lines: list[str] | None, payload: dict[str, Any], job_id: int | None = None) -> None:
    if lines is None:
        lines = _disk_lines(path) if _needs_lines(payload, ls.encoding) else []
    previous = ls.results.get(path)
    sites = payload["sites"]
    sites_ready = None
    if sites is None:  # the figures follow (on_sites); the previous ones until then
        sites = previous.sites if previous is not None else []
        sites_ready = asyncio.get_running_loop().create_future()
    if previous is not None and previous.sites_ready is not None and not previous.sites_ready.done():
        previous.sites_ready.set_result(None)  # whoever waited on them is served by this result
    result = FileResult(
        path=path,
        uri=uri,
        version=version,
        lines=lines,
        findings=payload["findings"],
        kind=payload.get("kind"),
        sites=sites,
        deps=payload["deps"],
        job_id=job_id,
        sites_ready=sites_ready,
    )
    result.diagnostics = [to_diagnostic(ls, result, i) for i in range(len(result.findings))]
    digest = hashlib.blake2b(json.dumps([result.findings, ls.encoding], sort_keys=True, default=str).encode(), digest_size=12).hexdigest()
    result.result_id = f"{digest}@{version}"
    ls.results[path] = result
    if version is not None:
        ls.first_result.set()
    changed = previous is None or previous.result_id != result.result_id
    if version is not None and sites_ready is None and (previous is None or previous.sites != result.sites):
        request_code_lens_refresh(ls)
    if ls.pull_mode:
        waiters = ls.waiters.pop(path, [])
        for fut in waiters:
            if not fut.done():
                fut.set_result(result)
        if changed:
            if version is None:
                ls.workspace_changed.set()
            elif not waiters:
                request_refresh(ls)
    elif changed or version is not None:
        if version is None and not result.diagnostics and (previous is None or not previous.diagnostics):
            return  # nothing to show and nothing to clear
        publish(ls, uri, version, result.diagnostics)


def publish(ls: RagtuneLanguageServer, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
    if ls.pull_mode:
        return  # a pulling client is never pushed to
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics))


def request_refresh(ls: RagtuneLanguageServer) -> None:
    """Ask a pulling client to pull again (after a cross-file or configuration change)."""
    if not ls.refresh_support or ls.refresh_pending:
        return
    ls.refresh_pending = True

    def send() -> None:
        ls.refresh_pending = False
        try:
            ls.workspace_diagnostic_refresh(None)
        except Exception:
            ls.log("could not ask the client to refresh diagnostics")

    asyncio.get_running_loop().call_later(0.05, send)


def request_code_lens_refresh(ls: RagtuneLanguageServer) -> None:
    """Lens figures changed (the client asks for lenses on edits, before they are new)."""
    caps = ls.client_capabilities.workspace
    if caps is None or caps.code_lens is None or not caps.code_lens.refresh_support or ls.lens_refresh_pending:
        return
    ls.lens_refresh_pending = True

    def send() -> None:
        ls.lens_refresh_pending = False
        try:
            ls.workspace_code_lens_refresh(None)
        except Exception:
            ls.log("could not ask the client to refresh code lenses")

    asyncio.get_running_loop().call_later(0.05, send)


# -- findings → LSP ------------------------------------------------------------
def _needs_lines(payload: dict[str, Any], encoding: str) -> bool:
    if encoding == "utf-32":
        return False
    return any(f["range"]["start"]["character"] or f["range"]["end"]["character"] for f in payload["findings"])


def _disk_lines(path: str) -> list[str]:
    try:
        if Path(path).stat().st_size > MAX_BUFFER_CHARS:
            return []
        return split_lines(Path(path).read_text("utf-8", errors="replace"))
    except OSError:
        return []


def lines_of(ls: RagtuneLanguageServer, path: str, cache: dict[str, list[str]] | None = None) -> list[str]:
    """The text of ``path`` as the client sees it: its buffer when open, else the disk."""
    if cache is not None and path in cache:
        return cache[path]
    doc = ls.open_document_at(path)
    lines = split_lines(doc.source) if doc is not None else _disk_lines(path)
    if cache is not None:
        cache[path] = lines
    return lines


def to_range(lines, rng: dict | list, encoding: str) -> types.Range:
    values = rng if isinstance(rng, list) else [rng["start"]["line"], rng["start"]["character"], rng["end"]["line"], rng["end"]["character"]]
    sl, sc, el, ec = range_to_client(lines, values, encoding)
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


def to_diagnostic(ls: RagtuneLanguageServer, result: FileResult, index: int) -> types.Diagnostic:
    f = result.findings[index]
    other_files: dict[str, list[str]] = {result.path: result.lines}
    related = []
    for ev in f.get("evidence") or []:
        loc = ev.get("location")
        if not loc:
            continue
        lines = lines_of(ls, loc["path"], other_files)
        related.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=ls.uri_of(loc["path"]), range=to_range(lines, loc["range"], ls.encoding)),
                message=ev["message"] or f["code"],
            )
        )
    tags = [types.DiagnosticTag.Unnecessary] if f["code"] == "RT001" else None
    return types.Diagnostic(
        range=to_range(result.lines, f["range"], ls.encoding),
        message=f["message"] or f"{f['code']} {f['name']}",  # an empty message makes VS Code drop the file's diagnostics
        severity=_SEVERITY.get(f["severity"], types.DiagnosticSeverity.Warning),
        code=f["code"],
        code_description=types.CodeDescription(href=rule_doc_uri(f["code"])),
        source="ragtune",
        related_information=related or None,
        tags=tags,
        data={"v": result.version, "path": result.path, "kind": result.kind, "code": f["code"], "range": f["range"], "fix": f.get("fix")},
    )


# -- pull -------------------------------------------------------------------------
async def current_result(ls: RagtuneLanguageServer, uri: str) -> FileResult | None:
    path = ls.path_of(uri)
    if path is None:
        return None
    doc = ls.open_document(uri)
    if doc is None:
        result = ls.results.get(path)
        if result is not None:
            return result
        if not Path(path).is_file():
            return None
        send_closed_job(ls, path)
    else:
        result = ls.results.get(path)
        if result is not None and result.version == doc.version:
            return result
        if uri not in ls.debounce and not any(j["path"] == path and j["version"] == doc.version for j in ls.jobs.values()):
            send_open_job(ls, uri)
    fut = asyncio.get_running_loop().create_future()
    ls.waiters.setdefault(path, []).append(fut)
    return await fut


def register(server: RagtuneLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RagtuneLanguageServer, params: types.DidOpenTextDocumentParams):
        uri = params.text_document.uri
        if uri.startswith("untitled:"):
            ls.name_untitled(uri, params.text_document.language_id)
        path = ls.path_of(uri)
        if path is None:
            ls.log(f"{uri}: not a file; not analysed")
            return
        ls.doc_uris[path] = uri
        schedule(ls, uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RagtuneLanguageServer, params: types.DidChangeTextDocumentParams):
        if ls.path_of(params.text_document.uri) is not None:
            schedule(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RagtuneLanguageServer, params: types.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        path = ls.path_of(uri)
        if path is None:
            return
        from .configuration import is_config_file, reload_configuration

        if is_config_file(path):
            asyncio.ensure_future(reload_configuration(ls, files_changed=True))
        if uri in ls.debounce:
            schedule(ls, uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RagtuneLanguageServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        handle = ls.debounce.pop(uri, None)
        if handle is not None:
            handle.cancel()
        path = ls.path_of(uri)
        if path is None:
            return
        ls.doc_uris.pop(path, None)
        ls.untitled.pop(uri, None)
        ls.analysis_ms.pop(path, None)
        ls.change_times.pop(uri, None)
        ls.scan_overlays_behind.discard(path)
        for backend in ls.backends():
            backend.send(("close", path))
        was = ls.results.pop(path, None)
        for fut in ls.waiters.pop(path, []):
            if not fut.done():
                fut.set_result(None)
        if not ls.pull_mode:
            publish(ls, uri, None, [])  # clear on close
        if was is not None and path in ls.scan_state.get("targets", ()):
            send_closed_job(ls, path)  # still a workspace file: shown as one
        reanalyse_dependents(ls, path)  # they read the buffer; now they read the disk

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="ragtune", inter_file_dependencies=True, workspace_diagnostics=True),
    )
    async def document_diagnostic(ls: RagtuneLanguageServer, params: types.DocumentDiagnosticParams):
        result = await current_result(ls, params.text_document.uri)
        if result is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if params.previous_result_id == result.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=result.diagnostics, result_id=result.result_id)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(ls: RagtuneLanguageServer, params: types.WorkspaceDiagnosticParams):
        previous = {p.uri: p.value for p in params.previous_result_ids}
        # hold the request (long poll) until something differs from what the client has
        deadline = time.monotonic() + WORKSPACE_POLL_SECONDS
        while True:
            items = _workspace_items(ls)
            if any(previous.get(uri) != rid for uri, rid, _ in items) or time.monotonic() >= deadline:
                break
            ls.workspace_changed.clear()
            try:
                await asyncio.wait_for(ls.workspace_changed.wait(), timeout=max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass
        reports: list = []
        for uri, rid, result in items:
            if previous.get(uri) == rid:
                reports.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, result_id=rid, version=None))
            else:
                reports.append(types.WorkspaceFullDocumentDiagnosticReport(uri=uri, items=result.diagnostics, result_id=rid, version=None))
        return types.WorkspaceDiagnosticReport(items=reports)


def _workspace_items(ls: RagtuneLanguageServer) -> list[tuple[str, str, FileResult]]:
    """Files not open that have (or had) something to show."""
    out = []
    for path, result in ls.results.items():
        if path in ls.doc_uris or result.version is not None:
            continue
        if result.diagnostics or ls.scan_state.get("reported", {}).get(path):
            ls.scan_state.setdefault("reported", {})[path] = True
            out.append((result.uri, result.result_id, result))
    return out
