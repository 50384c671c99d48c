"""The analysis process: the engine runs here, never in the language server's process.

The server starts this module as a child (``python -m ragtune.server.lsp.worker``) as
the first thing it does, so importing the engine and loading the tokenizer's ranks run
on another core while the server imports pygls; analysis then never competes with the
event loop for the GIL, and an engine crash costs a restart, not the editor session.

Requests arrive as pickles on stdin and answers leave as pickles on the original
stdout; fd 1 is pointed at stderr first, so a stray ``print`` in the engine cannot
corrupt the answers.  Interactive requests (open documents) always run before the next
file of a workspace scan, and a newer request for a file replaces a pending one.

The server runs two of these: one for the open documents, and one (``--scan``, at a
lower CPU priority) for the workspace scan and files not open.  While an open document's
analysis is under way the server holds the scan (``("hold", seconds)``): on a machine
with few cores the scan would otherwise take CPU from the file being typed in.  A hold
lapses by itself, so a lost release cannot stop the scan for good.
This module imports neither pygls nor lsprotocol.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
import traceback
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..gc_policy import loaded_for_good

log = logging.getLogger("ragtune.worker")

# Models shown beside the call's own model in hover: one per common price tier.
COMPARISON_MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash")


def rule_doc_dir() -> Path:
    """Where each rule's documentation is written as Markdown, for ``codeDescription``
    links that open offline (one folder per ragtune version)."""
    import tempfile

    from ragtune.analyzers.userdirs import user_cache_dir
    from ragtune.server import __version__ as ver

    # with no home folder known, a folder of this user under the temporary folder (a
    # relative path would write into the project and could not be a file:// link)
    base = user_cache_dir() or Path(tempfile.gettempdir()) / f"ragtune-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    return base / ver / "rules"


_DOC_DIR: Path | None = None


def rule_doc_uri(code: str) -> str:
    global _DOC_DIR
    if _DOC_DIR is None:
        _DOC_DIR = rule_doc_dir()
    return (_DOC_DIR / f"{code}.md").as_uri()


def write_rule_docs() -> None:
    """Write the rule docs once (atomically); an unwritable cache only costs the links."""
    from ragtune.analyzers.rules.registry import BY_CODE, rule_doc

    folder = rule_doc_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for code in BY_CODE:
            target = folder / f"{code}.md"
            text = rule_doc(code)
            if target.is_file() and target.read_text("utf-8") == text:
                continue
            tmp = folder / f".{code}.md.{os.getpid()}"
            tmp.write_text(text, "utf-8")
            os.replace(tmp, target)
    except OSError as exc:
        log.warning("could not write rule docs to %s: %s", folder, exc)


class _Requests:
    """What the reader thread hands to the analysis loop, in the order it must run."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.control: list[tuple] = []  # init, overlay, close, cancel: run first, in order
        self.interactive: OrderedDict[str, tuple] = OrderedDict()  # path -> analyze request
        self.scan: dict | None = None  # {"id", "paths", "next", "cancelled"}
        self.held_until = 0.0  # time.monotonic() until which the scan lane waits
        self.running: str | None = None  # the path of the interactive analysis under way
        self.running_job: int | None = None  # and its request id
        self.stop = threading.Event()  # set when a newer request for that path comes in
        self.closed = False

    def scan_held_for(self) -> float:
        """Seconds the scan lane must still wait (0: it may go on)."""
        return max(0.0, self.held_until - time.monotonic())

    def put(self, msg: tuple) -> None:
        with self.cond:
            op = msg[0]
            if op == "hold":
                # taken here, not in the loop's turn: it concerns the very next scanned file
                self.held_until = time.monotonic() + msg[1] if msg[1] > 0 else 0.0
            elif op == "cancel":
                # the server has moved on from this request: drop it, or stop it
                job_id = msg[1]
                if job_id == self.running_job:
                    self.stop.set()
                for path, queued in list(self.interactive.items()):
                    if queued[1] == job_id:
                        del self.interactive[path]
            elif op == "analyze":
                path = msg[2]
                self.interactive.pop(path, None)  # the newer text supersedes
                self.interactive[path] = msg
                if path == self.running:
                    self.stop.set()  # and the analysis under way stops at its next checkpoint
            elif op == "cancel_scan":
                if self.scan is not None and self.scan["id"] == msg[1]:
                    self.scan["cancelled"] = True
                self.control.append(msg)
            else:
                self.control.append(msg)
            self.cond.notify()


def _read_requests(conn: Connection, requests: _Requests) -> None:
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        requests.put(msg)
    with requests.cond:
        requests.closed = True
        requests.cond.notify()


class AnalysisSession:
    """The engine for one workspace and configuration, and what it answers."""

    def __init__(self, send) -> None:
        self.send = send
        self.engine = None
        self.workspace = None
        self.root: Path | None = None
        self._later: tuple | None = None  # (context, findings) whose figures are still to send

    # -- setup --------------------------------------------------------------
    def init(self, root: str, overrides: dict, origin: str) -> None:
        from ragtune.analyzers.config import ConfigError

        from .tracking import RecordingEngine, TrackingWorkspace

        overlays = self.workspace.overlays() if self.workspace is not None else {}
        self.root = Path(root)
        self.workspace = TrackingWorkspace(root)
        for path, text in overlays.items():
            self.workspace.set_overlay(path, text)
        error = None
        try:
            self.engine = RecordingEngine(self.workspace, overrides=overrides, overrides_origin=origin)
            self.engine.reset_config()
            self.engine.config_for(root)
        except ConfigError as exc:
            error = str(exc)
            # the editor keeps working on file settings alone; the error is shown
            self.engine = RecordingEngine(self.workspace)
            self.engine.reset_config()
        self.send(("init_done", error))

    def config_error_for(self, path: str) -> str | None:
        from ragtune.analyzers.config import ConfigError

        try:
            self.engine.config_for(path)
        except ConfigError as exc:
            return str(exc)
        return None

    # -- one file -------------------------------------------------------------
    def analyze(self, path: str, text: str | None, stop: threading.Event | None = None, sites_later: bool = False) -> dict[str, Any]:
        """The answer for one file; ``{"superseded": True}`` when ``stop`` was set before
        the analysis got past one of its checkpoints.

        With ``sites_later`` the hover and code lens figures are not in the answer
        (``"sites": None``): ``later_sites()`` computes them once the diagnostics are on
        their way, since nothing in the diagnostics waits for them."""
        from ragtune.analyzers.config import ConfigError

        from .tracking import Superseded

        started = time.perf_counter()
        self._later = None
        if text is not None:
            self.workspace.set_overlay(path, text)
        self.engine.stop = stop
        try:
            with self.workspace.recording() as deps:
                findings, ctx = self.engine.analyze_with_context(path, text=text)
            self.engine.checkpoint()
            from .insight import attach_editor_fixes, site_summaries

            findings = attach_editor_fixes(findings, ctx)
            if sites_later and ctx is not None:
                self._later = (ctx, findings)
                sites = None
            else:
                sites = site_summaries(ctx, findings) if ctx is not None else []
            payload = {
                "findings": [f.model_dump(mode="json") for f in findings],
                "kind": ctx.kind if ctx is not None else None,
                "sites": sites,
                "deps": sorted(d for d in deps if d != str(Path(path).resolve())),
                "error": None,
            }
        except Superseded:
            payload = {"superseded": True}
        except ConfigError as exc:
            payload = {"findings": [], "kind": None, "sites": [], "deps": [], "error": str(exc), "config_error": True}
        except Exception as exc:  # the worker answers for every file, whatever the engine did
            log.error("analysing %s failed:\n%s", path, traceback.format_exc())
            payload = {"findings": [], "kind": None, "sites": [], "deps": [], "error": f"{exc.__class__.__name__}: {exc}"}
        finally:
            self.engine.stop = None
        payload["elapsed_ms"] = (time.perf_counter() - started) * 1000
        return payload

    def has_later_sites(self) -> bool:
        return self._later is not None

    def later_sites(self, stop: threading.Event | None = None) -> list[dict[str, Any]] | None:
        """The figures the last ``analyze(sites_later=True)`` left out; None when a newer
        version of the file came in meanwhile (they would be stale on arrival)."""
        from .insight import site_summaries

        later, self._later = self._later, None
        if later is None or (stop is not None and stop.is_set()):
            return None
        return site_summaries(*later)

    def list_targets(self) -> list[str]:
        from ragtune.analyzers.config import ConfigError

        try:
            return [str(Path(p).resolve()) for p, _kind, _explicit in self.engine.iter_targets([self.root])]
        except (ConfigError, OSError) as exc:
            log.error("listing the workspace failed: %s", exc)
            return []


def _warm_up() -> None:
    """Load what the first analysis needs before the first request arrives."""
    try:
        from ragtune.analyzers.rules.registry import BY_CODE, load_rule
        from ragtune.analyzers.tokens import get_encoding

        for code in BY_CODE:
            load_rule(code)
        get_encoding("o200k_base")
        from ragtune.analyzers.sources.code import extract_code_facts  # noqa: F401
        from ragtune.analyzers.sources.prompt_files import read_prompt_file  # noqa: F401
    except Exception:  # a missing optional part shows up, with its reason, at analysis time
        log.debug("warm-up incomplete:\n%s", traceback.format_exc())


def serve(conn_in: Connection, conn_out: Connection) -> None:
    send_lock = threading.Lock()

    def send(msg: tuple) -> None:
        with send_lock:
            conn_out.send(msg)

    requests = _Requests()
    threading.Thread(target=_read_requests, args=(conn_in, requests), name="ragtune-requests", daemon=True).start()
    # collector passes over what loading makes: ~5 % of loading, and several ms of
    # every analysis after
    with loaded_for_good():
        _warm_up()
    session = AnalysisSession(send)
    docs_written = False
    while True:
        if not docs_written and session.engine is not None and not (requests.control or requests.interactive):
            write_rule_docs()  # codeDescription links, written while nothing waits
            docs_written = True
            gc.freeze()  # the engine's configuration and caches of the first analysis too
        with requests.cond:
            while not (requests.control or requests.interactive or requests.closed):
                if _scan_pending(requests.scan):
                    held = requests.scan_held_for()
                    if not held:
                        break
                    requests.cond.wait(held)
                else:
                    requests.cond.wait()
            if requests.closed and not requests.control and not requests.interactive:
                return
            if requests.control:
                msg, job = requests.control.pop(0), None
            elif requests.interactive:
                _, job = requests.interactive.popitem(last=False)
                msg = None
                requests.running, requests.running_job = job[2], job[1]
                requests.stop.clear()
            else:
                msg = job = None
            scan = requests.scan
        try:
            _run_one(session, requests, msg, job, scan, send)
        except (BrokenPipeError, EOFError):
            return
        except Exception:  # one bad request must not end the process
            log.error("request failed:\n%s", traceback.format_exc())
        finally:
            with requests.cond:
                requests.running = requests.running_job = None


def _scan_pending(scan: dict | None) -> bool:
    return scan is not None and not scan["cancelled"] and (scan["paths"] is None or scan["next"] < len(scan["paths"]))


def _run_one(session: AnalysisSession, requests: _Requests, msg, job, scan, send) -> None:
    if session.engine is None and (job is not None or (msg is None and scan is not None)):
        session.init(os.getcwd(), {}, "defaults")  # a request before the server's init: defaults
    if msg is not None:
        _control(session, requests, msg, send)
    elif job is not None:
        _, job_id, path, text, tag = job
        send(("result", job_id, path, tag, session.analyze(path, text, requests.stop, sites_later=True)))
        if session.has_later_sites():
            send(("sites", job_id, path, session.later_sites(requests.stop)))
    elif scan is not None:
        if scan["paths"] is None:
            scan["paths"] = session.list_targets()
            send(("scan_started", scan["id"], scan["paths"]))
            if not scan["paths"]:
                send(("scan_done", scan["id"], 0, False))
                with requests.cond:
                    if requests.scan is scan:
                        requests.scan = None
            return
        index = scan["next"]
        scan["next"] += 1
        path = scan["paths"][index]
        overlay = session.workspace.overlay(path) if session.workspace is not None else None
        payload = session.analyze(path, None) if overlay is None else None
        send(("scan_result", scan["id"], path, index + 1, len(scan["paths"]), payload))
        if scan["next"] >= len(scan["paths"]):
            send(("scan_done", scan["id"], len(scan["paths"]), False))
            with requests.cond:
                if requests.scan is scan:
                    requests.scan = None


def _control(session: AnalysisSession, requests: _Requests, msg: tuple, send) -> None:
    op = msg[0]
    if op == "init":
        session.init(*msg[1:])
    elif op == "close":
        if session.workspace is not None:
            session.workspace.set_overlay(msg[1], None)
    elif op == "overlay":
        if session.workspace is not None:
            session.workspace.set_overlay(msg[1], msg[2])
    elif op == "scan":
        # listed in the scan lane, so an open document's first analysis goes first
        with requests.cond:
            requests.scan = {"id": msg[1], "paths": None, "next": 0, "cancelled": False}
    elif op == "cancel_scan":
        with requests.cond:
            scan = requests.scan
            if scan is not None and scan["id"] == msg[1]:
                requests.scan = None
        if scan is not None and scan["id"] == msg[1]:
            send(("scan_done", msg[1], scan["next"], True))
    elif op == "config_error":
        send(("config_error", msg[1], session.config_error_for(msg[1])))
    elif op == "ping":
        send(("pong", msg[1]))


def main() -> None:
    if "--scan" in sys.argv[1:]:
        # the scan is background work: the editor's own process and the server come first
        try:
            os.nice(5)
        except (AttributeError, OSError):
            pass
    # fd 1 belongs to the answers; anything else printed goes to stderr
    out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="ragtune worker: %(message)s")
    conn_in = Connection(os.dup(0), writable=False)
    conn_out = Connection(out_fd, readable=False)
    try:
        serve(conn_in, conn_out)
    except (BrokenPipeError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
