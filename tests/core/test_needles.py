"""``Needles`` finds what a longest-first regex alternation of the same strings finds."""

from __future__ import annotations

import random
import re

import pytest

from ragtune.analyzers.needles import Needles
from ragtune.analyzers.sources.code.retrieval import RETRIEVAL_NEEDLES, find_retrieval_signals, mentions_retrieval


def regex_matches(needles: list[str], words: list[str], text: str) -> list[tuple[int, int, str]]:
    pattern = re.compile(
        "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)) + "".join(rf"|\b{re.escape(w)}\b" for w in words)
    )
    return [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]


@pytest.mark.parametrize("seed", range(5))
def test_same_matches_as_a_regex_alternation(seed):
    rng = random.Random(seed)
    needles = ["vector", "vector_store", "store", "Chroma", "chromadb", "ab", "abc", "bc"]
    words = ["knn", "embed"]
    pieces = [*needles, *words, " ", "_", "x", "\n", "é", "embedding", "knnx", "(", "."]
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        found = list(Needles(needles, words=words).finditer(text))
        assert found == regex_matches(needles, words, text), repr(text)
        assert Needles(needles, words=words).any_in(text) == bool(found)


def test_retrieval_needles_on_code():
    code = "store = PineconeVectorStore(index)\nvec = embed(texts)\nembedding_size = 3\n# knn here\nx = knn\n"
    assert mentions_retrieval(code) == "Pinecone"
    assert mentions_retrieval("embedding = 3; knnx = 1") is None
    signals = [e.message for e in find_retrieval_signals(code, "a.py", "#")]
    assert signals == ["vector store: PineconeVectorStore", "embeddings: embed", "vector store: knn"]
    assert len(RETRIEVAL_NEEDLES) > 40


def test_empty_needle_is_refused():
    with pytest.raises(ValueError):
        Needles(["a", ""])


def test_citation_gate_never_hides_a_demand():
    from ragtune.analyzers.rules.rag.citations_without_retrieval import _CITATION_DEMAND, citation_demand

    texts = [
        "Answer and CITE your sources as [1], [2].", "Include the SOURCES you used.", "Quote the passages.",
        "Add footnotes.", "Zitieren Sie die Quellen.", "Cita las fuentes.", "出典を示してください", "See [Doc 3].",
        "Reference the documents you used.", "Answer briefly.", "Sources are not needed.",
    ]
    for text in texts:
        assert bool(citation_demand(text)) == bool(_CITATION_DEMAND.search(text)), text
    assert citation_demand("Answer briefly in JSON.") is None


def test_lone_surrogates_keep_offsets():
    # a JSON escape like "\ud800" decodes to a lone surrogate, which UTF-8 cannot hold
    needles = Needles(["store", "ab"], words=["knn"])
    text = "\ud800x store \udfff knn ab"
    assert list(needles.finditer(text)) == regex_matches(["store", "ab"], ["knn"], text)
    assert needles.any_in("\ud83d knn")
    assert not needles.any_in("\ud83d knnx")

    from ragtune.analyzers.sources.code.prefilter import may_contain_llm_calls

    assert may_contain_llm_calls('"\ud800"\nfrom openai import OpenAI\n')
    assert not may_contain_llm_calls('"\ud800"\nprint(1)\n')
