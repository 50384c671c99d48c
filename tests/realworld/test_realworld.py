"""The real-world corpus: its manifest always; its scores when it has been built.

``RAGTUNE_REALWORLD=/path/to/built/corpus`` (made by ``build.py``) runs the scorer on
it and compares every case's outcome with ``scores.json``; without it, CI stays
offline and only the manifest and the scorer's matching are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import corpus
import score
import split

BUILT = os.environ.get("RAGTUNE_REALWORLD")


def test_the_manifest_is_valid_split_and_meets_the_corpus_bars():
    cases = corpus.load(require_split=True)
    assert corpus.coverage(cases).shortfalls() == []


def test_the_split_is_by_repository_and_holds_back_about_a_third():
    cases = corpus.load(require_split=True)
    halves: dict[str, set[bool]] = {}
    for c in cases:
        halves.setdefault(c.repo.lower(), set()).add(c.dev)
    assert [repo for repo, h in halves.items() if len(h) > 1] == []
    held = sum(c.dev is False for c in cases) / len(cases)
    assert 0.28 <= held <= 0.40
    assert split.assign(cases) == {}, "every case has its half: split.py has nothing to do"


def test_every_expectation_lands_in_a_path_of_its_case():
    for c in corpus.load():
        for e in c.expect:
            for s in e.spans:
                assert any(s.path == p or s.path.startswith(p.rstrip("/") + "/") for p in c.paths), (c.id, str(s))


def _case(**kw) -> corpus.Case:
    raw = {"id": "x", "repo": "o/r", "commit": "0" * 40, "paths": ["a.py", "data"], "reason": "r"} | kw
    return corpus._case(raw)


def test_a_finding_counts_in_any_place_of_its_expectation_and_once():
    case = _case(expect=[{"code": "FT203", "at": ["a.py:10-20", "a.py:40"], "reason": "r"}])
    findings = [score.Finding("FT203", "a.py", 12, "warning"), score.Finding("FT203", "a.py", 40, "warning")]
    outcome = score.judge(case, findings, {"FT203"}).outcomes["FT203"]
    assert (outcome.tp, outcome.fp, outcome.fn) == (1, 0, 0)


def test_a_finding_outside_every_expectation_is_a_false_positive_and_a_miss_is_named():
    case = _case(expect=[{"code": "FT203", "at": "a.py:10-20", "reason": "r"}])
    outcome = score.judge(case, [score.Finding("FT203", "a.py", 21, "warning")], {"FT203"}).outcomes["FT203"]
    assert (outcome.tp, outcome.fp, outcome.fn) == (0, 1, 1)
    assert outcome.missed == ["a.py:10-20"] and outcome.unexpected == ["a.py:21"]


def test_silent_codes_are_scored_and_unlabelled_codes_are_only_counted():
    case = _case(silent=["FT2"], expect=[{"code": "DS301", "at": "data/train.jsonl", "reason": "r"}])
    findings = [
        score.Finding("FT204", "a.py", 3, "hint"),
        score.Finding("RAG101", "data/train.jsonl", 1, "warning"),
        score.Finding("DS301", "data/train.jsonl", 1, "warning"),
    ]
    result = score.judge(case, findings, set(corpus.SCORED_CODES))
    assert result.outcomes["FT204"].fp == 1 and result.outcomes["FT201"].fp == 0
    assert result.outcomes["DS301"].tp == 1
    assert "RAG101" not in result.outcomes and result.unlabelled == {"RAG101": 1}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"expect": [{"code": "FT999", "at": "a.py", "reason": "r"}]}, "not a scored code"),
        ({"expect": [{"code": "FT203", "at": "b.py:3", "reason": "r"}]}, "not in the case's paths"),
        ({"expect": [{"code": "FT203", "at": "a.py:9-3", "reason": "r"}]}, "bad line range"),
        ({"expect": [{"code": "FT203", "at": "a.py", "reason": "r"}], "silent": ["FT"]}, "both expected and silent"),
        ({"silent": []}, "labels nothing"),
        ({"paths": ["../etc/passwd"], "silent": ["FT"]}, "relative"),
    ],
)
def test_the_manifest_rejects_what_would_make_a_score_meaningless(change, message):
    with pytest.raises(corpus.ManifestError, match=message):
        _case(**change)


def test_the_scorer_never_puts_the_case_on_sys_path():
    assert score.ragtune_command(["."])[1] == "-P"


@pytest.mark.skipif(not BUILT, reason="set RAGTUNE_REALWORLD to a corpus built by tests/realworld/build.py")
def test_scores_on_the_built_corpus_match_the_recorded_ones():
    proc = subprocess.run(
        [sys.executable, str(Path(score.__file__)), BUILT, "--json", "--compare", str(score.RECORDED)],
        capture_output=True, text=True, timeout=3600,
    )
    data = json.loads(proc.stdout)
    errors = [f"{c['id']}: {c['error']}" for c in data["cases"] if c["error"]]
    assert not errors, "\n".join(errors)
    assert len(data["cases"]) == len(corpus.load())
    assert proc.returncode == 0, proc.stderr
