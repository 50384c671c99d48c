"""Inline expectations for rule fixtures: ``expect: CODE`` on a line a finding covers."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ragtune.analyzers.engine import Engine
from ragtune.analyzers.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"expect:\s*([A-Z]+[0-9]{3}(?:\s*,\s*[A-Z]+[0-9]{3})*)")
# RT002 is about the input itself, not a rule's judgment: fixtures are readable.
RULE_CODES = ("FT", "RAG")


@dataclass(frozen=True)
class Expected:
    path: str
    line: int  # 0-based
    code: str


def expected_in(path: Path) -> list[Expected]:
    out = []
    for n, line in enumerate(path.read_text("utf-8").splitlines()):
        m = _EXPECT.search(line)
        if m:
            out.extend(Expected(str(path), n, c.strip()) for c in m.group(1).split(","))
    return out


def run_fixtures(root: Path = FIXTURES):
    """(matched, missed, unexpected) over every fixture file below ``root``."""
    engine = Engine(Workspace(root))
    result = engine.check([root])
    findings = [f for f in result.findings if f.code.startswith(RULE_CODES)]
    expected = [e for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".toml" and p.name != "README.md" for e in expected_in(p)]
    unmatched = list(findings)
    matched, missed = [], []
    for exp in expected:
        hit = next(
            (f for f in unmatched if f.path == exp.path and f.code == exp.code and f.range.start.line <= exp.line <= f.range.end.line),
            None,
        )
        if hit is None:
            missed.append(exp)
        else:
            unmatched.remove(hit)
            matched.append((exp, hit))
    return matched, missed, unmatched


def per_code_scores(matched, missed, unexpected) -> dict[str, tuple[float, float, int, int, int]]:
    tp = Counter(e.code for e, _ in matched)
    fn = Counter(e.code for e in missed)
    fp = Counter(f.code for f in unexpected)
    out = {}
    for code in sorted(set(tp) | set(fn) | set(fp)):
        p = tp[code] / (tp[code] + fp[code]) if tp[code] + fp[code] else 1.0
        r = tp[code] / (tp[code] + fn[code]) if tp[code] + fn[code] else 1.0
        out[code] = (p, r, tp[code], fp[code], fn[code])
    return out
