"""JSON output: a list of finding objects (see ``finding_dict``), each with its
fingerprint when the caller computed them."""

from __future__ import annotations

import json
from pathlib import Path

from ragtune.analyzers.models import Finding

from .common import finding_dict


def render_json(findings: list[Finding], cwd: Path | None = None, fingerprints: list[str] | None = None) -> str:
    cwd = Path.cwd() if cwd is None else cwd
    rows = [finding_dict(f, cwd) for f in findings]
    if fingerprints is not None:
        rows = [{**row, "fingerprint": fp} for row, fp in zip(rows, fingerprints)]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
