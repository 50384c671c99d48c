"""JSON output: a list of finding objects (see ``finding_dict``)."""

from __future__ import annotations

import json
from pathlib import Path

from ragtune.analyzers.models import Finding

from .common import finding_dict


def render_json(findings: list[Finding], cwd: Path | None = None) -> str:
    return json.dumps([finding_dict(f, cwd) for f in findings], indent=2, ensure_ascii=False) + "\n"
