"""Suppression for datasets, which cannot hold comments: ``jsonl-ignores`` entries.

``[tool.ragtune] jsonl-ignores = [{path = "data/train.jsonl", codes = ["DS302"], lines = [12]}]``
An entry's path is a glob relative to the configuration file's folder; ``lines`` are
1-based as editors show them; empty ``codes`` or ``lines`` mean all.  An entry that
names this file but suppresses nothing (or some of its lines or codes suppress
nothing) is reported as RT001 on line 1 of the dataset, naming the entry.
"""

from __future__ import annotations

from pathlib import Path

import pathspec

from ..config import JsonlIgnore
from ..models import Finding, Range


def _relative(path: str, root: Path) -> str | None:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _describe(entry: JsonlIgnore) -> str:
    parts = [f'path = "{entry.path}"']
    if entry.codes:
        parts.append("codes = [" + ", ".join(f'"{c}"' for c in entry.codes) + "]")
    if entry.lines:
        parts.append("lines = [" + ", ".join(str(n) for n in entry.lines) + "]")
    return "{" + ", ".join(parts) + "}"


def _matches_code(entry: JsonlIgnore, code: str) -> str | None:
    if not entry.codes:
        return "*"
    for c in entry.codes:
        if code == c.upper() or code.startswith(c.upper()):
            return c
    return None


def apply_jsonl_ignores(ctx, settings, root: Path, origin: str | None, enabled: frozenset[str], findings: list[Finding]) -> list[Finding]:
    """Drop findings the entries cover; add RT001 for entries that cover nothing."""
    rel = _relative(ctx.path, root)
    if rel is None:
        return findings
    entries = [
        (n, e)
        for n, e in enumerate(settings.jsonl_ignores)
        if pathspec.PathSpec.from_lines("gitignore", [e.path]).match_file(rel)
    ]
    if not entries:
        return findings
    used_codes: dict[int, set[str]] = {n: set() for n, _ in entries}
    used_lines: dict[int, set[int]] = {n: set() for n, _ in entries}
    kept = []
    for f in findings:
        line = f.range.start.line + 1
        suppressed = False
        for n, e in entries:
            code = _matches_code(e, f.code)
            if code is None or (e.lines and line not in e.lines):
                continue
            suppressed = True
            used_codes[n].add(code)
            used_lines[n].add(line)
        if not suppressed:
            kept.append(f)
    if "RT001" not in enabled:
        return kept
    where = f"jsonl-ignores in {Path(origin).name if origin else 'the configuration'}"
    for n, e in entries:
        problems = []
        if not used_lines[n]:
            what = " or ".join(e.codes) if e.codes else "any"
            at = f" on line{'s' if len(e.lines) > 1 else ''} {', '.join(map(str, e.lines))}" if e.lines else ""
            problems.append(f"no {what} finding{at} to ignore")
        else:
            unused_lines = [ln for ln in e.lines if ln not in used_lines[n]]
            unused_codes = [c for c in e.codes if c not in used_codes[n]]
            if unused_lines:
                problems.append(f"nothing to ignore on line{'s' if len(unused_lines) > 1 else ''} {', '.join(map(str, unused_lines))}")
            if unused_codes:
                problems.append(f"no {', '.join(unused_codes)} finding to ignore")
        for c in e.codes:
            if not any(code.startswith(c.upper()) for code in enabled):
                problems.append(f"{c} is not enabled")
        if problems:
            kept.append(
                ctx.finding(
                    "RT001",
                    f"Unused suppression: {where} entry {_describe(e)}: {'; '.join(dict.fromkeys(problems))}",
                    Range.of(0, 0, 0, 0),
                    figures={"config": origin or "", "entry": n},
                )
            )
    return kept
