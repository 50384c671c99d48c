"""The real-world corpus's manifest: loading, validation and a summary.

The manifest (``cases.toml`` beside this file) holds references to public code at
pinned commits and the labels read from that code; no public code is stored here.
``python tests/realworld/corpus.py`` validates it and prints what it covers;
``--manifest FILE`` checks another file (a draft of new cases).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "cases.toml"
# A developer's checkout has ../shared beside the repository; a clone may not.
RESERVED_LIST = HERE.parents[2] / "shared" / "RESERVED-REPOS.txt"

# The rules that read code, prompts or data: the corpus scores these.
SCORED_CODES = (
    "FT201", "FT202", "FT203", "FT204", "FT205", "FT206",
    "RAG101", "RAG102", "RAG103", "RAG104",
    "DS301", "DS302", "DS303", "DS304", "DS305",
)
# The bar: every code at least 5 positive cases, the dataset rules and FT206 3.
MIN_POSITIVE_CASES = {code: (3 if code.startswith("DS") or code == "FT206" else 5) for code in SCORED_CODES}
MIN_CASES, MIN_REPOS, MIN_SILENT_SHARE = 150, 50, 0.40

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_AT = re.compile(r"^(?P<path>.+?)(?::(?P<start>[0-9]+)(?:-(?P<end>[0-9]+))?)?$")
_CASE_KEYS = {"id", "repo", "commit", "paths", "reason", "expect", "silent", "dev", "tags", "note", "check"}
_EXPECT_KEYS = {"code", "at", "reason"}

# What a case's files are, by extension, for the coverage summary.
FORMS = {
    ".py": "python", ".ipynb": "notebook", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".jsx": "javascript", ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript",
    ".md": "prompt:md", ".txt": "prompt:txt", ".yaml": "prompt:yaml", ".yml": "prompt:yaml",
    ".prompt": "prompt:prompt", ".prompty": "prompt:prompty", ".j2": "prompt:jinja", ".jinja": "prompt:jinja",
    ".jinja2": "prompt:jinja", ".jsonl": "dataset:jsonl", ".json": "json",
}


class ManifestError(ValueError):
    """The manifest breaks a rule of its format; the message names the case."""


@dataclass(frozen=True)
class Span:
    """Where a finding may land: a file, optionally a line range (1-based, inclusive)."""

    path: str
    start: int | None = None
    end: int | None = None

    def holds(self, path: str, line: int) -> bool:
        if path != self.path:
            return False
        return self.start is None or self.start <= line <= self.end

    def __str__(self) -> str:
        if self.start is None:
            return self.path
        return f"{self.path}:{self.start}" if self.start == self.end else f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True)
class Expectation:
    """One anti-pattern that must be reported: a finding of ``code`` in any of ``spans``."""

    code: str
    spans: tuple[Span, ...]
    reason: str


@dataclass(frozen=True)
class Case:
    id: str
    repo: str
    commit: str
    paths: tuple[str, ...]
    reason: str
    expect: tuple[Expectation, ...]
    silent: tuple[str, ...]  # codes or prefixes that must not fire anywhere in the case
    dev: bool | None
    tags: tuple[str, ...] = ()
    note: str = ""
    check: tuple[str, ...] = ()  # paths given to `ragtune check`; empty: the whole folder

    @property
    def expected_codes(self) -> set[str]:
        return {e.code for e in self.expect}

    def is_silent(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.silent)

    def labels(self, code: str) -> bool:
        """Whether this case says anything about ``code`` (positive or silent)."""
        return code in self.expected_codes or self.is_silent(code)

    @property
    def must_not_only(self) -> bool:
        """A look-alike: nothing in it must fire."""
        return not self.expect

    @property
    def half(self) -> str:
        return "unsplit" if self.dev is None else "dev" if self.dev else "held-back"

    @property
    def forms(self) -> set[str]:
        out = set()
        for p in self.paths:
            suffix = Path(p).suffix.lower()
            if p.lower().endswith((".prompt.md", ".prompt.yml", ".prompt.yaml")):
                out.add("prompt:prompt")
            out.add(FORMS.get(suffix, "other"))
        out.update(t for t in self.tags if t.startswith(("dataset:", "prompt:")))
        return out


def parse_span(text: str) -> Span:
    m = _AT.match(text)
    if not m or not m["path"] or m["path"].startswith("/") or ".." in Path(m["path"]).parts:
        raise ManifestError(f"bad location {text!r}: want 'path', 'path:LINE' or 'path:START-END'")
    if m["start"] is None:
        return Span(m["path"])
    start = int(m["start"])
    end = int(m["end"]) if m["end"] else start
    if start < 1 or end < start:
        raise ManifestError(f"bad line range in {text!r}")
    return Span(m["path"], start, end)


def _strings(value, what: str, case_id: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ManifestError(f"case {case_id}: {what} must be a string or a list of strings")
    return tuple(value)


def _case(raw: dict) -> Case:
    case_id = raw.get("id")
    if not isinstance(case_id, str) or not _ID.match(case_id):
        raise ManifestError(f"case id {case_id!r}: lower-case letters, digits, '.', '_' and '-'")
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise ManifestError(f"case {case_id}: unknown keys {sorted(unknown)}")
    for key in ("repo", "commit", "paths", "reason"):
        if key not in raw:
            raise ManifestError(f"case {case_id}: '{key}' is required")
    if not isinstance(raw["repo"], str) or not _REPO.match(raw["repo"]):
        raise ManifestError(f"case {case_id}: repo must be 'owner/name'")
    if not isinstance(raw["commit"], str) or not _COMMIT.match(raw["commit"]):
        raise ManifestError(f"case {case_id}: commit must be 40 lower-case hex digits")
    paths = _strings(raw["paths"], "paths", case_id)
    for p in paths:
        if p.startswith("/") or ".." in Path(p).parts:
            raise ManifestError(f"case {case_id}: path {p!r} must be relative to the repository's root")
    reason = raw["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise ManifestError(f"case {case_id}: reason must say, in a line, what the code does")
    expect = []
    for entry in raw.get("expect", []):
        if not isinstance(entry, dict) or set(entry) - _EXPECT_KEYS or not {"code", "at", "reason"} <= set(entry):
            raise ManifestError(f"case {case_id}: each expect entry has code, at and reason, nothing else")
        code = entry["code"]
        if code not in SCORED_CODES:
            raise ManifestError(f"case {case_id}: {code!r} is not a scored code")
        spans = tuple(parse_span(s) for s in _strings(entry["at"], "at", case_id))
        for s in spans:
            if not any(s.path == p or s.path.startswith(p.rstrip("/") + "/") for p in paths):
                raise ManifestError(f"case {case_id}: {s} is not in the case's paths")
        if not isinstance(entry["reason"], str) or not entry["reason"].strip():
            raise ManifestError(f"case {case_id}: the {code} expectation needs a reason")
        expect.append(Expectation(code, spans, entry["reason"].strip()))
    silent = _strings(raw.get("silent", []), "silent", case_id) if raw.get("silent") else ()
    for prefix in silent:
        if not any(code.startswith(prefix) for code in SCORED_CODES):
            raise ManifestError(f"case {case_id}: silent {prefix!r} matches no scored code")
        clash = {e.code for e in expect if e.code.startswith(prefix)}
        if clash:
            raise ManifestError(f"case {case_id}: {sorted(clash)} both expected and silent")
    if not expect and not silent:
        raise ManifestError(f"case {case_id}: labels nothing (no expect, no silent)")
    dev = raw.get("dev")
    if dev is not None and not isinstance(dev, bool):
        raise ManifestError(f"case {case_id}: dev must be true or false")
    tags = _strings(raw["tags"], "tags", case_id) if raw.get("tags") else ()
    check = _strings(raw["check"], "check", case_id) if raw.get("check") else ()
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise ManifestError(f"case {case_id}: note must be a string")
    return Case(case_id, raw["repo"], raw["commit"], paths, reason.strip(), tuple(expect), silent, dev, tags, note, check)


def reserved_repos(path: Path = RESERVED_LIST) -> set[str]:
    """The repositories ragtune is scored on independently (lower-case), when the list is here."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError:
        return set()
    return {line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def load(path: Path = MANIFEST, *, require_split: bool = False) -> list[Case]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as err:
        raise ManifestError(f"{path}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise ManifestError(f"{path}: {err}") from None
    unknown = set(data) - {"case"}
    if unknown:
        raise ManifestError(f"{path}: unknown top-level keys {sorted(unknown)} (cases are [[case]] tables)")
    cases = [_case(raw) for raw in data.get("case", [])]
    seen: set[str] = set()
    for c in cases:
        if c.id in seen:
            raise ManifestError(f"case id {c.id} appears twice")
        seen.add(c.id)
        if require_split and c.dev is None:
            raise ManifestError(f"case {c.id}: no dev flag (run tests/realworld/split.py)")
    reserved = reserved_repos()
    bad = sorted({c.repo for c in cases if c.repo.lower() in reserved})
    if bad:
        raise ManifestError(f"reserved repositories must not be used: {', '.join(bad)}")
    return cases


def load_or_report(path: Path = MANIFEST) -> list[Case] | None:
    """``load`` for the command-line scripts: the error on stderr and None instead of a traceback."""
    try:
        return load(path)
    except ManifestError as err:
        print(f"error: {err}", file=sys.stderr)
        return None


@dataclass
class Coverage:
    cases: int = 0
    repos: int = 0
    must_not_only: int = 0
    positive_cases: Counter = field(default_factory=Counter)  # code → cases expecting it
    positives: Counter = field(default_factory=Counter)  # code → expectations
    silent_cases: Counter = field(default_factory=Counter)  # code → cases where it must stay silent
    forms: Counter = field(default_factory=Counter)
    halves: Counter = field(default_factory=Counter)
    held_back_positive_cases: Counter = field(default_factory=Counter)

    def shortfalls(self) -> list[str]:
        out = []
        if self.cases < MIN_CASES:
            out.append(f"{self.cases} cases, want at least {MIN_CASES}")
        if self.repos < MIN_REPOS:
            out.append(f"{self.repos} repositories, want at least {MIN_REPOS}")
        if self.cases and self.must_not_only / self.cases < MIN_SILENT_SHARE:
            out.append(f"{self.must_not_only / self.cases:.0%} look-alike cases, want at least {MIN_SILENT_SHARE:.0%}")
        for code, least in MIN_POSITIVE_CASES.items():
            if self.positive_cases[code] < least:
                out.append(f"{code}: {self.positive_cases[code]} positive cases, want at least {least}")
        return out


def coverage(cases: list[Case]) -> Coverage:
    cov = Coverage(cases=len(cases), repos=len({c.repo.lower() for c in cases}))
    for c in cases:
        cov.must_not_only += c.must_not_only
        cov.halves[c.half] += 1
        for code in c.expected_codes:
            cov.positive_cases[code] += 1
            if c.dev is False:
                cov.held_back_positive_cases[code] += 1
        for e in c.expect:
            cov.positives[e.code] += 1
        for code in SCORED_CODES:
            if c.is_silent(code):
                cov.silent_cases[code] += 1
        cov.forms.update(c.forms)
    return cov


def render_coverage(cov: Coverage) -> str:
    lines = [
        f"{cov.cases} cases from {cov.repos} repositories; {cov.must_not_only} look-alike cases "
        f"({cov.must_not_only / max(cov.cases, 1):.0%}) in which nothing must fire",
        "halves: " + ", ".join(f"{k} {v}" for k, v in sorted(cov.halves.items())),
        "",
        f"{'code':<8}{'positive cases':>15}{'held-back':>11}{'expectations':>14}{'silent in':>11}",
    ]
    for code in SCORED_CODES:
        lines.append(
            f"{code:<8}{cov.positive_cases[code]:>15}{cov.held_back_positive_cases[code]:>11}"
            f"{cov.positives[code]:>14}{cov.silent_cases[code]:>11}"
        )
    lines += ["", "forms: " + ", ".join(f"{k} {v}" for k, v in sorted(cov.forms.items()))]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    cases = load_or_report(args.manifest)
    if cases is None:
        return 2
    cov = coverage(cases)
    print(render_coverage(cov))
    short = cov.shortfalls()
    if short:
        print("\nshort of the corpus's bars:\n  " + "\n  ".join(short))
    return 0


if __name__ == "__main__":
    sys.exit(main())
