"""The rule table: code → rule module, with its remedy, default severity and status.

One rule, one module, one row.  A module exposes ``check(ctx)`` yielding findings and
its docstring is the rule's documentation (fixed sections, checked by a test).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from ..models import Remedy, Severity


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    module: str  # below ragtune.analyzers.rules
    remedy: Remedy
    severity: Severity
    scope: str  # "prompt" (prompt sites), "file", "dataset", "project"
    status: str = "stable"
    since: str = "0.1.0"


RULES: tuple[RuleSpec, ...] = (
    RuleSpec("FT201", "oversized-system-prompt", "ft.oversized_system_prompt", Remedy.FINE_TUNE, Severity.WARNING, "prompt"),
    RuleSpec("FT202", "few-shot-block", "ft.few_shot_block", Remedy.FINE_TUNE, Severity.WARNING, "prompt"),
    RuleSpec("FT203", "retry-on-format", "ft.retry_on_format", Remedy.STRUCTURED_OUTPUT, Severity.WARNING, "prompt"),
    RuleSpec("FT204", "output-repair", "ft.output_repair", Remedy.STRUCTURED_OUTPUT, Severity.WARNING, "prompt"),
    RuleSpec("FT205", "prompt-enforced-schema", "ft.prompt_enforced_schema", Remedy.STRUCTURED_OUTPUT, Severity.WARNING, "prompt"),
    RuleSpec("FT206", "prompt-classifier", "ft.prompt_classifier", Remedy.FINE_TUNE, Severity.WARNING, "prompt"),
    RuleSpec("RAG102", "volatile-facts-in-prompt", "rag.volatile_facts_in_prompt", Remedy.RAG, Severity.WARNING, "prompt"),
    RuleSpec("RAG103", "citations-without-retrieval", "rag.citations_without_retrieval", Remedy.RAG, Severity.WARNING, "prompt"),
    RuleSpec("RAG104", "knowledge-dump-in-prompt", "rag.knowledge_dump_in_prompt", Remedy.RAG, Severity.WARNING, "prompt"),
    RuleSpec("RAG101", "facts-in-fine-tuning-data", "rag.facts_in_fine_tuning_data", Remedy.RAG, Severity.WARNING, "dataset"),
    RuleSpec("DS300", "dataset-profile", "ds.dataset_profile", Remedy.NONE, Severity.HINT, "dataset"),
    RuleSpec("DS301", "dataset-too-small", "ds.dataset_too_small", Remedy.DATA_HYGIENE, Severity.WARNING, "dataset"),
    RuleSpec("DS302", "duplicate-examples", "ds.duplicate_examples", Remedy.DATA_HYGIENE, Severity.WARNING, "dataset"),
    RuleSpec("DS303", "malformed-example", "ds.malformed_example", Remedy.DATA_HYGIENE, Severity.ERROR, "dataset"),
    RuleSpec("DS304", "example-over-context", "ds.example_over_context", Remedy.DATA_HYGIENE, Severity.WARNING, "dataset"),
    RuleSpec("DS305", "no-eval-split", "ds.no_eval_split", Remedy.DATA_HYGIENE, Severity.WARNING, "dataset"),
    RuleSpec("RT001", "unused-suppression", "rt.unused_suppression", Remedy.NONE, Severity.INFO, "file"),
    RuleSpec("RT002", "unreadable-input", "rt.unreadable_input", Remedy.NONE, Severity.WARNING, "file"),
)

BY_CODE: dict[str, RuleSpec] = {r.code: r for r in RULES}
BY_NAME: dict[str, RuleSpec] = {r.name: r for r in RULES}


def known_selector(selector: str) -> bool:
    s = selector.strip().upper()
    return s == "ALL" or any(code.startswith(s) for code in BY_CODE)


def _specificity(selector: str, code: str) -> int:
    s = selector.upper()
    if s == "ALL":
        return 0
    return len(s) if code.startswith(s) else -1


def enabled_codes(select: list[str], ignore: list[str], extend_select: list[str] = ()) -> frozenset[str]:
    """Codes on after select/ignore, ruff-style: the most specific selector wins;
    between equally specific ones, ignore wins."""
    on = set()
    for code in BY_CODE:
        best_select = max((_specificity(s, code) for s in [*select, *extend_select]), default=-1)
        best_ignore = max((_specificity(s, code) for s in ignore), default=-1)
        if best_select >= 0 and best_select > best_ignore:
            on.add(code)
    return frozenset(on)


def resolve(code_or_name: str) -> RuleSpec | None:
    key = code_or_name.strip()
    return BY_CODE.get(key.upper()) or BY_NAME.get(key.lower())


@cache
def load_rule(code: str) -> ModuleType:
    spec = BY_CODE[code]
    return importlib.import_module(f"{__package__}.{spec.module}")


def rule_doc(code: str) -> str:
    spec = BY_CODE[code]
    doc = (load_rule(code).__doc__ or "").strip()
    return f"# {spec.code} {spec.name}\n\nRemedy: {spec.remedy.value} · default severity: {spec.severity.value} · since {spec.since}\n\n{doc}\n"
