"""Fixture datasets against their sidecar expectations, and the RAG101 quality floor."""

from __future__ import annotations

import pytest

from dataset_harness import checked_codes, dataset_file, expectations, fixture_datasets, run, run_judged


@pytest.mark.parametrize("stem", fixture_datasets(), ids=lambda p: p.name)
def test_findings_match_sidecar(stem):
    path = dataset_file(stem)
    exp = expectations(stem)
    got = checked_codes(run(path))
    want = {line: set(codes) for line, codes in exp["findings"].items()}
    assert got == want


@pytest.mark.parametrize("stem", fixture_datasets(), ids=lambda p: p.name)
def test_knowledge_judgment_per_example(stem):
    exp = expectations(stem)
    flagged = run_judged(dataset_file(stem))[1]
    knowledge = {line for line, label in exp["labels"].items() if label == "knowledge"}
    behaviour = {line for line, label in exp["labels"].items() if label == "behaviour"}
    # a floor, not the measured figure (tests/datasets/measure.py prints that)
    assert len(flagged & knowledge) >= 0.8 * len(knowledge)
    assert len(flagged & behaviour) <= 0.2 * max(1, len(behaviour))


def test_product_qa_is_knowledge_with_doc_overlap_and_job_link():
    stem = next(s for s in fixture_datasets() if s.parent.name == "data" and s.parent.parent.name == "support_qa")
    findings = run(dataset_file(stem))
    verdict = next(f for f in findings if f.code == "RAG101" and f.range.start.line == 0)
    assert verdict.severity.value == "warning"
    assert "stores knowledge" in verdict.message
    assert "4 answers are copied from docs/pricing.md" in verdict.message
    assert "gpt-4o-mini-2024-07-18" in verdict.message and "as of 2025-06-01" in verdict.message
    assert any("app/finetune.py:4" in e.message for e in verdict.evidence)
    assert verdict.fix is not None and verdict.fix.applicability.value == "unsafe"


def test_a_behaviour_dataset_gets_no_rag101_and_its_profile_is_a_ds300_hint():
    stem = next(s for s in fixture_datasets() if s.parent.name == "behaviour" and s.name == "train")
    findings = run(dataset_file(stem))
    assert not [f for f in findings if f.code == "RAG101"]
    profile = next(f for f in findings if f.code == "DS300")
    assert profile.severity.value == "hint" and "teaches behaviour" in profile.message
    assert profile.range.start.line == 0 and profile.figures["knowledge_examples"] == 0
