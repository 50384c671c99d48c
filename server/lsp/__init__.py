"""ragtune's language server (``ragtune server``): LSP over stdio with pygls 2.

``run_server`` starts the analysis process first, so the engine and the tokenizer load
on another core while pygls is imported.  Nothing but the protocol goes to stdout: the
log goes to stderr, ``--log-file`` and the client's ``window/logMessage``.
"""

from __future__ import annotations

import logging
import sys


def create_server(*args, **kwargs):
    from .server import create_server as _create

    return _create(*args, **kwargs)


def run_server(log_file: str | None = None) -> int:
    from ..gc_policy import loaded_for_good
    from .backend import AnalysisProcess

    backend = AnalysisProcess.spawn()
    # pygls and lsprotocol build hundreds of classes that live as long as the process
    # (collector passes while they load: ~15 % of it, CPU the analysis process, loading
    # at the same time, can use)
    with loaded_for_good():
        handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
        if log_file:
            handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
        logging.basicConfig(level=logging.INFO if log_file else logging.WARNING, handlers=handlers, format="%(asctime)s ragtune %(levelname)s %(name)s: %(message)s", force=True)
        # pygls logs every message at INFO; keep its chatter out unless a log file asks for it
        logging.getLogger("pygls").setLevel(logging.INFO if log_file else logging.WARNING)
        stdout = sys.stdout.buffer
        # anything printed by mistake goes to stderr, not into the protocol stream
        sys.stdout = sys.stderr
        from .server import create_server as _create

        server = _create(backend=backend)
    try:
        server.start_io(stdin=sys.stdin.buffer, stdout=stdout)
    finally:
        for process in server.backends():
            process.stop()
    return 0
