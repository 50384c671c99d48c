"""JSON Lines: one compact finding object per line (the ``finding_dict`` shape plus
its fingerprint), for tools that stream or grep."""

from __future__ import annotations

import json
from pathlib import Path

from ragtune.analyzers.models import Finding

from .common import finding_dict


def render_json_lines(findings: list[Finding], fingerprints: list[str], cwd: Path | None = None) -> str:
    return "".join(
        json.dumps({**finding_dict(f, cwd), "fingerprint": fp}, ensure_ascii=False, separators=(",", ":")) + "\n"
        for f, fp in zip(findings, fingerprints)
    )
