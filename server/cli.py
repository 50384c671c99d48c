"""The ``ragtune`` command: ``check``, ``rule``, ``server``.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error (one line on
stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ragtune.analyzers.config import ConfigError
from ragtune.analyzers.rules.registry import RULES, known_selector, resolve, rule_doc

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ragtune")
    except PackageNotFoundError:
        return "0+unknown"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2
        self.print_usage(sys.stderr)
        sys.stderr.write(f"ragtune: error: {message}\n")
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for c in codes:
        if not known_selector(c):
            raise argparse.ArgumentTypeError(f"unknown rule code or prefix: {c}")
    return codes


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ragtune", description="Find knowledge problems solved with prompts and behaviour problems solved with retrieval.")
    parser.add_argument("--version", action="version", version=f"ragtune {_version()}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="analyse files and folders (default: .)")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--output-format", choices=["text", "concise", "json"], default="text")
    check.add_argument("--select", type=_codes, action="append", metavar="CODES", help="rule codes or prefixes to enable (comma-separated)")
    check.add_argument("--ignore", type=_codes, action="append", metavar="CODES", help="rule codes or prefixes to disable")
    check.add_argument("--config", metavar="FILE", help="use this pyproject.toml or ragtune.toml instead of discovering one")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
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


def run_check(args) -> int:
    from ragtune.analyzers.engine import Engine
    from ragtune.analyzers.workspace import Workspace

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr, format="ragtune: %(message)s")
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        sys.stderr.write(f"ragtune: error: no such file or folder: {missing[0]}\n")
        return EXIT_ERROR
    overrides: dict = {}
    if args.select:
        overrides["select"] = [c for group in args.select for c in group]
    if args.ignore:
        overrides["ignore"] = [c for group in args.ignore for c in group]
    roots = [Path(p) for p in args.paths]
    workspace_root = _common_root(roots)
    engine = Engine(Workspace(workspace_root), config_file=args.config, overrides=overrides)
    result = engine.check(roots)
    out = sys.stdout
    if args.output_format == "json":
        from .output.json_output import render_json

        out.write(render_json(result.findings))
    else:
        from .output.text import render_text

        out.write(render_text(result.findings, result.files_checked, concise=args.output_format == "concise"))
    out.flush()
    if result.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _common_root(roots: list[Path]) -> Path:
    """The workspace: the nearest folder above the inputs holding a repo or config marker."""
    import os

    resolved = [r.resolve() for r in roots]
    common = Path(os.path.commonpath([str(r if r.is_dir() else r.parent) for r in resolved]))
    for candidate in [common, *common.parents]:
        if any((candidate / m).exists() for m in (".git", "pyproject.toml", "ragtune.toml", "package.json")):
            return candidate
    return common


def run_rule(args, parser) -> int:
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
    raise SystemExit(main())
