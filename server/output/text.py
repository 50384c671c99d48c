"""ruff-like text output: ``path:line:col: CODE message``, evidence, then a summary."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ragtune.analyzers.models import Finding

from .common import display_path


def render_text(findings: list[Finding], files_checked: int, *, concise: bool = False, cwd: Path | None = None) -> str:
    lines: list[str] = []
    for f in findings:
        r = f.range
        lines.append(f"{display_path(f.path, cwd)}:{r.start.line + 1}:{r.start.character + 1}: {f.code} {f.message}")
        if concise:
            continue
        for ev in f.evidence[:4]:
            where = ""
            if ev.location is not None:
                where = f" ({display_path(ev.location.path, cwd)}:{ev.location.range.start.line + 1})"
            lines.append(f"    · {ev.message}{where}")
        if len(f.evidence) > 4:
            lines.append(f"    · … {len(f.evidence) - 4} more")
        if f.fix is not None:
            lines.append(f"    fix ({f.fix.applicability.value}): {f.fix.title}")
    lines.append(summary(findings, files_checked))
    return "\n".join(lines) + "\n"


def summary(findings: Iterable[Finding], files_checked: int) -> str:
    findings = list(findings)
    files = f"{files_checked:,} file{'s' if files_checked != 1 else ''}"
    if not findings:
        return f"All checks passed! ({files} checked)"
    n = len(findings)
    return f"Found {n:,} finding{'s' if n != 1 else ''} in {files}."
