"""Shared conversions: display paths and the plain-dict shape of a finding."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ragtune.analyzers.models import Finding, Location


def display_path(path: str, cwd: Path | None = None) -> str:
    return _display_path(path, str(cwd) if cwd is not None else os.getcwd())


def resolved_path(path: str) -> str:
    """``path`` absolute, with its symlinks resolved; memoised: a report names the same
    files many times (and the same folder as the cwd).  Resolving costs a stat per path
    component, so a plain absolute path has its folder resolved once and only its last
    component checked (the report of the generated tree's 561 findings names 580
    files in 230 folders)."""
    return _resolved_absolute(path if os.path.isabs(path) else os.path.join(os.getcwd(), path))


@functools.lru_cache(maxsize=8192)
def _resolved_absolute(path: str) -> str:
    folder, name = os.path.split(path)
    if not name or os.path.normpath(path) != path:
        return str(Path(path).resolve())  # "..", "." or doubled separators: the long way
    joined = os.path.join(_resolved_folder(folder), name)
    return os.path.realpath(joined) if os.path.islink(joined) else joined


@functools.lru_cache(maxsize=1024)
def _resolved_folder(folder: str) -> str:
    return str(Path(folder).resolve())


@functools.lru_cache(maxsize=4096)
def _display_path(path: str, cwd: str) -> str:
    shown = relative_posix(resolved_path(path), resolved_path(cwd))
    return path if shown is None else shown


def relative_posix(path: str, base: str) -> str | None:
    """``path`` relative to ``base`` (both absolute and resolved) with forward slashes,
    as ``Path.relative_to(...).as_posix()`` gives it; None when it is not under
    ``base``.  By string first: the Path objects cost more than the rest of a
    finding's report line."""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if path.startswith(prefix):
        rest = path[len(prefix) :]
        return rest.replace(os.sep, "/") if os.sep != "/" else rest
    try:
        return Path(path).relative_to(base).as_posix()  # equal paths; case rules (Windows)
    except ValueError:
        return None


def location_dict(loc: Location | None, cwd: Path | None = None) -> dict | None:
    if loc is None:
        return None
    r = loc.range
    return {
        "path": display_path(loc.path, cwd),
        "line": r.start.line + 1,
        "column": r.start.character + 1,
        "end_line": r.end.line + 1,
        "end_column": r.end.character + 1,
    }


def finding_dict(f: Finding, cwd: Path | None = None) -> dict:
    """The JSON shape of a finding: 1-based lines and columns (code points)."""
    cwd = Path.cwd() if cwd is None else cwd  # once, not once per path shown
    r = f.range
    fix = None
    if f.fix is not None:
        fix = {
            "title": f.fix.title,
            "applicability": f.fix.applicability.value,
            "edits": [
                {
                    "path": display_path(fe.path, cwd),
                    "line": e.range.start.line + 1,
                    "column": e.range.start.character + 1,
                    "end_line": e.range.end.line + 1,
                    "end_column": e.range.end.character + 1,
                    "content": e.new_text,
                }
                for fe in f.fix.file_edits
                for e in fe.edits
            ],
            "new_files": [{"path": display_path(nf.path, cwd), "content": nf.content} for nf in f.fix.new_files],
        }
    return {
        "code": f.code,
        "name": f.name,
        "message": f.message,
        "severity": f.severity.value,
        "remedy": f.remedy.value,
        "path": display_path(f.path, cwd),
        "line": r.start.line + 1,
        "column": r.start.character + 1,
        "end_line": r.end.line + 1,
        "end_column": r.end.character + 1,
        "evidence": [{"message": e.message, "location": location_dict(e.location, cwd)} for e in f.evidence],
        "fix": fix,
        "figures": f.figures,
    }


def stdout_is_tty() -> bool:
    try:
        return os.isatty(1)
    except OSError:
        return False
