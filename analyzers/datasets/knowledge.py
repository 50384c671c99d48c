"""Does one training example teach behaviour or store a fact?

The classifier judges the answer (the trained assistant turns), *given the input*:
facts the prompt supplies and the answer transforms (summaries, extraction,
reformatting) are behaviour; facts that appear only in the answer are memorisation.
An answer whose point is a format (a JSON object, a label) with no fact of its own is
behaviour even when the question is trivia.  An answer copied from a document in the
repository is knowledge: that document belongs in retrieval.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..classifier import classify_knowledge_vs_behaviour, find_volatile_facts
from ..sources.discovery import DEFAULT_EXCLUDE_DIRS
from .formats import Record

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d{1,12}")
# The prompt asks for a transformation of what it gives (en, fr, de, es, it, pt).
_TRANSFORM = re.compile(
    r"\b(?:rewrite|rephrase|paraphrase|translate|summari[sz]e|summary|tone|convert|reformat|fix the|correct|"
    r"extract|classify|label|tag|make this|turn this|résume|résumez|traduis|traduire|reformule|corrige|"
    r"übersetze|zusammenfass|umschreib|formuliere|resume|resumir|traduce|reescribe|riassumi|traduci|reescreva)",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^```[a-zA-Z]{0,12}\n|\n?```\s*$")
SHINGLE_WORDS = 5
# an answer counts as copied when this share of its 5-word runs occur in one document
COPIED_SHARE = 0.6
# grounded: this share of the answer's content words are in the input
GROUNDED_SHARE = 0.6

DOC_FOLDERS = frozenset(
    {
        "docs", "doc", "documentation", "kb", "knowledge", "knowledge-base", "knowledge_base",
        "knowledgebase", "wiki", "faq", "faqs", "help", "handbook", "manual", "manuals",
        "content", "articles", "guides", "policies", "corpus", "reference",
    }
)
DOC_SUFFIXES = frozenset({".md", ".markdown", ".mdx", ".txt", ".rst", ".html", ".htm"})
MAX_JUDGED_CHARS = 20000
MAX_DOC_FILES = 2000
MAX_DOC_BYTES = 16 * 1024 * 1024
_TAG = re.compile(r"<[^<>]{0,2000}>")


@dataclass(slots=True)
class Judgment:
    verdict: str  # "knowledge", "behaviour", "empty"
    knowledge: float  # the classifier's knowledge share of the answer
    reason: str
    evidence: str = ""  # the part of the answer that decided it
    copied_from: int | None = None  # index into DocsIndex.names


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _shingles(words: list[str]) -> set[int]:
    ids = list(map(zlib.crc32, map(str.encode, words)))
    # tuples of ints hash the same in every process (str hashes do not)
    return set(map(hash, zip(*(ids[i:] for i in range(SHINGLE_WORDS)))))


class DocsIndex:
    """5-word runs of the repository's documents, as sorted arrays (compact, picklable)."""

    def __init__(self, names: list[str], hashes: array, owners: array):
        self.names = names
        self.hashes = hashes
        self.owners = owners

    def __reduce__(self):
        return (DocsIndex, (self.names, self.hashes, self.owners))

    def source_of(self, text: str) -> int | None:
        shingles = _shingles(_words(text))
        if len(shingles) < 2 or not self.hashes:
            return None
        hits: Counter[int] = Counter()
        hashes, n = self.hashes, len(self.hashes)
        for h in shingles:
            i = bisect_left(hashes, h)
            while i < n and hashes[i] == h:
                hits[self.owners[i]] += 1
                i += 1
        if not hits:
            return None
        doc, count = hits.most_common(1)[0]
        return doc if count >= COPIED_SHARE * len(shingles) else None


def find_documents(root: str) -> list[tuple[str, int, float]]:
    """(path, size, mtime) of markdown/text/HTML files under docs-like folders."""
    found: list[tuple[str, int, float]] = []
    total = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in DEFAULT_EXCLUDE_DIRS and not d.startswith("."))
        rel_parts = {p.lower() for p in Path(folder).relative_to(root).parts}
        if not rel_parts & DOC_FOLDERS:
            continue
        for name in sorted(files):
            if Path(name).suffix.lower() not in DOC_SUFFIXES:
                continue
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            if total + st.st_size > MAX_DOC_BYTES or len(found) >= MAX_DOC_FILES:
                return found
            total += st.st_size
            found.append((path, st.st_size, st.st_mtime))
    return found


def build_docs_index(root: str, documents: list[tuple[str, int, float]]) -> DocsIndex | None:
    pairs: list[tuple[int, int]] = []
    names: list[str] = []
    for path, _size, _mtime in documents:
        try:
            text = Path(path).read_text("utf-8", errors="replace")
        except OSError:
            continue
        if path.lower().endswith((".html", ".htm")):
            text = _TAG.sub(" ", text)
        doc = len(names)
        names.append(os.path.relpath(path, root).replace(os.sep, "/"))
        pairs.extend((h, doc) for h in _shingles(_words(text)))
    if not pairs:
        return None
    pairs.sort()
    return DocsIndex(names, array("q", (h for h, _ in pairs)), array("I", (d for _, d in pairs)))


def _structured(answer: str) -> str | None:
    """'a JSON object', 'a label'... when the answer's point is its shape."""
    body = _FENCE.sub("", answer.strip()).strip()
    if body[:1] in "{[":
        try:
            value = json.loads(body)
        except ValueError:
            return None
        return "a JSON object" if isinstance(value, dict) else "a JSON array"
    words = body.split()
    if 0 < len(words) <= 3 and not any(c.isdigit() for c in body) and not body.endswith("."):
        return "a label"
    return None


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _numbers(text: str) -> set[int]:
    return {int(n) for n in _NUMBER.findall(text)}


def _grounded(fact, given_norm: str, given_numbers: set[int]) -> bool:
    """A fact is given when the prompt holds it verbatim, or holds all its figures
    (a date or amount reformatted: "March 5th, 2024" → "2024-03-05")."""
    if _normal(fact.text) in given_norm:
        return True
    figures = _numbers(fact.text)
    if fact.kind == "date":
        figures = {n for n in figures if n >= 1000}
    return bool(figures) and figures <= given_numbers


def judge_example(record: Record, docs: DocsIndex | None = None) -> Judgment:
    # the opening of a very long turn is enough to judge it, and keeps the pass linear
    answer = record.output_text[:MAX_JUDGED_CHARS]
    if not answer.strip():
        return Judgment("empty", 0.0, "no answer text")
    given = record.input_text[: 4 * MAX_JUDGED_CHARS]
    given_norm = _normal(given)
    given_numbers = _numbers(given)
    facts = find_volatile_facts(answer)
    ungrounded = [f for f in facts if not _grounded(f, given_norm, given_numbers)]
    # figures the answer states that the prompt does not give, in any language
    new_numbers = sorted(_numbers(answer) - given_numbers)
    if docs is not None:
        doc = docs.source_of(answer)
        if doc is not None and not _mostly_given(answer, given_norm):
            return Judgment("knowledge", 1.0, f"the answer is copied from {docs.names[doc]}", _first_line(answer), doc)
    shape = _structured(answer)
    if shape is not None and not ungrounded:
        return Judgment("behaviour", 0.0, f"the answer is {shape}: the example teaches its format")
    if facts and not ungrounded:
        return Judgment("behaviour", 0.0, "every fact in the answer is given in the prompt: the example teaches a transformation")
    if not ungrounded and _mostly_given(answer, given_norm):
        return Judgment("behaviour", 0.0, "the answer restates the prompt's content: the example teaches a transformation")
    if not ungrounded and not new_numbers and _TRANSFORM.search(given):
        return Judgment("behaviour", 0.0, "the prompt asks for a transformation and the answer adds no fact of its own")
    cls = classify_knowledge_vs_behaviour(answer)
    evidence = next((e for e in cls.evidence if e.label == "knowledge"), None)
    if new_numbers and not ungrounded and cls.verdict in ("empty", "mixed") and len(answer.split()) >= 4:
        shown = ", ".join(str(n) for n in new_numbers[:3])
        return Judgment("knowledge", max(cls.knowledge, 0.5), f"the answer states figures the prompt does not give ({shown})", _first_line(answer))
    if cls.verdict == "knowledge" or (ungrounded and cls.knowledge >= 0.4):
        if ungrounded:
            kinds = sorted({f.kind for f in ungrounded})
            reason = f"the answer states {', '.join(kinds)} facts the prompt does not give ({ungrounded[0].text!r})"
        else:
            reason = f"the classifier reads the answer as knowledge ({evidence.reason if evidence else 'reference text'}) the prompt does not give"
        return Judgment("knowledge", cls.knowledge, reason, evidence.text if evidence else _first_line(answer))
    return Judgment("behaviour", cls.knowledge, "the answer is mostly instruction-following, tone or format")


def _mostly_given(answer: str, given_norm: str) -> bool:
    words = [w for w in _words(answer) if len(w) >= 4 or w.isdigit()]
    if len(words) < 3 or not given_norm:
        return False
    given_words = set(_words(given_norm))
    return sum(w in given_words for w in words) >= GROUNDED_SHARE * len(words)


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line[:160]
