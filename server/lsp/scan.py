"""The workspace scan: every file in the background at start, with work-done progress
("Scanning 1,240 files"), cancellable from the client.  Open documents are analysed
before the next scanned file, so the scan never holds up the editor."""

from __future__ import annotations

import time
import uuid

from lsprotocol import types

from .server import RagtuneLanguageServer

# At most this many progress reports per second (a report per file floods the client).
REPORTS_PER_SECOND = 4


async def start_scan(ls: RagtuneLanguageServer) -> None:
    scan_id = ls.next_id()
    token = None
    caps = ls.client_capabilities.window
    if caps is not None and caps.work_done_progress:
        token = f"ragtune-scan-{uuid.uuid4().hex[:8]}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception as exc:
            ls.log(f"the client refused a progress token ({exc}); scanning without progress")
            token = None
    ls.scan_state.update({"id": scan_id, "token": token, "started": time.perf_counter(), "last_report": 0.0, "running": True})
    if token is not None:
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="ragtune", message="Listing files", cancellable=True, percentage=0))
    ls.scan_backend.send(("scan", scan_id))


def on_scan_started(ls: RagtuneLanguageServer, scan_id: int, paths: list[str]) -> None:
    if ls.scan_state.get("id") != scan_id:
        return
    ls.scan_state["targets"] = set(paths)
    ls.scan_state["total"] = len(paths)
    token = ls.scan_state.get("token")
    if token is not None:
        ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=f"Scanning {len(paths):,} files", percentage=0))
    ls.log(f"scanning {len(paths):,} files")


def on_scan_progress(ls: RagtuneLanguageServer, scan_id: int, done: int, total: int) -> None:
    state = ls.scan_state
    token = state.get("token")
    if state.get("id") != scan_id or token is None or not state.get("running"):
        return
    now = time.perf_counter()
    if now - state["last_report"] < 1 / REPORTS_PER_SECOND:
        return
    state["last_report"] = now
    ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=f"Scanning {total:,} files ({done:,} done)", percentage=int(done * 100 / max(total, 1))))


def on_scan_done(ls: RagtuneLanguageServer, scan_id: int, done: int, cancelled: bool) -> None:
    state = ls.scan_state
    if state.get("id") != scan_id or not state.get("running"):
        return
    state["running"] = False
    seconds = time.perf_counter() - state["started"]
    message = f"Scan cancelled after {done:,} files" if cancelled else f"Scanned {done:,} files in {seconds:.1f} s"
    ls.log(message, types.MessageType.Info)
    token = state.get("token")
    if token is not None:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
    from .diagnostics import request_refresh

    ls.workspace_changed.set()
    request_refresh(ls)


def register(server: RagtuneLanguageServer) -> None:
    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel_progress(ls: RagtuneLanguageServer, params: types.WorkDoneProgressCancelParams):
        if params.token == ls.scan_state.get("token") and ls.scan_state.get("running"):
            ls.scan_backend.send(("cancel_scan", ls.scan_state["id"]))
