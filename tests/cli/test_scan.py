"""Cache, parallel scan, --stdin-filename, --force-exclude."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cli_sources import UNUSED, few_shot_source
from ragtune.analyzers.workspace import Workspace
from ragtune.server import cache as cache_module
from ragtune.server import runner
from ragtune.server.cache import CACHE_DIR_NAME, IGNORE_FILE_TEXT, FindingsCache
from ragtune.server.runner import EngineOptions, RecordingWorkspace, build_engine, scan


def _tree(root: Path, n: int) -> None:
    for i in range(n):
        folder = root / f"pkg{i % 7}"
        folder.mkdir(exist_ok=True)
        body = UNUSED if i % 5 == 0 else f"value_{i} = {i}\n"
        (folder / f"mod{i}.py").write_text(body)
    (root / "triage.py").write_text(few_shot_source())


def _scan(root: Path, *, jobs: int = 1, cache: bool = True):
    options = EngineOptions(root=str(root), config_file=None, overrides={})
    engine = build_engine(options)
    store = FindingsCache(root / CACHE_DIR_NAME, root, "[]") if cache else None
    return scan(engine, options, [root], jobs=jobs, cache=store, progress=False)


def _dump(findings) -> list[dict]:
    return [f.model_dump(mode="json") for f in findings]


def test_parallel_equals_single_process(project):
    _tree(project, 120)
    single = _scan(project, jobs=1, cache=False)
    parallel = _scan(project, jobs=2, cache=False)
    assert _dump(parallel.findings) == _dump(single.findings)
    assert parallel.files_checked == single.files_checked == 121
    assert parallel.contents == single.contents
    codes = [f.code for f in single.findings]
    assert codes.count("RT001") == 24 and "FT202" in codes


def test_warm_run_comes_from_the_cache_and_equals_cold(project):
    _tree(project, 60)
    cold = _scan(project)
    assert cold.from_cache == 0
    warm = _scan(project)
    assert warm.from_cache == 61
    assert _dump(warm.findings) == _dump(cold.findings)
    (project / "pkg0" / "mod0.py").write_text("clean = True\n")
    edited = _scan(project)
    assert edited.from_cache == 60
    assert len(edited.findings) == len(cold.findings) - 1


def test_cache_follows_files_read_through_the_workspace(project, monkeypatch):
    (project / "a.py").write_text("x = 1\n")
    dep = project / "prompt.txt"
    dep.write_text("v1")
    calls = []

    def fake_analyze(self, path, *, kind=None, explicit=True, text=None):
        calls.append(path)
        self.workspace.memo("facts", path, "x", lambda: self.workspace.read_text(str(dep)))
        return []

    from ragtune.analyzers.engine import Engine

    monkeypatch.setattr(Engine, "analyze_file", fake_analyze)
    _scan(project)
    _scan(project)
    assert len(calls) == 1  # the second run was served from the cache
    dep.write_text("v2")
    _scan(project)
    assert len(calls) == 2  # the prompt file changed: re-analysed


def test_memo_hits_still_record_their_reads(tmp_path):
    other = tmp_path / "other.py"
    other.write_text("X = 1\n")
    ws = RecordingWorkspace(tmp_path)
    ws.begin_recording()
    ws.memo("module", "m", "text", lambda: ws.read_text(str(other)))
    assert ws.end_recording() == {str(other.resolve())}
    ws.begin_recording()
    ws.memo("module", "m", "text", lambda: ws.read_text(str(other)))  # a hit: compute not called
    assert ws.end_recording() == {str(other.resolve())}
    assert isinstance(ws, Workspace)


def test_damaged_cache_is_a_cold_start(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    first = ragtune("check", "--output-format", "json", ".", cwd=project)
    for f in (project / CACHE_DIR_NAME).glob("findings-*.json"):
        f.write_text("{not json")
    again = ragtune("check", "--output-format", "json", ".", cwd=project)
    assert again.code == 1 and again.out == first.out


def test_cache_ignores_itself_and_no_cache_writes_nothing(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    ragtune("check", "--no-cache", ".", cwd=project)
    assert not (project / CACHE_DIR_NAME).exists()
    ragtune("check", ".", cwd=project)
    assert (project / CACHE_DIR_NAME / ".gitignore").read_text().splitlines()[-1] == "*"


def test_cache_changes_with_the_configuration(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    assert ragtune("check", ".", cwd=project).code == 1
    (project / "ragtune.toml").write_text('ignore = ["RT001"]\n')
    assert ragtune("check", ".", cwd=project).code == 0


def test_stdin_filename(ragtune_process, project):
    (project / "a.py").write_text("on_disk = 1\n")
    done = ragtune_process("check", "--stdin-filename", "a.py", "--output-format", "json", cwd=project, stdin=UNUSED.encode())
    assert done.returncode == 1
    rows = json.loads(done.stdout)
    assert [(r["code"], r["path"], r["line"]) for r in rows] == [("RT001", "a.py", 1)]
    fixed = ragtune_process("check", "--stdin-filename", "a.py", "--fix", cwd=project, stdin=b"\xef\xbb\xbf" + UNUSED.replace("\n", "\r\n").encode())
    assert fixed.returncode == 0
    assert fixed.stdout == b"\xef\xbb\xbfx = 1\r\n"
    assert (project / "a.py").read_text() == "on_disk = 1\n"
    bad = ragtune_process("check", "--stdin-filename", "a.py", cwd=project, stdin=b"\xff\xfe")
    assert bad.returncode == 2 and bad.stderr.decode().startswith("ragtune: error: stdin is not valid UTF-8")


def test_force_exclude_applies_to_named_files(ragtune, project):
    (project / "ragtune.toml").write_text('exclude = ["generated/"]\n')
    (project / "generated").mkdir()
    (project / "generated" / "g.py").write_text(UNUSED)
    (project / "a.py").write_text("x = 1\n")
    assert ragtune("check", "generated/g.py", "a.py", cwd=project).code == 1
    assert ragtune("check", "--force-exclude", "generated/g.py", "a.py", cwd=project).code == 0


def _age(root: Path, monkeypatch, seconds: int = 60) -> None:
    """Files as if written ``seconds`` ago: their mtime is set back, and since no ctime
    can be, the racy window shrinks to nothing."""
    from ragtune.server import cache as cache_module

    past = time.time() - seconds
    for path in root.rglob("*.py"):
        os.utime(path, (past, past))
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0)


def test_warm_run_trusts_an_unchanged_stat_and_reads_nothing(project, monkeypatch):
    from ragtune.server import cache as cache_module

    _tree(project, 30)
    _age(project, monkeypatch)
    cold = _scan(project)
    reads: list[str] = []
    real = cache_module.file_state
    monkeypatch.setattr(cache_module, "file_state", lambda p: reads.append(p) or real(p))
    warm = _scan(project)
    assert warm.from_cache == 31 and reads == []
    assert _dump(warm.findings) == _dump(cold.findings)
    # same size, new time: hashed again, and still served since the bytes are equal
    os.utime(project / "pkg1" / "mod1.py")
    again = _scan(project)
    assert again.from_cache == 31 and reads == [str(project / "pkg1" / "mod1.py")]


def test_a_file_modified_just_before_the_scan_gets_no_trusted_stat(project, monkeypatch):
    _tree(project, 3)
    _scan(project)  # files written a moment ago: their stat may hide a second change
    store = FindingsCache(project / CACHE_DIR_NAME, project, "[]")
    assert store.entries and all(entry.stat is None for entry in store.entries.values())
    _age(project, monkeypatch)
    _scan(project)
    store = FindingsCache(project / CACHE_DIR_NAME, project, "[]")
    assert all(entry.stat is not None for entry in store.entries.values())


def test_fingerprints_from_the_scan_match_a_fresh_reading_and_need_no_file_warm(project, monkeypatch):
    from ragtune.server import baseline

    _tree(project, 20)
    _age(project, monkeypatch)
    cold = _scan(project)
    assert cold.findings and len(cold.flagged) == len(cold.findings)
    fresh = baseline.fingerprints(cold.findings, project)
    assert baseline.fingerprints(cold.findings, project, flagged=cold.flagged) == fresh
    reads: list[str] = []
    real = baseline._read_lines
    monkeypatch.setattr(baseline, "_read_lines", lambda path, wanted: reads.append(path) or real(path, wanted))
    warm = _scan(project)
    assert warm.from_cache == 21
    assert baseline.fingerprints(warm.findings, project, flagged=warm.flagged) == fresh and reads == []


def test_a_warm_scan_with_many_edits_starts_its_workers_after_the_walk(project, monkeypatch):
    """With a findings cache the pool is started only once the walk shows enough files
    to analyse; its findings are those of a scan in one process."""
    _tree(project, 120)
    _scan(project, jobs=2)
    for i in range(0, 120, 2):
        path = project / f"pkg{i % 7}" / f"mod{i}.py"
        path.write_text(path.read_text() + "edited = True\n")
    warm_cache = FindingsCache(project / CACHE_DIR_NAME, project, "[]")
    assert warm_cache.entries and not runner._will_analyse_many([project], 2, warm_cache)  # not before the walk
    started = []
    real_start = runner.AnalysisPool.start

    def start(pool):
        if pool.helper is None:
            started.append(pool)
        real_start(pool)

    monkeypatch.setattr(runner.AnalysisPool, "start", start)
    warm = _scan(project, jobs=2)
    assert len(started) == 1 and warm.from_cache == 61
    assert _dump(warm.findings) == _dump(_scan(project, jobs=1, cache=False).findings)


def test_a_large_dataset_in_a_parallel_scan_is_analysed_not_skipped(project, monkeypatch):
    """A pool worker is daemonic and may not start the dataset pass's own processes:
    the pass then runs in the worker itself (it once ended in RT002)."""
    from ragtune.analyzers.datasets import scan as dataset_scan

    monkeypatch.setattr(dataset_scan, "PARALLEL_MIN_BYTES", 1)  # every dataset counts as large
    _tree(project, 60)
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]} for i in range(40)]
    (project / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    result = _scan(project, jobs=2, cache=False)
    dataset_findings = [f for f in result.findings if f.path.endswith("train.jsonl")]
    assert dataset_findings and not any(f.code == "RT002" for f in dataset_findings), [f.message for f in dataset_findings]


def test_an_edit_that_keeps_size_and_mtime_is_seen(project, monkeypatch):
    (project / "a.py").write_text("value = 1".ljust(len(UNUSED) - 1) + "\n")
    _age(project, monkeypatch)
    _scan(project)
    target = project / "a.py"
    st = target.stat()
    target.write_text(UNUSED)  # same size; a finding now
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    again = _scan(project)
    assert again.from_cache == 0 and [f.code for f in again.findings] == ["RT001"]


def test_verbose_times_each_phase_of_a_parallel_scan(ragtune_process, project):
    """--verbose says how long each phase took, the serial ones apart from the workers'."""
    _tree(project, 60)  # 61 files with triage.py: enough for a pool
    done = ragtune_process("check", "--verbose", "--jobs", "2", ".", cwd=project)
    lines = [line.removeprefix("ragtune: timing: ") for line in done.stderr.decode().splitlines() if line.startswith("ragtune: timing: ")]
    parsed = [re.match(r"(.+?) (\d+\.\d{3}) s\b(.*)", line) for line in lines]
    assert all(parsed), lines
    phases = {m.group(1): m.group(3).strip() for m in parsed}
    # the workers load the rules and the tokenizer while this process walks; when the
    # walk ends first, this process waits for them, and says so
    waited = ["waiting for the workers"] if "waiting for the workers" in phases else []
    assert list(phases) == [
        "start-up and engine import",
        "findings cache loaded",
        "walk and cache lookups",
        *waited,
        "analysis",
        "findings cache serialised",
        "report",
        "total",
    ]
    if waited:
        assert re.fullmatch(r"\(their rules and tokenizer loaded in \d+\.\d{3} s, beside the walk\)", phases["waiting for the workers"])
    assert phases["walk and cache lookups"] == "(61 files, 0 from the findings cache)"
    assert phases["analysis"] == "(61 files, 2 worker processes)"
    assert phases["findings cache serialised"] == "(a thread writes it beside the report)"
    seconds = {m.group(1): float(m.group(2)) for m in parsed}
    assert sum(v for k, v in seconds.items() if k != "total") <= seconds["total"] + 0.01


def test_the_version_is_written_once(ragtune):
    from importlib.metadata import version

    from ragtune.server import __version__

    assert version("ragtune") == __version__  # pyproject reads it from ragtune.server
    assert ragtune("--version", cwd=Path.cwd()).out.strip() == f"ragtune {__version__}"


# -- the pool of analysis processes ------------------------------------------------
def _die_on(name: str, how: str):
    """A stand-in for the workers' batch function that fails on the batch holding ``name``."""
    real = runner._analyse_batch

    def batch(items):
        if any(path.endswith(name) for path, _, _ in items):
            if how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            raise ValueError(f"cannot analyse {name}")
        return real(items)

    return batch


def test_a_worker_that_dies_ends_the_scan_with_one_clear_line(ragtune, project, monkeypatch):
    _tree(project, 60)
    monkeypatch.setattr(runner, "_analyse_batch", _die_on("mod7.py", "killed"))  # the forked workers inherit it
    done = ragtune("check", "--jobs", "2", "--no-cache", ".", cwd=project)
    assert done.code == 2 and done.out == ""
    assert done.err == "ragtune: error: an analysis process was stopped by SIGKILL before finishing its files; --jobs 1 checks in this process\n"
    assert multiprocessing.active_children() == []  # the helper was reaped; its workers went with it


def test_an_exception_in_a_worker_is_raised_in_the_scanning_process(project, monkeypatch):
    _tree(project, 60)
    monkeypatch.setattr(runner, "_analyse_batch", _die_on("mod7.py", "raises"))
    with pytest.raises(ValueError, match="cannot analyse mod7.py"):
        _scan(project, jobs=2, cache=False)
    assert multiprocessing.active_children() == []


def test_a_pool_started_for_a_small_tree_is_stopped(project):
    """The pool starts before the walk; a folder of a few files is then analysed here,
    and the pool's processes are stopped, not left running."""
    _tree(project, 5)
    result = _scan(project, jobs=2, cache=False)
    assert result.files_checked == 6
    assert multiprocessing.active_children() == []


def test_the_workers_go_when_the_scanning_process_dies(tmp_path):
    """Killed (no clean-up runs), the scanning process leaves no analysis process behind."""
    script = tmp_path / "scan_then_die.py"
    script.write_text(
        "import os, signal, sys, time\n"
        "from ragtune.server.runner import AnalysisPool, EngineOptions\n"
        "pool = AnalysisPool(EngineOptions(root=sys.argv[1], config_file=None, overrides={}), 2, False)\n"
        "pool.start()\n"
        "pool.tasks.put([])\n"  # an empty batch: its answer says the workers are up
        "pool._reader.recv()\n"
        "print(pool.helper.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True) as scanning:
        helper = int(scanning.stdout.readline())
        deadline = time.monotonic() + 30
        while len(workers := _children(helper)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the helper starts its workers one after the other
        assert len(workers) == 2
        scanning.kill()
        assert scanning.wait(60) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(pid) for pid in [helper, *workers]):
        time.sleep(0.05)
    assert not any(_running(pid) for pid in [helper, *workers])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not reaped, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_spawned_workers_find_the_same(project, monkeypatch):
    """Where fork is missing (Windows), the pool spawns its processes; same findings."""
    _tree(project, 60)
    single = _scan(project, jobs=1, cache=False)
    monkeypatch.setattr(runner, "start_method", lambda: "spawn")
    parallel = _scan(project, jobs=2, cache=False)
    assert _dump(parallel.findings) == _dump(single.findings)
    assert multiprocessing.active_children() == []


def test_the_command_ends_at_once_and_says_everything(project):
    """After a check the process ends without tearing down its heap: all of a long
    report still arrives, and a reader that stops early gets no traceback."""
    _tree(project, 1000)  # 200 findings: a report larger than a pipe holds
    command = [sys.executable, "-m", "ragtune.server.cli", "check", "--no-cache", "--output-format", "json-lines", "."]
    whole = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    lines = whole.stdout.splitlines()
    assert whole.returncode == 1 and len(lines) > 200 and len(whole.stdout) > 65536
    assert all(json.loads(line)["code"] for line in lines)
    with subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as head:
        head.stdout.readline()
        head.stdout.close()  # `ragtune check | head -1`
        assert head.stderr.read() == b""
        assert head.wait(300) in (0, 1)


def test_a_scan_that_finishes_later_settles_its_cache_write_and_its_processes(project, monkeypatch):
    """With finish_later a parallel scan returns while a thread writes the cache file and
    the workers end; ``settle`` waits for both, and the file holds every entry."""
    _tree(project, 60)
    options = EngineOptions(root=str(project), config_file=None, overrides={})
    engine = build_engine(options)
    store = FindingsCache(project / CACHE_DIR_NAME, project, "[]")
    writing = []
    real_write = FindingsCache._write

    def slow_write(self, chunks):
        writing.append(threading.current_thread() is not threading.main_thread())
        time.sleep(0.3)  # still writing when the scan returns
        real_write(self, chunks)

    monkeypatch.setattr(FindingsCache, "_write", slow_write)
    result = scan(engine, options, [project], jobs=2, cache=store, progress=False, finish_later=True)
    assert writing == [True] and not store.path.exists()
    result.settle()
    assert multiprocessing.active_children() == []
    saved = json.loads(store.path.read_text("utf-8"))
    assert len(saved["entries"]) == 61
    warm = _scan(project, jobs=2)
    assert warm.from_cache == 61 and _dump(warm.findings) == _dump(result.findings)


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"), RuntimeError("unexpected")])
def test_a_cache_folder_that_cannot_be_written_costs_only_the_cache(ragtune, project, monkeypatch, error):
    """The file is written by a thread; when writing fails there, whatever the error, the
    check still reports and ends as it should, with nothing on stderr (no traceback)."""
    _tree(project, 60)

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr("ragtune.server.cache.write_atomically", refuse)
    first = ragtune("check", "--jobs", "2", "--output-format", "json", ".", cwd=project)
    assert first.code == 1 and first.err == ""
    assert not list((project / CACHE_DIR_NAME).glob("findings-*.json"))
    monkeypatch.undo()
    monkeypatch.setenv("RAGTUNE_NO_REPLAY", "1")
    again = ragtune("check", "--jobs", "2", "--output-format", "json", ".", cwd=project)
    assert again.out == first.out


def test_an_empty_gitignore_in_the_cache_folder_is_repaired(project, ragtune):
    (project / "a.py").write_text(UNUSED)
    cache = project / CACHE_DIR_NAME
    cache.mkdir()
    (cache / ".gitignore").write_bytes(b"")  # what a write on a full disk used to leave
    ragtune("check", ".", cwd=project)
    assert (cache / ".gitignore").read_bytes() == IGNORE_FILE_TEXT


def test_a_cache_gitignore_that_cannot_be_written_leaves_no_empty_file(project, ragtune, monkeypatch):
    def full_disk(path, data, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module, "write_atomically", full_disk)
    (project / "a.py").write_text(UNUSED)
    run = ragtune("check", ".", cwd=project)
    assert run.code == 1 and "RT001" in run.out
    assert not (project / CACHE_DIR_NAME / ".gitignore").exists()
