"""ruff-like text output: ``path:line:col: CODE message``, evidence, then a summary."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ragtune.analyzers.models import Finding

from .common import display_path


def render_text(
    findings: list[Finding],
    files_checked: int,
    *,
    concise: bool = False,
    cwd: Path | None = None,
    quiet: bool = False,
    fixable: int = 0,
    unsafe_fixable: int = 0,
    blocks: list[str | None] | None = None,
) -> str:
    """``blocks``: each finding's ``finding_block``, where already made (None where not)."""
    cwd = Path.cwd() if cwd is None else cwd  # once, not once per path shown
    blocks = blocks or [None] * len(findings)
    text = "".join(block or finding_block(f, concise=concise, cwd=cwd) for f, block in zip(findings, blocks))
    if not quiet:
        text += "\n".join([summary(findings, files_checked), *fix_hints(fixable, unsafe_fixable)]) + "\n"
    return text


def finding_block(f: Finding, *, concise: bool = False, cwd: Path | None = None) -> str:
    """One finding's lines: where and what, then (unless concise) its evidence and fix."""
    r = f.range
    lines = [f"{display_path(f.path, cwd)}:{r.start.line + 1}:{r.start.character + 1}: {f.code} {f.message}"]
    if not concise:
        for ev in f.evidence[:4]:
            where = ""
            if ev.location is not None:
                where = f" ({display_path(ev.location.path, cwd)}:{ev.location.range.start.line + 1})"
            lines.append(f"    · {ev.message}{where}")
        if len(f.evidence) > 4:
            lines.append(f"    · … {len(f.evidence) - 4} more")
        if f.fix is not None:
            lines.append(f"    fix ({f.fix.applicability.value}): {f.fix.title}")
    return "\n".join(lines) + "\n"


def summary(findings: Iterable[Finding], files_checked: int) -> str:
    findings = list(findings)
    files = f"{files_checked:,} file{'s' if files_checked != 1 else ''}"
    if not findings:
        return f"All checks passed! ({files} checked)"
    n = len(findings)
    return f"Found {n:,} finding{'s' if n != 1 else ''} in {files}."


def fix_hints(fixable: int, unsafe_fixable: int) -> list[str]:
    """ruff's wording, so a team moving from ruff reads it at a glance."""
    out = []
    if fixable:
        out.append(f"[*] {fixable:,} fixable with the `--fix` option.")
    if unsafe_fixable:
        s = "es" if unsafe_fixable != 1 else ""
        out.append(f"({unsafe_fixable:,} hidden fix{s} can be enabled with the `--unsafe-fixes` option.)")
    return out


def statistics_rows(findings: Iterable[Finding]) -> list[dict]:
    """Count per code, most frequent first, with whether every one has a safe fix."""
    counts: dict[str, dict] = {}
    for f in findings:
        row = counts.setdefault(f.code, {"code": f.code, "name": f.name, "count": 0, "fixable": True})
        row["count"] += 1
        row["fixable"] = row["fixable"] and f.fix is not None and f.fix.applicability.value == "safe"
    return sorted(counts.values(), key=lambda r: (-r["count"], r["code"]))


def render_statistics(findings: Iterable[Finding]) -> str:
    rows = statistics_rows(findings)
    if not rows:
        return ""
    width = max(len(str(r["count"])) for r in rows)
    code_width = max(len(r["code"]) for r in rows)
    return "".join(
        f"{r['count']:>{width}}\t{r['code']:<{code_width}}\t{'[*]' if r['fixable'] else '[ ]'} {r['name']}\n" for r in rows
    )
