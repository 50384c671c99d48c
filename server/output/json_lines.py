"""JSON Lines: one compact finding object per line (the ``finding_dict`` shape plus
its fingerprint), for tools that stream or grep."""

from __future__ import annotations

import json
from pathlib import Path

from ragtune.analyzers.models import Finding

from .common import finding_dict


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def render_json_lines(findings: list[Finding], fingerprints: list[str], cwd: Path | None = None, lines: list[str | None] | None = None) -> str:
    """``lines``: each finding's ``json_line``, where already made (None where not)."""
    cwd = Path.cwd() if cwd is None else cwd
    lines = lines or [None] * len(findings)
    return "".join(line or json_line(f, fp, cwd) for f, fp, line in zip(findings, fingerprints, lines))


def json_line(f: Finding, fingerprint: str, cwd: Path | None = None) -> str:
    return _ENCODER.encode({**finding_dict(f, cwd), "fingerprint": fingerprint}) + "\n"
