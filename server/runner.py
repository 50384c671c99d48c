"""Whole-tree scans for the CLI: cache lookups, then a process pool over the files left.

Each worker builds its own ``Engine`` and calls ``Engine.analyze_file`` per file, the
same call the language server makes, so the CLI cannot disagree with the editor.  The
workspace a worker reads through records which other files each analysis read; those
become the cache entry's dependencies.
"""

from __future__ import annotations

import functools
import gc
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

from ragtune.analyzers.engine import Engine, finding_sort_key
from ragtune.analyzers.models import Finding
from ragtune.analyzers.sources.discovery import WalkLog
from ragtune.analyzers.workspace import Workspace

from .baseline import flagged_texts
from .cache import CacheEntry, FindingsCache, cacheable, content_hash, entry_text, file_state, findings_json, parse_findings, stat_fields, stat_key, trusted_stat

# ``--verbose`` logs how long each phase of a scan took ("timing: ..." lines), as
# pyright's --stats does: what is serial (walk, loading, report) and what is spread over
# the workers (analysis) is then measured, not guessed.
timing = logging.getLogger("ragtune.timing")

# Below this many files to analyse, starting workers costs more than it saves.
MIN_FILES_FOR_POOL = 48
BATCH_SIZE = 16


class RecordingWorkspace(Workspace):
    """A workspace that notes every file read, including reads hidden behind a memo
    hit (a module's facts computed while analysing an earlier file)."""

    def __init__(self, root):
        super().__init__(root)
        self._reading: list[set[str]] = []
        self._memo_reads: dict[tuple[str, str, str], set[str]] = {}
        self.hashes: dict[str, str] = {}  # absolute path → hash of the bytes last read
        self.stats: dict[str, list[int]] = {}  # absolute path → the stat_fields they were read under

    def _read_done(self, path: str, stat: os.stat_result, raw: bytes) -> None:
        self.hashes[path] = content_hash(raw)
        self.stats[path] = stat_fields(stat)

    def begin_recording(self) -> None:
        self._reading = [set()]

    def end_recording(self) -> set[str]:
        reads = self._reading[0] if self._reading else set()
        self._reading = []
        return reads

    def read_text(self, path, max_bytes=None):
        if self._reading:
            self._reading[-1].add(os.path.abspath(path))
        if max_bytes is None:
            return super().read_text(path)
        return super().read_text(path, max_bytes=max_bytes)

    def _memo_by_digest(self, kind, path, digest, compute):
        if not self._reading:
            return super()._memo_by_digest(kind, path, digest, compute)
        key = (kind, path, digest)
        self._reading.append(set())
        try:
            return super()._memo_by_digest(kind, path, digest, compute)
        finally:
            inner = self._reading.pop()
            remembered = self._memo_reads.setdefault(key, set())
            remembered |= inner
            self._reading[-1] |= remembered


@dataclass(frozen=True)
class EngineOptions:
    """What a worker needs to build an Engine equal to the main process's."""

    root: str
    config_file: str | None
    overrides: dict


@dataclass
class FileResult:
    path: str  # absolute
    kind: str
    content: str | None  # hash of the bytes analysed; None when unreadable
    findings: list[Finding]
    # other files read → their state; from a worker only the paths travel (values None)
    deps: dict[str, str | None] = field(default_factory=dict)
    stat: list[int] | None = None  # taken before the file was read
    flagged: list[str] = field(default_factory=list)  # each finding's flagged text (for fingerprints)
    entry: CacheEntry | None = None  # what the cache keeps of it, when the scan keeps one
    entry_text: bytes | None = None  # that entry serialised (by the worker, not the main process)

    def pack(self) -> tuple:
        """What a worker sends the scanning process: a tuple of strings and lists, which
        unpickles about 8 times faster than these objects (10,300 results of the generated
        tree: 0.08 s against 0.01 s), with the findings as JSON, which pydantic reads back
        faster than it unpickles nested models (all 561 findings of the generated tree
        validated in 0.08 s; unpickling the 323 files with findings among 2,000 of its
        files took 0.11 s).  The cache entry travels as its text only."""
        found = (self.entry.findings if self.entry is not None else findings_json(self.findings)) if self.findings else None
        return (self.path, self.kind, self.content, self.stat, found, self.flagged, tuple(self.deps), self.entry_text)

    @classmethod
    def unpack(cls, packed: tuple) -> "FileResult":
        path, kind, content, stat, found, flagged, deps, text = packed
        findings = parse_findings(found) if found is not None else []
        return cls(path, kind, content, findings, dict.fromkeys(deps), stat, flagged, None, text)


@dataclass
class ScanResult:
    findings: list[Finding]
    files_checked: int
    contents: dict[str, str]  # absolute path → hash of the bytes the findings are about
    from_cache: int = 0
    flagged: dict[int, str] = field(default_factory=dict)  # id(finding) → its flagged text
    # absolute path → [size, mtime_ns, ctime_ns] taken by the scan before the file was read
    # (by the worker that read it, or by the cache lookup): a run record needs no stat again
    stats: dict[str, list[int]] = field(default_factory=dict)
    deps: set[str] = field(default_factory=set)  # other files the findings depend on
    kinds: set[str] = field(default_factory=set)  # the kinds of the files checked
    settle: Callable[[], None] = lambda: None  # see scan's finish_later


def build_engine(options: EngineOptions) -> Engine:
    return Engine(RecordingWorkspace(options.root), config_file=options.config_file, overrides=options.overrides)


def analyse_one(engine: Engine, path: str, kind: str, explicit: bool) -> FileResult:
    # walked paths are resolved already (see _absolute); names the user gave may be links
    abs_path = str(Path(path).resolve()) if explicit else os.path.abspath(path)
    workspace = engine.workspace
    recording = isinstance(workspace, RecordingWorkspace)
    # the stat is taken before the bytes are read, so a change after it shows as a new
    # stat: here, or on the open file by a recording workspace
    stat = None if recording else stat_key(abs_path)
    if recording:
        workspace.hashes.pop(abs_path, None)
        workspace.stats.pop(abs_path, None)
        workspace.begin_recording()
    try:
        findings = engine.analyze_file(path, kind=kind, explicit=explicit)
    finally:
        reads = workspace.end_recording() if recording else set()
    reads.discard(abs_path)
    # the bytes the engine analysed, hashed as it read them; files it streams itself
    # (datasets) or never read (too large, unknown kinds) are read once more here
    content = workspace.hashes.pop(abs_path, None) if recording else None
    if recording:
        stat = workspace.stats.pop(abs_path, None)
    if content is None:
        state = file_state(abs_path)
        content = None if state in ("missing", "unreadable") else state
    known = workspace.hashes if recording else {}
    deps = {dep: known.get(dep) or file_state(dep) for dep in sorted(reads)}
    # the text each finding flags, read here while the file is fresh (in a worker, in
    # parallel), not by the main process once the scan is over
    flagged = flagged_texts(findings) if findings else []
    return FileResult(abs_path, kind, content, findings, deps, stat, flagged)


def _batches(todo: list, jobs: int):
    """Guided scheduling: each batch a quarter of a worker's share of what is left, never
    under BATCH_SIZE files.  Big batches early keep the pool's per-message cost low
    (10,300 files: 0.8 s of the main process's CPU in batches of 16, 0.3 s like this);
    small ones at the end keep a worker from idling on another's slow tail."""
    start = 0
    while start < len(todo):
        size = max(BATCH_SIZE, (len(todo) - start) // (4 * jobs))
        yield todo[start : start + size]
        start += size


def add_cache_entry(engine: Engine, result: FileResult, configs: dict[str, str]) -> None:
    """Fill ``result.entry`` and its text; in a parallel scan the worker does this, so
    the main process only joins texts while the workers analyse."""
    if result.content is None or not cacheable(result.kind):
        return
    result.entry = CacheEntry(
        content=result.content,
        kind=result.kind,
        config=config_digest(engine, result.path, configs),
        deps=result.deps,
        findings=findings_json(result.findings),
        flagged=result.flagged,
        stat=trusted_stat(result.stat),
    )
    result.entry_text = entry_text(result.path, result.entry)


def _warm_up() -> None:
    """Import the rules and load the tokenizer (~0.35 s together)."""
    from ragtune.analyzers.engine import code_gate
    from ragtune.analyzers.tokens import DEFAULT_ENCODING, get_encoding

    code_gate()
    get_encoding(DEFAULT_ENCODING)


# -- worker side ---------------------------------------------------------------
_worker_engine: Engine | None = None
_worker_caches = False
_worker_configs: dict[str, str] = {}


def _init_worker(options: EngineOptions, caches: bool) -> None:
    global _worker_engine, _worker_caches
    _worker_engine = build_engine(options)
    _worker_caches = caches


def _analyse_batch(batch: list[tuple[str, str, bool]]) -> list[tuple]:
    assert _worker_engine is not None
    results = [analyse_one(_worker_engine, p, k, e) for p, k, e in batch]
    if _worker_caches:
        for result in results:
            add_cache_entry(_worker_engine, result, _worker_configs)
    return [result.pack() for result in results]


_helper_workers: list = []  # in the helper process: the workers it started


def _helper_main(options: EngineOptions, caches: bool, jobs: int, method: str, tasks, writer, lock, lifeline_ends) -> None:
    """The pool's first process: loads what every worker needs, forks the workers, then
    only watches them.  When one dies, the helper stops the others and ends with its
    status; when the scanning process goes away (``lifeline`` reads end of file) or
    stops the helper (SIGTERM), it stops them all.  Stopping never raises in here: an
    exception raised by a signal handler can be swallowed (inside ``os.fork``'s
    callbacks, for one) and leave the helper running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scanning process's to handle
    signal.signal(signal.SIGTERM, _stop_helper)
    lifeline, inherited = lifeline_ends
    if inherited is not None:
        inherited.close()  # else the lifeline would never read end of file
    started = time.perf_counter()
    if method == "fork":
        try:
            _warm_up()  # once here, shared by every worker forked below
        except Exception:  # noqa: BLE001 - the workers meet it again, and report it as a one-process scan does
            pass
        # what the workers inherit is never collected by them: no collector pass
        # writes to (and so copies) the pages they share with this process
        gc.freeze()
    now = time.perf_counter()
    ready = (now, now - started)
    ctx = multiprocessing.get_context(method)
    # no SIGTERM between a fork and the list of workers knowing the new one
    _block_sigterm(True)
    for i in range(jobs):
        worker = ctx.Process(target=_worker_main, args=(options, caches, tasks, writer, lock, ready), name=f"ragtune-worker-{i + 1}", daemon=True)
        worker.start()
        _helper_workers.append(worker)
    _block_sigterm(False)
    writer.close()  # the scanning process reads end of file once every worker has gone
    pending = {worker.sentinel: worker for worker in _helper_workers}
    while pending:
        ended = multiprocessing.connection.wait([*pending, lifeline])
        if lifeline in ended:
            _stop_workers_and_exit(1)  # the scanning process is gone
        for sentinel in ended:
            worker = pending.pop(sentinel)
            worker.join()
            if worker.exitcode:
                # a worker died: 128 + its signal, as a shell reports it
                _stop_workers_and_exit(128 - worker.exitcode if worker.exitcode < 0 else worker.exitcode)


def _stop_helper(signum, frame) -> None:
    _stop_workers_and_exit(128 + signum)


def _stop_workers_and_exit(code: int) -> None:
    for worker in _helper_workers:
        if worker.exitcode is None:
            worker.kill()
    os._exit(code)


def _block_sigterm(block: bool) -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK if block else signal.SIG_UNBLOCK, {signal.SIGTERM})


def _worker_main(options: EngineOptions, caches: bool, tasks, writer, lock, ready: tuple[float, float]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the helper's handler
    _block_sigterm(False)
    _init_worker(options, caches)
    while True:
        batch = tasks.get()
        if batch is None:
            return
        try:
            message = ("ok", ready, _analyse_batch(batch))
        except Exception as exc:  # noqa: BLE001 - raised again in the scanning process
            message = ("error", ready, _portable(exc))
        data = ForkingPickler.dumps(message)  # pickled before taking the lock the workers share
        with lock:
            writer.send_bytes(data)


def _portable(exc: Exception) -> Exception:
    """``exc``, or a RuntimeError with its text when it cannot be pickled."""
    try:
        ForkingPickler.loads(ForkingPickler.dumps(exc))
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class AnalysisProcessError(RuntimeError):
    """An analysis process ended without finishing its files."""


class AnalysisPool:
    """``jobs`` analysis processes, started before the walk so that they load while it runs.

    The scanning process starts one helper process.  With fork, the helper loads the rules
    and the tokenizer (about 0.3 s) while the scanning process walks the tree, then forks
    the workers, which share those pages; the scanning process itself never loads them.
    Batches go to the workers through one queue and their results come back through one
    pipe.  The helper then only watches its workers: when one dies, the helper ends with
    its status and the scan stops with an error instead of waiting for ever."""

    def __init__(self, options: EngineOptions, jobs: int, caches: bool, method: str | None = None):
        self.options = options
        self.jobs = jobs
        self.caches = caches
        self.method = method or start_method()
        self.helper = None  # started by start(), before the walk or when the batches are known
        self.ready: tuple[float, float] | None = None  # (when, after how long) the workers could start
        self._ends_sent = False
        self._closed = False
        self._finished = False  # every batch's results received
        self._joined = False

    def start(self) -> None:
        if self.helper is not None:
            return
        ctx = multiprocessing.get_context(self.method)
        self.tasks = ctx.Queue()
        self._reader, writer = ctx.Pipe(duplex=False)
        lifeline, self._lifeline = ctx.Pipe(duplex=False)
        # a forked helper inherits this process's end of the lifeline too, and closes it
        ends = (lifeline, self._lifeline if self.method == "fork" else None)
        # kept while the pool lives: with spawn, a lock is passed on by name, and that
        # name goes once the lock is collected here
        self._lock = ctx.Lock()
        self.helper = ctx.Process(
            target=_helper_main, args=(self.options, self.caches, self.jobs, self.method, self.tasks, writer, self._lock, ends), name="ragtune-analysis"
        )
        self.helper.start()
        writer.close()
        lifeline.close()
        # a pool nobody closed is closed on the way out, before multiprocessing waits for
        # its processes (which would wait for batches for ever)
        multiprocessing.util.Finalize(self, self._shut, exitpriority=10)

    def run(self, batches: list[list[tuple[str, str, bool]]], started: Callable[[], None] | None = None):
        """Each batch's results, in the order they are finished."""
        self.start()
        for batch in batches:
            self.tasks.put(batch)
        self._send_ends()
        if started is not None:
            started()  # the workers have their batches: this process is free meanwhile
        for _ in batches:
            try:
                kind, self.ready, payload = self._reader.recv()
            except EOFError:
                raise AnalysisProcessError(self._why_ended()) from None
            if kind == "error":
                raise payload
            yield payload
        self._finished = True

    def _send_ends(self) -> None:
        """One end-of-work mark per worker, after the batches (if any): each worker
        takes one and stops."""
        if not self._ends_sent:
            self._ends_sent = True
            for _ in range(self.jobs):
                self.tasks.put(None)

    def _why_ended(self) -> str:
        self.helper.join(5)
        code = self.helper.exitcode
        if code is not None and code > 128:
            try:
                name = signal.Signals(code - 128).name
            except ValueError:
                name = f"signal {code - 128}"
            how = f"was stopped by {name}"
        else:
            how = f"ended with exit code {code}"
        return f"an analysis process {how} before finishing its files; --jobs 1 checks in this process"

    def close(self) -> None:
        """No more batches.  When every result came back, the processes are left to end
        by themselves while this process goes on (``join`` waits for them later); else
        they are stopped now (the scan needed no pool, or it failed)."""
        if self._closed or self.helper is None:
            return
        self._closed = True
        self._send_ends()  # workers that start after all end by themselves
        self.tasks.cancel_join_thread()  # batches nobody took are dropped, not waited on
        self.tasks.close()
        if not self._finished:
            self.join()

    def join(self) -> None:
        """Wait for the processes (a second at most once the workers started, else not at
        all), and stop those still running.  Called once the scan is reported (see
        scan's ``finish_later``), it finds them gone; called right after the last result,
        it waited 12-24 ms for them on the generated tree."""
        if self._joined or self.helper is None:
            return
        self._joined = True
        if self.helper.exitcode is None:
            self.helper.join(1.0 if self.ready is not None else 0)
        if self.helper.exitcode is None:
            self.helper.terminate()
            self.helper.join()
        self._reader.close()
        self._lifeline.close()

    def _shut(self) -> None:
        self.close()
        self.join()


def start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


# -- main side -------------------------------------------------------------------
def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class Progress:
    """One line on stderr, only on a terminal and only once a scan passes a second."""

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.enabled = enabled and total > 0 and _stderr_is_tty()
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < 1.0 or now - self.last < 0.1:
            return
        self.last = now
        self.shown = True
        sys.stderr.write(f"\rragtune: checked {done:,}/{self.total:,} files")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _stderr_is_tty() -> bool:
    try:
        return os.isatty(2)
    except OSError:
        return False


def config_digest(engine: Engine, path: str, memo: dict[str, str]) -> str:
    """Digest of the configuration in force for ``path``; memoised per folder, since
    configuration is found per folder and looking it up per file costs a warm run."""
    folder = os.path.dirname(path)
    digest = memo.get(folder)
    if digest is not None:
        return digest
    cfg = engine.config_for_folder(folder)  # walked and named paths are resolved already
    key = cfg.origin or f"<defaults:{cfg.root}>"
    digest = memo.get(key)
    if digest is None:
        # the settings' part is shared by every folder the same settings apply to
        settings_key = f"<settings:{id(cfg.settings)}:{cfg.origin}>"
        settings_digest = memo.get(settings_key)
        if settings_digest is None:
            parts = [cfg.settings.model_dump_json(), ",".join(sorted(cfg.enabled)), cfg.origin or ""]
            settings_digest = memo[settings_key] = content_hash("\0".join(parts).encode())
        parts = [settings_digest, str(cfg.root)]
        if cfg.settings.prices_file:
            parts.append(file_state(str(cfg.root / cfg.settings.prices_file)))
        digest = memo[key] = content_hash("\0".join(parts).encode())
    memo[folder] = digest
    return digest


def _absolute(path: Path) -> str:
    # walked paths are already absolute and resolved (the walk starts from a resolved
    # root and does not follow symlinks); only names given by the user need resolving
    return str(path) if path.is_absolute() else str(path.resolve())


def scan(
    engine: Engine,
    options: EngineOptions,
    roots: list[Path],
    *,
    jobs: int = 1,
    cache: FindingsCache | None = None,
    progress: bool = True,
    target_filter: Callable[[Path, str, bool], bool] | None = None,
    walk_log: WalkLog | None = None,
    while_analysing: Callable[[], None] | None = None,
    finish_later: bool = False,
    on_file: Callable[[list[Finding], list[str] | None], None] | None = None,
) -> ScanResult:
    """Findings for every file under ``roots``, sorted; ConfigError propagates.
    ``walk_log`` collects the folders and files the walk looked at;
    ``while_analysing`` is called once the analysis has begun (in a parallel scan, while
    the workers run).  With ``finish_later`` the scan returns while a thread writes the
    cache file and the pool's processes end; the caller reports meanwhile, then calls
    the result's ``settle`` (without it, both are waited for here).  ``on_file`` is
    given each file's findings and their flagged texts (None when unknown) as soon as
    they are known, from the cache or from the analysis."""
    started = time.perf_counter()
    pool = AnalysisPool(options, jobs, cache is not None) if jobs > 1 else None
    if pool is not None and _will_analyse_many(roots, jobs, cache):
        pool.start()  # before the walk, so that the workers load while it runs
    result = None
    try:
        result = _scan(engine, roots, started, jobs, pool, cache, progress, target_filter, walk_log, while_analysing, finish_later, on_file)
    finally:
        if pool is not None:
            pool.close()
        if result is None or not finish_later:
            _settle(cache, pool)
    if finish_later:
        result.settle = functools.partial(_settle, cache, pool)
    return result


def _settle(cache: FindingsCache | None, pool: AnalysisPool | None) -> None:
    """Wait for what a scan left finishing: the cache file's write, the pool's processes."""
    if cache is not None:
        cache.wait_saved()
    if pool is not None:
        pool.join()


def _will_analyse_many(roots: list[Path], jobs: int, cache: FindingsCache | None) -> bool:
    """Whether a scan of ``roots`` is likely to need workers: a folder may hold enough
    files, and with no findings cache to serve them every one is analysed.  With a cache
    the pool starts after the walk, when it is known to be needed: started early and
    stopped when the cache served every file of the generated tree, the helper's loading
    made those runs use 0.83-1.02 s of CPU, against 0.63-0.70 s before the pool existed
    (4 runs each)."""
    if jobs <= 1 or (cache is not None and cache.entries):
        return False
    return len(roots) >= MIN_FILES_FOR_POOL or any(root.is_dir() for root in roots)


def _scan(engine, roots, started, jobs, pool, cache, progress, target_filter, walk_log, while_analysing, finish_later, on_file) -> ScanResult:
    targets = [t for t in engine.iter_targets(roots, walk_log) if target_filter is None or target_filter(*t)]
    findings: list[Finding] = []
    contents: dict[str, str] = {}
    flagged: dict[int, str] = {}
    todo: list[tuple[str, str, bool]] = []
    configs: dict[str, str] = {}
    states: dict[str, str] = {}
    deps: set[str] = set()
    stats: dict[str, list[int]] = {}
    hits = 0
    for path, kind, explicit in targets:
        abs_path = _absolute(path) if not explicit else str(path.resolve())
        if cache is None or not cacheable(kind):
            todo.append((str(path), kind, explicit))
            continue
        stat = stat_key(abs_path)
        if stat is not None:
            stats[abs_path] = stat
        cached = cache.lookup(abs_path, kind, config_digest(engine, abs_path, configs), states, stat)
        if cached is None:
            todo.append((str(path), kind, explicit))
        else:
            hits += 1
            cached_findings, cached_flagged = cached
            deps.update(cache.entries[abs_path].deps)
            findings.extend(cached_findings)
            if cached_flagged is not None:
                flagged.update(zip(map(id, cached_findings), cached_flagged))
            if on_file is not None and cached_findings:
                on_file(cached_findings, cached_flagged)
            contents[abs_path] = states[abs_path]

    timing.debug("timing: walk and cache lookups %.3f s (%s files, %s from the findings cache)", time.perf_counter() - started, f"{len(targets):,}", f"{hits:,}")
    meter = Progress(len(targets), progress)
    done = hits
    for result in _analyse_all(engine, todo, jobs, pool, while_analysing):
        findings.extend(result.findings)
        flagged.update(zip(map(id, result.findings), result.flagged))
        if on_file is not None and result.findings:
            on_file(result.findings, result.flagged)
        deps.update(result.deps)
        if result.content is not None:
            contents[result.path] = result.content
        if result.stat is not None:
            stats[result.path] = result.stat
        if cache is not None and cacheable(result.kind):
            if result.content is None:
                cache.forget(result.path)
            else:
                if result.entry_text is None:  # analysed here, not by a worker
                    add_cache_entry(engine, result, configs)
                cache.store(result.path, result.entry, text=result.entry_text)
        done += 1
        meter.update(done)
    meter.close()
    if cache is not None:
        saving = time.perf_counter()
        cache.save(background=finish_later)
        if finish_later:
            timing.debug("timing: findings cache serialised %.3f s (a thread writes it beside the report)", time.perf_counter() - saving)
        else:
            timing.debug("timing: findings cache saved %.3f s", time.perf_counter() - saving)
    findings.sort(key=finding_sort_key)
    return ScanResult(
        findings=findings, files_checked=len(targets), contents=contents, from_cache=hits, flagged=flagged,
        deps=deps, kinds={kind for _, kind, _ in targets}, stats=stats,
    )


def _analyse_all(engine: Engine, todo: list[tuple[str, str, bool]], jobs: int, pool: AnalysisPool | None, started: Callable[[], None] | None = None):
    """Analyse ``todo`` here, or in ``pool`` (started now when the walk did not start it)."""
    begun = time.perf_counter()
    if pool is None or len(todo) < MIN_FILES_FOR_POOL:
        if started is not None:
            started()
        for path, kind, explicit in todo:
            yield analyse_one(engine, path, kind, explicit)
        timing.debug("timing: analysis %.3f s (%s files, this process)", time.perf_counter() - begun, f"{len(todo):,}")
        return
    batches = list(_batches(todo, jobs))
    for batch_result in pool.run(batches, started):
        for packed in batch_result:
            yield FileResult.unpack(packed)
    ended = time.perf_counter()
    pool.close()  # the processes end while this one goes on
    ready_at, loading = pool.ready
    if ready_at > begun:
        timing.debug("timing: waiting for the workers %.3f s (their rules and tokenizer loaded in %.3f s, beside the walk)", ready_at - begun, loading)
    timing.debug("timing: analysis %.3f s (%s files, %d worker processes)", ended - max(begun, ready_at), f"{len(todo):,}", pool.jobs)
