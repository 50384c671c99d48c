"""A cheap text check that lets the engine skip files with no LLM call and no retrieval.

``may_contain_llm_calls`` is True when the text contains any of:

1. the name of an SDK module a table row takes as evidence (``openai``, ``anthropic``,
   ``langchain``, ``llama_index``; the Vercel AI SDK's ``ai`` only quoted, as in
   ``from "ai"``) or a client constructor (``OpenAI``, ``Anthropic``) — a row whose
   evidence is an import never matches without one of these;
2. the last two segments of every dotted call pattern, with any whitespace around the
   dot (``completions . create`` over two lines still counts) — these rows may match
   through a client imported from another workspace module;
3. the receiver constructors (``ChatOpenAI``, ``GenerativeModel``) and the method
   names called on them (``.invoke``, ``.generate_content``);
4. the retrieval needles (``similarity_search``, ``Pinecone``, ``embed_query`` ...), so a
   file whose only fact is a retrieval signal is still read.

Every path by which ``find_call_sites`` can match needs one of these, so skipping a file
that has none loses nothing (a test runs every positive fixture through it).  The
literal needles are checked with ``in``; the dotted patterns with one regex made of
fixed words and ``\\s*`` only (linear time).
"""

from __future__ import annotations

import re

from .retrieval import RETRIEVAL_NEEDLES
from .sdk_table import CALL_PATTERNS, CLIENT_CONSTRUCTORS


def _literal_needles() -> tuple[str, ...]:
    found: set[str] = set()
    for row in CALL_PATTERNS:
        for module in row.evidence:
            if module == "ai":
                found.update({'"ai"', "'ai'"})
            else:
                found.add(module.rstrip("/."))
        found.update(row.receivers)
    found.update(CLIENT_CONSTRUCTORS)
    found.update(RETRIEVAL_NEEDLES)
    found.add("embed(")
    ordered = sorted(found, key=len)
    minimal: list[str] = []
    for needle in ordered:
        # "openai" already covers "langchain_openai"
        if not any(shorter in needle for shorter in minimal):
            minimal.append(needle)
    return tuple(minimal)


def _dotted_pattern() -> re.Pattern[str]:
    alternatives: set[str] = set()
    for row in CALL_PATTERNS:
        segments = row.api.split(".")
        if len(segments) >= 2:
            alternatives.add(r"\s*\.\s*".join(re.escape(s) for s in segments[-2:]))
        if row.receivers:
            alternatives.add(r"\.\s*" + re.escape(segments[-1]) + r"\b")
    return re.compile("|".join(sorted(alternatives)))


PREFILTER_NEEDLES = _literal_needles()
PREFILTER_PATTERN = _dotted_pattern()


def may_contain_llm_calls(text: str) -> bool:
    """False only when the file certainly has no LLM call site and no retrieval signal."""
    return any(needle in text for needle in PREFILTER_NEEDLES) or PREFILTER_PATTERN.search(text) is not None
