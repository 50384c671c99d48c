"""The language server's handle on the analysis process (``worker``).

``AnalysisProcess.spawn()`` is called before pygls is imported, so the two imports run
in parallel.  Requests are pickled on the event loop and written to the pipe by a
thread of their own: a pipe holds 64 KB, and a busy analysis process drains it only when
its reader thread gets the GIL, so a write of a large buffer from the event loop could
stall it for milliseconds per keystroke.  Answers are read on a thread and handed to the
event loop.  When the process dies it is started again and told the current
configuration and buffers (the caller re-sends what it needs).
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler

log = logging.getLogger("ragtune.server")


class AnalysisProcess:
    def __init__(self, proc: subprocess.Popen, conn_out: Connection, conn_in: Connection):
        self.proc = proc
        self._out = conn_out
        self._in = conn_in
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._handler: Callable[[tuple], None] | None = None
        self._early: list[tuple] = []
        self._lock = threading.Lock()
        self._writer = threading.Thread(target=self._write, name="ragtune-requests", daemon=True)
        self._writer.start()
        threading.Thread(target=self._read, name="ragtune-answers", daemon=True).start()

    @classmethod
    def spawn(cls, role: str = "editor") -> "AnalysisProcess":
        """Start an analysis process; ``role`` "scan" runs it at a lower CPU priority."""
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        proc = subprocess.Popen(
            # -P: the worker's working folder is the workspace, which must never be on sys.path
            [sys.executable, "-P", "-m", "ragtune.server.lsp.worker", *(["--scan"] if role == "scan" else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # the worker logs to the server's stderr
            env=env,
            close_fds=True,
        )
        conn_out = Connection(os.dup(proc.stdin.fileno()), readable=False)
        conn_in = Connection(os.dup(proc.stdout.fileno()), writable=False)
        proc.stdin.close()
        proc.stdout.close()
        return cls(proc, conn_out, conn_in)

    def attach(self, loop: asyncio.AbstractEventLoop, handler: Callable[[tuple], None]) -> None:
        """Deliver answers to ``handler`` on ``loop`` (answers that came earlier first)."""

        def deliver(msg: tuple) -> None:
            try:
                handler(msg)
            except Exception:
                log.exception("handling an answer from the analysis process failed")

        with self._lock:
            self._handler = lambda msg: loop.call_soon_threadsafe(deliver, msg)
            early, self._early = self._early, []
        for msg in early:
            self._handler(msg)

    def send(self, msg: tuple) -> None:
        """Queue ``msg``; it is written in order, without waiting for the process."""
        self._outbox.put(bytes(ForkingPickler.dumps(msg)))

    def _write(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self._out.send_bytes(data)
            except (OSError, ValueError) as exc:
                # it died: the reader sees the exit and the server starts a new one
                log.warning("the analysis process is not reachable (%s)", exc)
                break
        try:
            self._out.close()
        except OSError:
            pass

    def _read(self) -> None:
        while True:
            try:
                msg = self._in.recv()
            except (EOFError, OSError):
                break
            except Exception:  # an answer that does not unpickle: skip it, keep reading
                log.exception("unreadable answer from the analysis process")
                continue
            with self._lock:
                handler = self._handler
                if handler is None:
                    self._early.append(msg)
                    continue
            handler(msg)
        code = self.proc.wait()
        with self._lock:
            handler = self._handler
        if handler is not None:
            handler(("exited", code))

    def stop(self) -> None:
        """Close the requests (after the ones queued) and wait for the process to end."""
        self._outbox.put(None)
        self._writer.join(timeout=2)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
