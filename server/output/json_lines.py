"""JSON Lines: one compact finding object per line (the ``finding_dict`` shape plus
its fingerprint), for tools that stream or grep."""

from __future__ import annotations

import json
from pathlib import Path

from ragtune.analyzers.models import Finding

from .common import finding_dict


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def render_json_lines(findings: list[Finding], fingerprints: list[str], cwd: Path | None = None) -> str:
    cwd = Path.cwd() if cwd is None else cwd
    return "".join(_ENCODER.encode({**finding_dict(f, cwd), "fingerprint": fp}) + "\n" for f, fp in zip(findings, fingerprints))
