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
        ls.backend.attach(asyncio.get_running_loop(), lambda msg: on_answer(ls, msg))
        from .configuration import send_init

        send_init(ls)  # file settings at once; client settings follow after initialized

    @server.feature(types.INITIALIZED)
    async def initialized(ls: RagtuneLanguageServer, params: types.InitializedParams):
        ls.initialized_done = True
        ls.log(f"ragtune {ls.version}: {'pull' if ls.pull_mode else 'push'} diagnostics, positions in {ls.encoding}, workspace {ls.root or '(none)'}", types.MessageType.Info)
        from .configuration import reload_configuration, register_watchers
        from .scan import start_scan

        await reload_configuration(ls, reanalyse=True)
        await register_watchers(ls)
        if ls.root:
            await start_scan(ls)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: RagtuneLanguageServer, params: None):
        backend = ls._backend
        if backend is not None:
            backend.on_exit = None
            ls.shutting_down = True
            backend.stop()


def on_answer(ls: RagtuneLanguageServer, msg: tuple) -> None:
    from . import diagnostics, scan

    op = msg[0]
    if op == "result":
        _, job_id, path, _tag, payload = msg
        diagnostics.on_result(ls, job_id, path, payload)
    elif op == "scan_started":
        scan.on_scan_started(ls, msg[1], msg[2])
    elif op == "scan_result":
        _, scan_id, path, done, total, payload = msg
        diagnostics.on_scan_result(ls, path, payload)
        scan.on_scan_progress(ls, scan_id, done, total)
    elif op == "scan_done":
        scan.on_scan_done(ls, msg[1], msg[2], msg[3])
    elif op == "init_done":
        from .configuration import on_config_applied

        on_config_applied(ls, msg[1])
    elif op == "exited":
        _restart(ls, msg[1])


MAX_RESTARTS = 5


def _restart(ls: RagtuneLanguageServer, code: int | None) -> None:
    if getattr(ls, "shutting_down", False):
        return
    ls.restarts = getattr(ls, "restarts", 0) + 1
    if ls.restarts > MAX_RESTARTS:
        # a process that dies at once every time would otherwise be restarted forever
        ls.tell_user(f"ragtune: the analysis process keeps exiting (code {code}); diagnostics are off until the server restarts. See the log.", types.MessageType.Error)
        return
    ls.log(f"the analysis process exited (code {code}); starting it again", types.MessageType.Warning)
    from . import diagnostics
    from .configuration import send_init

    ls.jobs.clear()
    ls.replace_backend()
    ls.backend.attach(asyncio.get_running_loop(), lambda msg: on_answer(ls, msg))
    send_init(ls)
    for uri in list(ls.doc_uris.values()):
        diagnostics.send_open_job(ls, uri, with_dependents=False)
