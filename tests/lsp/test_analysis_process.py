"""The analysis process on its own: the scan held while the editor waits, and an analysis
that stops once a newer version of its file comes in."""

from __future__ import annotations

import asyncio
import threading

import pytest

from lsp_harness import big_system_prompt, call_site_module
from ragtune.server.lsp.backend import AnalysisProcess
from ragtune.server.lsp.worker import AnalysisSession, _Requests


async def _until(answers: asyncio.Queue, op: str, timeout: float = 60.0) -> list[tuple]:
    """Every answer up to and including the first ``op``."""
    seen = []
    while True:
        msg = await asyncio.wait_for(answers.get(), timeout)
        seen.append(msg)
        if msg[0] == op:
            return seen


@pytest.mark.asyncio
async def test_a_held_scan_waits_for_its_release_while_files_asked_for_are_answered(workspace):
    for i in range(3):
        (workspace / f"mod_{i}.py").write_text(call_site_module(big_system_prompt(), name=f"PROMPT_{i}"), "utf-8")
    process = AnalysisProcess.spawn("scan")
    answers: asyncio.Queue = asyncio.Queue()
    process.attach(asyncio.get_running_loop(), answers.put_nowait)
    try:
        process.send(("hold", 600))
        process.send(("init", str(workspace), {}, "test"))
        process.send(("scan", 1))
        target = str(workspace / "mod_0.py")
        process.send(("analyze", 7, target, None, ("closed", None)))
        process.send(("ping", 1))
        before = await _until(answers, "pong")
        if not any(m[0] == "result" for m in before):
            before += await _until(answers, "result")
        result = next(m for m in before if m[0] == "result")
        assert result[1] == 7 and "FT201" in {f["code"] for f in result[4]["findings"]}, "a file asked for is answered"
        process.send(("ping", 2))
        before += await _until(answers, "pong")
        assert not [m for m in before if m[0].startswith("scan")], "nothing of the scan runs while it is held"
        process.send(("hold", 0))
        after = await _until(answers, "scan_done")
        assert after[0][0] == "scan_started"
        scanned = {m[2] for m in after if m[0] == "scan_result"}
        assert {str((workspace / f"mod_{i}.py").resolve()) for i in range(3)} <= scanned
    finally:
        process.stop()


def test_a_newer_request_for_the_file_under_analysis_stops_it():
    requests = _Requests()
    requests.running = "/ws/a.py"
    requests.put(("analyze", 1, "/ws/b.py", "x = 1\n", ("open", 2)))
    assert not requests.stop.is_set(), "another file's request leaves it alone"
    requests.put(("analyze", 2, "/ws/a.py", "x = 2\n", ("open", 3)))
    assert requests.stop.is_set()
    assert list(requests.interactive) == ["/ws/b.py", "/ws/a.py"]


def test_a_cancelled_request_is_dropped_when_queued_and_stopped_when_under_way():
    requests = _Requests()
    requests.running, requests.running_job = "/ws/a.py", 1
    requests.put(("analyze", 2, "/ws/b.py", "x = 1\n", ("open", 2)))
    requests.put(("cancel", 2))
    assert not requests.interactive and not requests.stop.is_set()
    requests.put(("cancel", 1))
    assert requests.stop.is_set()
    assert not requests.control, "a cancel is not a request to answer"


class _SetDuringExtraction(threading.Event):
    """Clear at the first checkpoint (before the file's facts are read), set after: a
    newer version that came in while the facts were being read."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks > 1


def test_a_superseded_analysis_stops_and_leaves_the_engine_sound(workspace):
    path = workspace / "bot.py"
    text = call_site_module(big_system_prompt())
    path.write_text(text, "utf-8")
    session = AnalysisSession(lambda msg: None)
    session.init(str(workspace), {}, "test")
    stop = _SetDuringExtraction()
    stopped = session.analyze(str(path), text, stop)
    assert stopped.get("superseded") and "findings" not in stopped
    assert stop.checks == 2, "stopped at the checkpoint after the facts, before the rules"
    done = session.analyze(str(path), text, threading.Event())
    fresh = AnalysisSession(lambda msg: None)
    fresh.init(str(workspace), {}, "test")
    assert done["findings"] == fresh.analyze(str(path), text)["findings"]
    assert "FT201" in {f["code"] for f in done["findings"]} and done["sites"]


@pytest.mark.asyncio
async def test_figures_that_follow_the_diagnostics_are_waited_for_and_only_their_own_count():
    from ragtune.server.lsp.diagnostics import on_sites, store_result
    from ragtune.server.lsp.server import RagtuneLanguageServer

    ls = RagtuneLanguageServer()
    ls.pull_mode = True  # nothing to push: no client here
    path, uri = "/ws/a.py", "file:///ws/a.py"
    # files not open (version None): no code lens refresh to ask a client for
    store_result(ls, path, uri, None, ["x = 1"], {"findings": [], "sites": [{"of": 1}], "deps": []}, job_id=1)
    store_result(ls, path, uri, None, ["x = 2"], {"findings": [], "sites": None, "deps": []}, job_id=2)
    result = ls.results[path]
    assert result.sites == [{"of": 1}], "the previous figures until this version's come"
    waiter = asyncio.ensure_future(result.current_sites())
    await asyncio.sleep(0)
    on_sites(ls, 1, path, [{"of": "an older request"}])
    await asyncio.sleep(0)
    assert not waiter.done() and result.sites == [{"of": 1}]
    on_sites(ls, 2, path, [{"of": 2}])
    assert await waiter == [{"of": 2}]
    # figures skipped (a newer version came in) release the waiters with what there is
    store_result(ls, path, uri, None, ["x = 3"], {"findings": [], "sites": None, "deps": []}, job_id=3)
    waiter = asyncio.ensure_future(ls.results[path].current_sites())
    await asyncio.sleep(0)
    on_sites(ls, 3, path, None)
    assert await waiter == [{"of": 2}]


def test_rule_doc_links_are_absolute_even_with_no_home_folder(monkeypatch):
    import os

    from ragtune.server.lsp import worker

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # no home folder known
    folder = worker.rule_doc_dir()
    assert folder.is_absolute() and folder.parts[-1] == "rules"
    assert folder.as_uri().startswith("file:///")
