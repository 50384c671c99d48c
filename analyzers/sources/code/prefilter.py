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
that has none loses nothing (a test runs every positive fixture through it).

One pass of an Aho–Corasick automaton (``analyzers.needles.automaton``) finds every
needle at once; testing ~100 needles with ``in`` one after another cost 2.8 s on 10,000
files (46 MB), the automaton 0.14 s.  Each dotted pattern adds a trigger word to the automaton (its
first fixed word, e.g. ``completions`` for ``completions . create``); only a file that
contains a trigger and no literal needle is searched with the dotted regex (fixed words
and ``\\s*`` only: linear time).
"""

from __future__ import annotations

import re

from ...needles import automaton, find_all
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


def _dotted_alternatives() -> dict[str, str]:
    """Regex alternative → the fixed word every text it matches contains."""
    alternatives: dict[str, str] = {}
    for row in CALL_PATTERNS:
        segments = row.api.split(".")
        if len(segments) >= 2:
            alternatives[r"\s*\.\s*".join(re.escape(s) for s in segments[-2:])] = segments[-2]
        if row.receivers:
            alternatives[r"\.\s*" + re.escape(segments[-1]) + r"\b"] = segments[-1]
    return alternatives


_LITERAL, _TRIGGER, _EXTRA, _TRIGGER_AND_EXTRA = 1, 2, 4, 6


class CodeGate:
    """The prefilter, plus other needles noted in the same pass.

    ``scan`` returns whether the file may hold an LLM call or a retrieval signal and,
    when it certainly holds neither, which of the ``extra`` needles occur in it (rules
    that also look at files without call sites use them as their own gate, so a file
    is searched once, not once per rule).
    """

    def __init__(self, extra: tuple[str, ...] = ()):
        self.extra = frozenset(extra)
        kinds: dict[str, int] = {}
        for word in set(_DOTTED.values()):
            kinds[word] = _TRIGGER
        for word in self.extra:
            kinds[word] = kinds.get(word, 0) | _EXTRA
        for word in PREFILTER_NEEDLES:  # a literal is conclusive whatever else it is
            kinds[word] = _LITERAL
        self._words = sorted(kinds)
        self._kinds = [kinds[word] for word in self._words]
        self._automaton = automaton(self._words)

    def scan(self, text: str) -> tuple[bool, frozenset[str]]:
        triggered = False
        found: set[str] = set()
        kinds, words = self._kinds, self._words
        for index, _start, _end in find_all(self._automaton, text):
            kind = kinds[index]
            if kind == _LITERAL:
                return True, frozenset()  # the file is parsed; nothing else is needed
            if kind & _TRIGGER:
                triggered = True
            if kind & _EXTRA:
                found.add(words[index])
        if triggered and PREFILTER_PATTERN.search(text) is not None:
            return True, frozenset()
        return False, frozenset(found)


_DOTTED = _dotted_alternatives()
PREFILTER_NEEDLES = _literal_needles()
PREFILTER_PATTERN = re.compile("|".join(sorted(_DOTTED)))
_GATE = CodeGate()


def may_contain_llm_calls(text: str) -> bool:
    """False only when the file certainly has no LLM call site and no retrieval signal."""
    return _GATE.scan(text)[0]
