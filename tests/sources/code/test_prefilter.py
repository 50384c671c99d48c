"""The prefilter's one-pass automaton says exactly what the needle-by-needle definition says."""

from __future__ import annotations

import random
from pathlib import Path

from ragtune.analyzers.sources.code.prefilter import PREFILTER_NEEDLES, PREFILTER_PATTERN, may_contain_llm_calls

FIXTURES = Path(__file__).resolve().parents[2]


def naive(text: str) -> bool:
    return any(n in text for n in PREFILTER_NEEDLES) or PREFILTER_PATTERN.search(text) is not None


def test_every_needle_alone_passes():
    for needle in PREFILTER_NEEDLES:
        assert may_contain_llm_calls(f"x = 1\n{needle}\n"), needle


def test_trigger_words_alone_do_not_pass():
    # the first word of a dotted pattern is common in code; only the full pattern counts
    for text in ("messages = []\n", "for chat in chats:\n    pass\n", "models.Model\n", "completions = 3\n"):
        assert not may_contain_llm_calls(text), text
    assert may_contain_llm_calls("client.chat.completions\n    .create(model=m)\n")
    assert may_contain_llm_calls("reply = chain . invoke({'q': q})\n")


def test_agrees_with_the_definition_on_every_source_file_in_the_tests():
    checked = 0
    for path in FIXTURES.rglob("*"):
        if path.suffix not in (".py", ".js", ".ts", ".tsx", ".mjs") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert may_contain_llm_calls(text) == naive(text), path
        checked += 1
    assert checked > 50


def test_agrees_with_the_definition_on_shuffled_fragments():
    rng = random.Random(3)
    words = ["messages", ".create", " . ", "chat", "completions", "invoke", ".invoke", "x", "\n", "openai"[:-1], "Chroma"[1:], "models", ".generate_content"]
    for _ in range(2000):
        text = "".join(rng.choice(words) for _ in range(rng.randint(1, 8)))
        assert may_contain_llm_calls(text) == naive(text), repr(text)


def test_gate_notes_extra_needles_only_in_files_it_skips():
    from ragtune.analyzers.sources.code.prefilter import CodeGate

    gate = CodeGate(("rfind(", "max_retries", "messages"))
    assert gate.scan("end = text.rfind('}')\nx = 1\n") == (False, frozenset({"rfind("}))
    # "messages" is both a trigger word and an extra needle
    assert gate.scan("messages = []\n") == (False, frozenset({"messages"}))
    assert gate.scan("client.messages.create(max_retries=2)\n") == (True, frozenset())
    assert gate.scan("import openai\nend = text.rfind('}')\n") == (True, frozenset())


def test_engine_gate_covers_every_rule_file_needle():
    from ragtune.analyzers.engine import code_gate
    from ragtune.analyzers.rules.ft import output_repair, retry_on_format

    assert code_gate().extra >= set(output_repair.FILE_NEEDLES) | set(retry_on_format.FILE_NEEDLES)
