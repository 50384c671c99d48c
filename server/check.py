"""``ragtune check``: scan, fix, compare with a baseline, report.

The order matters: fixes first (what is fixed is not reported), then the baseline
(only new findings count), then rendering and the exit code.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pathspec

from ragtune.analyzers.engine import Engine, finding_sort_key
from ragtune.analyzers.models import Applicability, Finding, Severity
from ragtune.analyzers.sources.discovery import DEFAULT_EXCLUDE_DIRS, WalkLog, file_kind

from .baseline import BaselineError, filter_baseline, fingerprints, load_baseline, write_baseline
from .cache import FindingsCache
from .atomic import write_atomically
from .fixes import FixError, FixPlan, SourceFile, apply_edits, apply_plan, plan_fixes, render_diff
from . import replay
from .output.common import display_path
from .runner import EngineOptions, ScanResult, analyse_one, build_engine, default_jobs, scan, timing

EXIT_CLEAN, EXIT_FINDINGS = 0, 1
MAX_FIX_ROUNDS = 10


class CheckError(Exception):
    """Bad input for ``check``: one line for the user, exit 2."""


def run(args, *, version: str, workspace_root: Callable[[list[Path]], Path]) -> int:
    from ragtune.analyzers.config import clear_config_cache

    clear_config_cache()  # an in-process caller (tests, editors) may have edited the config since
    if args.stdin_filename is None:
        missing = [p for p in args.paths if not Path(p).exists()]
        if missing:
            raise CheckError(f"no such file or folder: {missing[0]}")
    if args.baseline and args.write_baseline:
        raise CheckError("use --baseline or --write-baseline, not both")
    overrides: dict = {}
    if args.select:
        overrides["select"] = [c for group in args.select for c in group]
    if args.ignore:
        overrides["ignore"] = [c for group in args.ignore for c in group]
    roots = [Path(args.stdin_filename)] if args.stdin_filename is not None else [Path(p) for p in args.paths]
    root = replay.workspace_root(args, workspace_root)
    options = EngineOptions(root=str(root), config_file=args.config, overrides=overrides)
    engine = build_engine(options)
    try:
        known = load_baseline(args.baseline) if args.baseline else None
    except BaselineError as exc:
        raise CheckError(str(exc)) from None

    if args.stdin_filename is not None:
        return _check_stdin(args, engine, version)

    cache = None
    if not args.no_cache:
        cache_dir = replay.cache_dir(args, root)
        run_key = json.dumps([args.config and str(Path(args.config).resolve()), overrides], sort_keys=True)
        loading = time.perf_counter()
        cache = FindingsCache(cache_dir, root, run_key)
        timing.debug("timing: findings cache loaded %.3f s (%s entries)", time.perf_counter() - loading, f"{len(cache.entries):,}")
    target_filter = _force_exclude_filter(engine) if args.force_exclude else None
    jobs = args.jobs or default_jobs()
    recorder = replay.Recorder(args, version, root) if cache is not None and replay.eligible(args) else None
    # made while workers analyse; one process would make them at the same cost later,
    # without holding them meanwhile
    prepared = _Prepared.for_args(args, root) if jobs > 1 else None
    on_file = prepared.add if prepared is not None else None
    if recorder is None:
        result = scan(engine, options, roots, jobs=jobs, cache=cache, progress=not args.quiet, target_filter=target_filter, finish_later=True, on_file=on_file)
        try:
            return _timed_report(args, engine, result, root, known, version, prepared)[0]
        finally:
            result.settle()  # the cache file was written, and the workers ended, meanwhile
    walk_log = WalkLog()
    watch = sys.stderr = _StderrWatch(sys.stderr)
    try:
        result = scan(
            engine, options, roots, jobs=jobs, cache=cache, progress=not args.quiet, target_filter=target_filter, walk_log=walk_log,
            # the walked folders are stat'ed while the workers analyse; the files were
            # stat'ed by the scan itself (result.stats)
            while_analysing=lambda: recorder.snapshot(walk_log.dirs),
            finish_later=True,
            on_file=on_file,
        )
        commits = []

        def record(report: str, rc: int) -> None:
            """Begin the run record just before the report is printed: a thread makes it
            while this one prints; it is written only once the printing succeeded."""
            if "dataset" in result.kinds:
                recorder.refuse("datasets are checked against the whole workspace")
            if watch.written:
                recorder.refuse("the run printed to stderr")
            commits.append(
                recorder.begin(
                    dirs=walk_log.dirs,
                    files=[*walk_log.files, *result.deps, *engine.config_files()],
                    stats=result.stats,
                    output=report,
                    output_file=args.output_file,
                    rc=rc,
                )
            )

        printed = False
        try:
            rc, _ = _timed_report(args, engine, result, root, known, version, prepared, before_emit=record)
            printed = True
        finally:
            result.settle()
            for commit in commits:
                commit(printed)
    finally:
        sys.stderr = watch.stream
    return rc


class _StderrWatch:
    """sys.stderr during a scan: notes whether anything was written (a run that printed
    more than its report is not replayed)."""

    def __init__(self, stream):
        self.stream = stream
        self.written = False

    def write(self, text: str) -> int:
        self.written = True
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def _timed_report(
    args, engine: Engine, result: ScanResult, root: Path, known, version: str, prepared: "_Prepared | None" = None, before_emit: Callable[[str, int], None] | None = None
) -> tuple[int, str | None]:
    started = time.perf_counter()
    try:
        return _report(args, engine, result, root, known, version, prepared, before_emit)
    finally:
        timing.debug("timing: report %.3f s", time.perf_counter() - started)


def _report(
    args, engine: Engine, result: ScanResult, root: Path, known, version: str, prepared: "_Prepared | None" = None, before_emit: Callable[[str, int], None] | None = None
) -> tuple[int, str | None]:
    """Fixes, the baseline, the report: the exit code, and the report when one was
    printed.  ``before_emit`` is given the report and the exit code just before the
    report is printed (not with --diff or --write-baseline, which print none)."""
    fixed = 0
    if args.diff:
        plan = plan_fixes(result.findings, result.contents, unsafe=args.unsafe_fixes, root=root)
        _report_refused(plan)
        _emit(args, render_diff(plan, display_path))
        if not args.quiet:
            n = len(plan.applied)
            sys.stderr.write(f"ragtune: {n:,} fix{'es' if n != 1 else ''} would be applied{_hidden_note(result.findings, args)}\n")
        return (EXIT_FINDINGS if not plan.empty and not args.exit_zero else EXIT_CLEAN), None
    if args.fix:
        result, fixed = _fix_until_stable(engine, result, args.unsafe_fixes, root)

    findings = result.findings
    if _needs_fingerprints(args):
        prints = fingerprints(findings, root, flagged=result.flagged, known=prepared.usable_prints() if prepared is not None else None)
    else:
        prints = [""] * len(findings)
    if args.write_baseline:
        try:
            write_baseline(args.write_baseline, findings, prints, root)
        except BaselineError as exc:
            raise CheckError(str(exc)) from None
        if not args.quiet:
            sys.stderr.write(f"ragtune: wrote {len(findings):,} finding{'s' if len(findings) != 1 else ''} to baseline {args.write_baseline}\n")
        return EXIT_CLEAN, None
    hidden = 0
    if known is not None:
        findings, prints, hidden = filter_baseline(findings, prints, known)

    entries = prepared.entries_for(findings) if prepared is not None else None
    report = _render(args, findings, prints, result.files_checked, version, fixed=fixed, hidden=hidden, entries=entries)
    rc = EXIT_FINDINGS if _failing(findings) and not args.exit_zero else EXIT_CLEAN
    if before_emit is not None:
        before_emit(report, rc)
    _emit(args, report)
    return rc, report


class _Prepared:
    """Each finding's fingerprint and its part of the report, made as the scan hands
    over each file's findings: in a parallel scan, while the workers analyse the rest,
    not after them (the json-lines report of the 561 findings of the generated tree
    spent 70-80 ms on these at the end).  Only for what the report prints as it is:
    never with --fix (fixed files are analysed again), --diff or --statistics."""

    def __init__(self, root: Path, prints: bool, entry: Callable[[Finding, str], str] | None):
        self.root = root
        self.prints = prints
        self.entry = entry
        self._prints: dict[int, str] = {}
        self._entries: dict[int, str] = {}
        # with fingerprints only: path → its findings made here, and how many analysed
        # files' findings named it
        self._ids: dict[str, list[int]] = {}
        self._calls: dict[str, int] = {}

    @classmethod
    def for_args(cls, args, root: Path) -> "_Prepared | None":
        if args.fix or args.diff or args.statistics or args.write_baseline:
            return None
        cwd = Path.cwd()
        fmt = args.output_format
        entry: Callable[[Finding, str], str] | None = None
        if fmt == "json-lines":
            from .output.json_lines import json_line

            entry = lambda f, fp: json_line(f, fp, cwd)  # noqa: E731
        elif fmt == "github":
            from .output.github import github_line

            entry = lambda f, fp: github_line(f, cwd) + "\n"  # noqa: E731
        elif fmt in ("text", "concise"):
            from .output.text import finding_block

            concise = fmt == "concise"
            entry = lambda f, fp: finding_block(f, concise=concise, cwd=cwd)  # noqa: E731
        prints = _needs_fingerprints(args)
        if entry is None and not prints:
            return None
        return cls(root, prints, entry)

    def add(self, findings: list[Finding], flagged: list[str] | None) -> None:
        if not self.prints:  # entries that show no fingerprint need nothing else
            self._entries.update((id(f), self.entry(f, "")) for f in findings)
            return
        for path in {f.path for f in findings}:
            self._calls[path] = self._calls.get(path, 0) + 1
        if flagged is None:
            return  # this file's texts are read at the end, as they were before
        prints = fingerprints(findings, self.root, flagged=dict(zip(map(id, findings), flagged)))
        self._prints.update(zip(map(id, findings), prints))
        if self.entry is not None:
            self._entries.update((id(f), self.entry(f, fp)) for f, fp in zip(findings, prints))
        for f in findings:
            self._ids.setdefault(f.path, []).append(id(f))

    def _stale(self) -> set[int]:
        """Findings of a file named by the findings of more than one analysed file: their
        index among equal keys counts every finding of that file, so their fingerprints
        (and the entries that show them) are made again at the end."""
        return {i for path, n in self._calls.items() if n > 1 for i in self._ids.get(path, ())}

    def usable_prints(self) -> dict[int, str]:
        stale = self._stale()
        return {k: v for k, v in self._prints.items() if k not in stale} if stale else self._prints

    def entries_for(self, findings: list[Finding]) -> list[str | None]:
        stale = self._stale()
        return [None if id(f) in stale else self._entries.get(id(f)) for f in findings]


def _failing(findings: list[Finding]) -> list[Finding]:
    """Findings that fail a run: hints (a dataset's summary when it is fine, a few-shot
    block below the warning size) are shown but never fail CI."""
    return [f for f in findings if f.severity != Severity.HINT]


def _needs_fingerprints(args) -> bool:
    return bool(args.baseline or args.write_baseline) or args.output_format in ("json", "json-lines", "sarif")


def _hidden_note(findings: list[Finding], args) -> str:
    if args.unsafe_fixes:
        return ""
    n = sum(1 for f in findings if f.fix is not None and f.fix.applicability == Applicability.UNSAFE)
    return f" ({n:,} more with --unsafe-fixes)" if n else ""


def _fix_until_stable(engine: Engine, result: ScanResult, unsafe: bool, root: Path) -> tuple[ScanResult, int]:
    """Apply fixes, re-analyse the files they touched, and repeat while fixes overlapped
    (one of two overlapping fixes waits for the next round)."""
    applied_count = 0
    findings = list(result.findings)
    contents = dict(result.contents)
    for round_number in range(MAX_FIX_ROUNDS):
        candidates = findings
        if round_number:
            # a fix that creates a file leaves its finding in place; proposing it again
            # would create a second copy
            candidates = [f for f in findings if f.fix is not None and not f.fix.new_files]
        plan = plan_fixes(candidates, contents, unsafe=unsafe, root=root)
        _report_refused(plan)
        if plan.empty:
            break
        try:
            apply_plan(plan)
        except FixError as exc:
            raise CheckError(str(exc)) from None
        applied_count += len(plan.applied)
        touched = {str(Path(p).resolve()) for p in plan.edits} | {str(Path(f.path).resolve()) for f in plan.applied}
        kept = [f for f in findings if str(Path(f.path).resolve()) not in touched]
        for path in sorted(touched):
            kind = file_kind(path, engine.config_for(path).settings, explicit=True) or "unknown"
            fresh = analyse_one(engine, path, kind, True)
            if fresh.content is not None:
                contents[path] = fresh.content
            kept.extend(fresh.findings)
        kept.sort(key=finding_sort_key)
        findings = kept
    return ScanResult(findings=findings, files_checked=result.files_checked, contents=contents, from_cache=result.from_cache), applied_count


def _report_refused(plan: FixPlan) -> None:
    # shown even with --quiet: the file still has the finding the user asked to fix
    for f, reason in plan.refused:
        sys.stderr.write(f"ragtune: not fixing {f.code} at {display_path(f.path)}:{f.range.start.line + 1}: {reason}\n")


def _render(
    args, findings: list[Finding], prints: list[str], files_checked: int, version: str, *, fixed: int = 0, hidden: int = 0, entries: list[str | None] | None = None
) -> str:
    """``entries``: each finding's part of the report, where already made (``_Prepared``)."""
    fmt = args.output_format
    if args.statistics:
        from .output.text import render_statistics, statistics_rows

        if fmt in ("json", "json-lines"):
            return json.dumps(statistics_rows(findings), indent=2) + "\n"
        return render_statistics(findings)
    if fmt == "json":
        from .output.json_output import render_json

        return render_json(findings, fingerprints=prints)
    if fmt == "json-lines":
        from .output.json_lines import render_json_lines

        return render_json_lines(findings, prints, lines=entries)
    if fmt == "sarif":
        from .output.sarif import render_sarif

        return render_sarif(findings, prints, version)
    if fmt == "github":
        from .output.github import render_github

        return render_github(findings, lines=entries)
    from .output.text import render_text

    fixable = sum(1 for f in findings if f.fix is not None and f.fix.applicability == Applicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == Applicability.UNSAFE)
    if args.unsafe_fixes:
        fixable, unsafe = fixable + unsafe, 0
    text = render_text(findings, files_checked, concise=fmt == "concise", quiet=args.quiet, fixable=fixable, unsafe_fixable=unsafe, blocks=entries)
    if not args.quiet:
        extra = []
        if fixed:
            extra.append(f"Applied {fixed:,} fix{'es' if fixed != 1 else ''}.")
        if hidden:
            extra.append(f"{hidden:,} finding{'s' if hidden != 1 else ''} hidden by the baseline.")
        if extra:
            text += "\n".join(extra) + "\n"
    return text


def _emit(args, text: str) -> None:
    if args.output_file:
        path = Path(args.output_file)
        if not path.parent.exists():
            raise CheckError(f"cannot write {args.output_file}: folder {path.parent} does not exist")
        try:
            write_atomically(path, text.encode("utf-8"))
        except OSError as exc:
            raise CheckError(f"cannot write {args.output_file}: {exc.strerror or exc}") from None
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def _force_exclude_filter(engine: Engine):
    """Drop explicitly named files that the configuration excludes (pre-commit names
    every staged file; the project's excludes must still hold)."""

    def keep(path: Path, kind: str, explicit: bool) -> bool:
        if not explicit:
            return True
        cfg = engine.config_for(path)
        resolved = path.resolve()
        try:
            rel = resolved.relative_to(cfg.root.resolve())
        except ValueError:
            return True
        if any(part in DEFAULT_EXCLUDE_DIRS or part.endswith(".egg-info") for part in rel.parts[:-1]):
            return False
        if cfg.settings.exclude:
            spec = pathspec.PathSpec.from_lines("gitignore", cfg.settings.exclude)
            if spec.match_file(rel.as_posix()):
                return False
        if cfg.settings.include:
            spec = pathspec.PathSpec.from_lines("gitignore", cfg.settings.include)
            return spec.match_file(rel.as_posix())
        return True

    return keep


def _check_stdin(args, engine: Engine, version: str) -> int:
    """Analyse a buffer piped in by an editor.  With --fix the fixed buffer goes to
    stdout and the findings to stderr, as ruff does; nothing on disk is written."""
    raw = sys.stdin.buffer.read()
    try:
        text = SourceFile.parse(args.stdin_filename, raw).text
    except UnicodeDecodeError as exc:
        raise CheckError(f"stdin is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    path = args.stdin_filename
    abs_path = str(Path(path).resolve())
    kind = file_kind(abs_path, engine.config_for(abs_path).settings, explicit=True) or "unknown"
    findings = engine.analyze_file(path, kind=kind, explicit=True, text=text)
    if args.fix or args.diff:
        # only edits to the buffer itself: new files would be written to disk
        plan = plan_fixes([f for f in findings if f.fix and not f.fix.new_files and all(fe.path == abs_path for fe in f.fix.file_edits)], {}, unsafe=args.unsafe_fixes, root=engine.workspace.root, buffers={abs_path: text})
        source = SourceFile.parse(path, raw)
        new_text = apply_edits(source, [e for _, _, e in plan.edits.get(abs_path, [])])
        if args.diff:
            sys.stdout.write(render_diff(plan, lambda p: display_path(p)))
            return EXIT_FINDINGS if not plan.empty and not args.exit_zero else EXIT_CLEAN
        sys.stdout.buffer.write(source.encode(new_text))
        sys.stdout.flush()
        applied = {id(f) for f in plan.applied}
        remaining = [f for f in findings if id(f) not in applied]
        if remaining:
            from .output.text import render_text

            sys.stderr.write(render_text(remaining, 1, concise=True, quiet=True))
        return EXIT_FINDINGS if remaining and not args.exit_zero else EXIT_CLEAN
    prints = fingerprints(findings, engine.workspace.root, buffers={abs_path: text}) if _needs_fingerprints(args) else [""] * len(findings)
    if args.baseline:
        findings, prints, _ = filter_baseline(findings, prints, load_baseline(args.baseline))
    _emit(args, _render(args, findings, prints, 1, version))
    return EXIT_FINDINGS if _failing(findings) and not args.exit_zero else EXIT_CLEAN
