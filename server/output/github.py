"""GitHub Actions workflow commands: one ``::warning file=…,line=…::message`` line
per finding, which the runner turns into annotations on the pull request."""

from __future__ import annotations

from pathlib import Path

from ragtune.analyzers.models import Finding, Severity

from .common import display_path

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.HINT: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(f: Finding, cwd: Path | None = None) -> str:
    r = f.range
    props = [f"file={_escape_property(display_path(f.path, cwd))}", f"line={r.start.line + 1}"]
    if r.end.line == r.start.line:
        # columns only mean something to GitHub on a one-line annotation
        props.append(f"col={r.start.character + 1}")
        props.append(f"endColumn={max(r.end.character, r.start.character) + 1}")
    if r.end.line > r.start.line:
        props.append(f"endLine={r.end.line + 1}")
    props.append(f"title={_escape_property(f'{f.code} {f.name}')}")
    return f"::{_COMMAND[f.severity]} {','.join(props)}::{_escape_data(f'{f.code} {f.message}')}"


def render_github(findings: list[Finding], cwd: Path | None = None, lines: list[str | None] | None = None) -> str:
    """``lines``: each finding's ``github_line`` (with its newline), where already made."""
    cwd = Path.cwd() if cwd is None else cwd
    lines = lines or [None] * len(findings)
    return "".join(line or github_line(f, cwd) + "\n" for f, line in zip(findings, lines))
