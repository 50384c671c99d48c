"""Initialize, initialized, shutdown, and the answers of the analysis process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from .server import RagtuneLanguageServer


def register(server: RagtuneLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: RagtuneLanguageServer, params: types.InitializeParams):
        caps = params.capabilities
        # pull only when the client says it pulls: a client that gets both shows duplicates
        ls.pull_mode = caps.text_document is not None and caps.text_document.diagnostic is not None
        ls.refresh_support = bool(caps.workspace and caps.workspace.diagnostics and caps.workspace.diagnostics.refresh_support)
        ls.encoding = str(ls.workspace.position_encoding or "utf-16")
        root = None
        if params.workspace_folders:
            root = to_fs_path(params.workspace_folders[0].uri)
        elif params.root_uri:
            root = to_fs_path(params.root_uri)
        elif params.root_path:
            root = params.root_path
        ls.root = str(Path(root).resolve()) if root else None
        options = params.initialization_options
        if isinstance(options, dict):
            from .configuration import apply_server_options

            apply_server_options(ls, options)
        attach_backend(ls, ls.backend, "editor")  # file settings at once; client settings follow after initialized
        if caps.workspace is None or not caps.workspace.configuration:
            ls.config_settled = True  # no client settings will come: nothing to wait for

    @server.feature(types.INITIALIZED)
    async def initialized(ls: RagtuneLanguageServer, params: types.InitializedParams):
        ls.initialized_done = True
        ls.log(f"ragtune {ls.version}: {'pull' if ls.pull_mode else 'push'} diagnostics, positions in {ls.encoding}, workspace {ls.root or '(none)'}", types.MessageType.Info)
        from .configuration import register_watchers, reload_configuration, settle_configuration
        from .scan import start_scan

        try:
            await reload_configuration(ls, reanalyse=True)
        finally:
            settle_configuration(ls)  # whatever happened, held results are not held forever
        await register_watchers(ls)
        if ls.root:
            # the scan's process starts once the first open file has its diagnostics
            # (or soon, when none is opened): both would compete for the same cores
            try:
                await asyncio.wait_for(ls.first_result.wait(), timeout=2.0)
            except asyncio.TimeoutError:
                pass
            await start_scan(ls)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: RagtuneLanguageServer, params: None):
        ls.shutting_down = True
        for backend in ls.backends():
            backend.stop()


def attach_backend(ls: RagtuneLanguageServer, backend, role: str) -> None:
    """Route a process's answers here; tell it the configuration and the open buffers."""
    from .configuration import init_message

    backend.attach(asyncio.get_running_loop(), lambda msg: on_answer(ls, msg, role))
    backend.send(init_message(ls))
    if role == "scan":
        for path, uri in ls.doc_uris.items():
            doc = ls.open_document(uri)
            if doc is not None:
                backend.send(("overlay", path, doc.source))


def on_answer(ls: RagtuneLanguageServer, msg: tuple, role: str = "editor") -> None:
    from . import diagnostics, scan

    op = msg[0]
    if op == "result":
        _, job_id, path, _tag, payload = msg
        diagnostics.on_result(ls, job_id, path, payload)
    elif op == "sites":
        diagnostics.on_sites(ls, msg[1], msg[2], msg[3])
    elif op == "scan_started":
        scan.on_scan_started(ls, msg[1], msg[2])
    elif op == "scan_result":
        _, scan_id, path, done, total, payload = msg
        diagnostics.on_scan_result(ls, path, payload)
        scan.on_scan_progress(ls, scan_id, done, total)
    elif op == "scan_done":
        scan.on_scan_done(ls, msg[1], msg[2], msg[3])
    elif op == "init_done":
        if role == "editor":  # both processes check the same settings: report once
            from .configuration import on_config_applied

            on_config_applied(ls, msg[1])
    elif op == "exited":
        _restart(ls, msg[1], role)


MAX_RESTARTS = 5


def _restart(ls: RagtuneLanguageServer, code: int | None, role: str) -> None:
    if getattr(ls, "shutting_down", False):
        return
    ls.restarts = getattr(ls, "restarts", 0) + 1
    if ls.restarts > MAX_RESTARTS:
        # a process that dies at once every time would otherwise be restarted forever
        ls.analysis_off = True  # no more holds on the scan: nothing may release them
        if ls.scan_held and ls._scan_backend is not None:
            ls._scan_backend.send(("hold", 0))
        ls.scan_held = False
        ls.tell_user(f"ragtune: the analysis process keeps exiting (code {code}); diagnostics are off until the server restarts. See the log.", types.MessageType.Error)
        return
    ls.log(f"the {role} analysis process exited (code {code}); starting it again", types.MessageType.Warning)
    from . import diagnostics

    lost = [jid for jid, job in ls.jobs.items() if (job["kind"] == "open") == (role == "editor")]
    for jid in lost:
        del ls.jobs[jid]
    ls.replace_backend(role)
    if role == "editor":
        for uri in list(ls.doc_uris.values()):
            diagnostics.send_open_job(ls, uri, with_dependents=False)
    elif ls.scan_state.get("running"):
        ls.log("the workspace scan was interrupted; files are analysed again as they change", types.MessageType.Warning)
        ls.scan_state["running"] = False
    diagnostics.release_scan(ls)  # when no open document was waiting
