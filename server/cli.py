"""The ``ragtune`` command: ``check``, ``rule``, ``server``.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error (one line on
stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
from pathlib import Path

_STARTED = time.perf_counter()  # for --verbose timings: the interpreter is up, nothing else loaded

# the engine (pydantic models, the rule table) is imported by the commands that use
# it: ``ragtune server`` starts its analysis process before loading any of it
from ragtune.analyzers.errors import ConfigError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ["text", "concise", "json", "json-lines", "sarif", "github"]
# Allocations between young collections during a check (CPython's default: 700).
# Measured on the generated 10,300-file tree (tests/benchmarks/gen_repo.py), --jobs 1:
# 700: 4.3-4.55 s, collections 0.46 s of it; 10,000: 3.9 s; 50,000: 3.65-3.8 s, peak
# 217 MB against 208 MB; 200,000: 3.8-4.0 s, 234 MB.
SCAN_GC_THRESHOLD = 50_000


def _version() -> str:
    from ragtune.server import __version__

    return __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2; the usage is a --help away
        sys.stderr.write(f"ragtune: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    from ragtune.analyzers.rules.registry import known_selector

    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for c in codes:
        if not known_selector(c):
            raise argparse.ArgumentTypeError(f"unknown rule code or prefix: {c}")
    return codes


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ragtune", description="Find knowledge problems solved with prompts and behaviour problems solved with retrieval.")
    parser.add_argument("--version", action="version", version=f"ragtune {_version()}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="analyse files and folders (default: .)")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text", help="how findings are printed (default: text)")
    check.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--select", type=_codes, action="append", metavar="CODES", help="rule codes or prefixes to enable (comma-separated)")
    check.add_argument("--ignore", type=_codes, action="append", metavar="CODES", help="rule codes or prefixes to disable")
    check.add_argument("--config", metavar="FILE", help="use this pyproject.toml or ragtune.toml instead of discovering one")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead of the findings")
    check.add_argument("-q", "--quiet", action="store_true", help="print the findings and nothing else (no summary, no progress)")
    fixes = check.add_argument_group("fixes")
    fixes.add_argument("--fix", action="store_true", help="apply safe fixes")
    fixes.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, apply unsafe fixes too")
    fixes.add_argument("--diff", action="store_true", help="print the fixes as a unified diff instead of writing them (exit 1 if there are any)")
    base = check.add_argument_group("baseline")
    base.add_argument("--baseline", metavar="FILE", help="report only findings that are not in this baseline")
    base.add_argument("--write-baseline", metavar="FILE", help="save the current findings as a baseline and exit 0")
    speed = check.add_argument_group("speed and editors")
    speed.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    speed.add_argument("--cache-dir", metavar="DIR", help="where the cache lives (default: .ragtune_cache in the workspace)")
    speed.add_argument("-j", "--jobs", type=_jobs, metavar="N", help="files analysed in parallel (default: the number of CPUs)")
    speed.add_argument("--stdin-filename", metavar="PATH", help="analyse the text on stdin as if it were PATH (for editors)")
    speed.add_argument("--force-exclude", action="store_true", help="apply the configured excludes to files named on the command line too (pre-commit)")
    check.add_argument("-v", "--verbose", action="store_true", help="log what is analysed to stderr")

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", nargs="?", metavar="CODE")
    rule.add_argument("--all", action="store_true", help="list every rule")

    server = sub.add_parser("server", help="run the language server on stdio")
    server.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    server.add_argument("--log-file", metavar="FILE", help="also write the server log to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "rule":
            return run_rule(args, parser)
        if args.command == "server":
            from ragtune.server.lsp import run_server

            return run_server(log_file=args.log_file)
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    except ConfigError as exc:
        sys.stderr.write(f"ragtune: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN


def entry() -> None:
    """The ``ragtune`` command.  After a check, the process ends without tearing down
    what the scan built: freeing the engine's modules, memos and caches one object at a
    time made the wall time exceed the --verbose total by 0.19-0.21 s after a 2-process
    check of the generated 10,300-file tree and 0.31-0.35 s after a 1-process one
    (interpreter start included; 0.04-0.05 s now).  mypy ends the same way."""
    code = main()
    if _checked:
        _leave(code)
    raise SystemExit(code)


_checked = False  # set once a check ran: entry() then ends the process at once


def _leave(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe (`ragtune check | head`): nothing more can be said there
    logging.shutdown()
    os._exit(code)


def run_check(args) -> int:
    global _checked
    from .replay import try_replay

    _checked = True

    # an unchanged tree since the last identical run: print its report without
    # loading the engine (see replay.py)
    replayed = try_replay(args, _version(), _common_root)
    if replayed is not None:
        return replayed
    from .gc_policy import loaded_for_good

    with loaded_for_good():
        from .check import CheckError, run
        from .runner import AnalysisProcessError
    threshold = gc.get_threshold()
    # a scan allocates millions of short-lived objects (syntax nodes, models) while its
    # memos grow; fewer young collections mean fewer full passes over the memos
    gc.set_threshold(SCAN_GC_THRESHOLD, *threshold[1:])
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr, format="ragtune: %(message)s")
    timing = logging.getLogger("ragtune.timing")
    timing.debug("timing: start-up and engine import %.3f s", time.perf_counter() - _STARTED)
    try:
        return run(args, version=_version(), workspace_root=_common_root)
    except (CheckError, AnalysisProcessError) as exc:
        sys.stderr.write(f"ragtune: error: {exc}\n")
        return EXIT_ERROR
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
        timing.debug("timing: total %.3f s", time.perf_counter() - _STARTED)


def _common_root(roots: list[Path]) -> Path:
    """The workspace: the nearest folder above the inputs holding a repo or config marker."""
    resolved = [r.resolve() for r in roots]
    common = Path(os.path.commonpath([str(r if r.is_dir() else r.parent) for r in resolved]))
    for candidate in [common, *common.parents]:
        if any((candidate / m).exists() for m in (".git", "pyproject.toml", "ragtune.toml", "package.json")):
            return candidate
    return common


def run_rule(args, parser) -> int:
    from ragtune.analyzers.rules.registry import RULES, resolve, rule_doc

    if args.all or not args.code:
        if not args.all:
            parser.error("rule: give a CODE or --all")
        width = max(len(r.name) for r in RULES)
        for r in RULES:
            sys.stdout.write(f"{r.code:<7} {r.name:<{width}}  {r.remedy.value:<17} {r.status}\n")
        return EXIT_CLEAN
    spec = resolve(args.code)
    if spec is None:
        sys.stderr.write(f"ragtune: error: unknown rule: {args.code}\n")
        return EXIT_ERROR
    sys.stdout.write(rule_doc(spec.code))
    return EXIT_CLEAN


if __name__ == "__main__":
    entry()
