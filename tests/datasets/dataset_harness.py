"""Shared by the dataset tests and ``measure.py``: run the engine on a fixture dataset
and compare with its sidecar (``<name>.expect.json``).

A sidecar holds ``findings`` (1-based line → codes expected there; DS3xx, RT0xx and the
RAG101 dataset verdict on line 1 are checked exactly) and ``labels`` (1-based line →
"knowledge"/"behaviour", the hand label of the example, scored by precision/recall).
"""

from __future__ import annotations

import json
from pathlib import Path

from ragtune.analyzers.config import clear_config_cache
from ragtune.analyzers.engine import Engine
from ragtune.analyzers.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_datasets() -> list[Path]:
    return sorted(p.with_name(p.name.replace(".expect.json", "")) for p in FIXTURES.rglob("*.expect.json"))


def dataset_file(stem_path: Path) -> Path:
    for suffix in (".jsonl", ".json"):
        candidate = stem_path.with_name(stem_path.name + suffix)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(stem_path)


def workspace_root(path: Path) -> Path:
    """The fixture project the dataset belongs to (first folder below fixtures/)."""
    return FIXTURES / path.relative_to(FIXTURES).parts[0]


def run(path: Path, overrides: dict | None = None):
    return run_judged(path, overrides)[0]


def run_judged(path: Path, overrides: dict | None = None):
    """Findings, and the 1-based lines the classifier judged as storing facts (of every
    dataset: RAG101 reports examples only for datasets that store knowledge)."""
    clear_config_cache()
    engine = Engine(Workspace(workspace_root(path)), overrides=overrides)
    findings, ctx = engine.analyze_with_context(str(path), kind="dataset")
    analysis = ctx.facts.get("dataset") if ctx is not None else None
    judged = analysis.facts.knowledge_lines if analysis is not None else None
    return findings, {str(line + 1) for line in judged or ()}


def expectations(stem_path: Path) -> dict:
    return json.loads(stem_path.with_name(stem_path.name + ".expect.json").read_text("utf-8"))


def checked_codes(findings) -> dict[str, set[str]]:
    """line → codes, without RAG101's per-example findings (scored, not pinned)."""
    out: dict[str, set[str]] = {}
    for f in findings:
        line = f.range.start.line + 1
        if f.code == "RAG101" and line != 1:
            continue
        out.setdefault(str(line), set()).add(f.code)
    return out
