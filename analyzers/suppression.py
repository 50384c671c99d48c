"""Suppression comments: ``ragtune: ignore[FT201]`` on a line, ``ragtune: ignore-file``.

Accepted inside any comment the file's language has: ``#``, ``//``, ``/* */``,
``<!-- -->`` and Jinja's ``{# #}``.  A line suppression covers findings that start or
end on its line (so it can follow the closing quotes of a multi-line prompt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import Finding, Range

# Linear-time: no nested quantifiers; the code list is a flat character class.
_SUPPRESSION = re.compile(
    r"(?:#|//|/\*|<!--|\{#)[^\n]{0,200}?\bragtune:[ \t]*(ignore-file|ignore)(?:\[([A-Za-z0-9_, \t]*)\])?"
)


@dataclass
class Suppression:
    line: int
    file_level: bool
    codes: tuple[str, ...]  # empty: every code
    range: Range  # the directive's own text, for RT001 and hover
    code_ranges: dict[str, Range] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    used_blanket: bool = False

    def matches(self, code: str) -> bool:
        return not self.codes or any(code == c or code.startswith(c) for c in self.codes)


def find_suppressions(text: str) -> list[Suppression]:
    found: list[Suppression] = []
    if "ragtune:" not in text:
        return found
    for lineno, line in enumerate(text.splitlines()):
        if "ragtune:" not in line:
            continue
        for m in _SUPPRESSION.finditer(line):
            codes_text = m.group(2)
            codes: list[str] = []
            code_ranges: dict[str, Range] = {}
            if codes_text:
                base = m.start(2)
                for cm in re.finditer(r"[A-Za-z0-9_]+", codes_text):
                    code = cm.group(0).upper()
                    codes.append(code)
                    code_ranges[code] = Range.of(lineno, base + cm.start(), lineno, base + cm.end())
            start = line.rfind("ragtune:", 0, m.start(1) + 1)
            found.append(
                Suppression(
                    line=lineno,
                    file_level=m.group(1) == "ignore-file",
                    codes=tuple(codes),
                    range=Range.of(lineno, start, lineno, m.end()),
                    code_ranges=code_ranges,
                )
            )
    return found


def apply_suppressions(findings: list[Finding], suppressions: list[Suppression]) -> list[Finding]:
    """Drop suppressed findings, marking the suppressions that were used."""
    if not suppressions:
        return findings
    kept = []
    for finding in findings:
        lines = {finding.range.start.line, finding.range.end.line}
        suppressed = False
        for s in suppressions:
            if (s.file_level or s.line in lines) and s.matches(finding.code):
                suppressed = True
                if s.codes:
                    s.used.update(c for c in s.codes if finding.code == c or finding.code.startswith(c))
                else:
                    s.used_blanket = True
        if not suppressed:
            kept.append(finding)
    return kept
