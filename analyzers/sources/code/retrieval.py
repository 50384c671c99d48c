"""Retrieval signals: vector stores, retrievers, search tools, embeddings.

Matching is on literal needles (one alternation of fixed strings: linear time), then
widened to the identifier around the match, so ``PineconeVectorStore`` is reported as
written.
"""

from __future__ import annotations

import bisect
import re

from ...models import Evidence, Location, Range

RETRIEVAL_NEEDLES: dict[str, str] = {
    # vector stores
    "VectorStore": "vector store", "vector_store": "vector store", "vectorstore": "vector store",
    "Chroma": "vector store", "chromadb": "vector store", "Pinecone": "vector store", "pinecone": "vector store",
    "Weaviate": "vector store", "weaviate": "vector store", "Qdrant": "vector store", "qdrant": "vector store",
    "FAISS": "vector store", "faiss": "vector store", "pgvector": "vector store", "PGVector": "vector store",
    "lancedb": "vector store", "LanceDB": "vector store", "Milvus": "vector store", "milvus": "vector store",
    "ElasticsearchStore": "vector store", "ElasticVectorSearch": "vector store", "OpenSearchVectorSearch": "vector store",
    "knn_search": "vector store", "AtlasVectorSearch": "vector store",
    # retrievers and query engines
    "as_retriever": "retriever", "asRetriever": "retriever", "similarity_search": "retriever", "similaritySearch": "retriever",
    "max_marginal_relevance_search": "retriever", "VectorStoreIndex": "retriever", "as_query_engine": "retriever",
    "query_engine": "retriever", "get_relevant_documents": "retriever", "getRelevantDocuments": "retriever",
    "Retriever": "retriever", "retriever": "retriever",
    # search tools
    "Tavily": "search tool", "tavily": "search tool", "SerpAPI": "search tool", "serpapi": "search tool",
    "GoogleSearch": "search tool", "google_search": "search tool", "googleSearch": "search tool",
    "BingSearch": "search tool", "bing_search": "search tool", "DuckDuckGoSearch": "search tool",
    "web_search": "search tool", "webSearch": "search tool", "file_search": "search tool", "fileSearch": "search tool",
    "brave_search": "search tool",
    # embeddings
    "embeddings.create": "embeddings", "embed_query": "embeddings", "embed_documents": "embeddings",
    "embedQuery": "embeddings", "embedDocuments": "embeddings", "embedMany": "embeddings",
    "embed_content": "embeddings", "embedContent": "embeddings", "Embeddings": "embeddings",
}
# short words that are only signals on their own
_WORD_NEEDLES = {"knn": "vector store", "embed": "embeddings"}

_PATTERN = re.compile(
    "|".join(re.escape(n) for n in sorted(RETRIEVAL_NEEDLES, key=len, reverse=True))
    + "|" + "|".join(rf"\b{w}\b" for w in _WORD_NEEDLES)
)
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _category(needle: str) -> str:
    return RETRIEVAL_NEEDLES.get(needle) or _WORD_NEEDLES.get(needle, "retrieval")


def mentions_retrieval(text: str) -> str | None:
    """The first retrieval needle in ``text``, or None."""
    match = _PATTERN.search(text)
    if match is None:
        return None
    if match.group(0) == "embed" and not text[match.end():match.end() + 1] == "(":
        return mentions_retrieval_after(text, match.end())
    return match.group(0)


def mentions_retrieval_after(text: str, start: int) -> str | None:
    for match in _PATTERN.finditer(text, start):
        if match.group(0) != "embed" or text[match.end():match.end() + 1] == "(":
            return match.group(0)
    return None


def _widen(text: str, start: int, end: int) -> str:
    # bounded: an identifier longer than 200 characters is cut, never scanned whole
    left = start
    while left > 0 and start - left < 200 and text[left - 1] in _IDENT_CHARS:
        left -= 1
    right = end
    while right < len(text) and right - end < 200 and text[right] in _IDENT_CHARS:
        right += 1
    return text[left:right].strip(".")


def find_retrieval_signals(text: str, path: str, comment_prefix: str) -> list[Evidence]:
    """Every retrieval signal in a source text, one per identifier and line."""
    line_starts = [0]
    found: list[Evidence] = []
    seen: set[tuple[int, str]] = set()
    newline_scan = 0
    for match in _PATTERN.finditer(text):
        needle = match.group(0)
        if needle == "embed" and text[match.end():match.end() + 1] != "(":
            continue
        # extend the line table lazily up to this match
        while True:
            nl = text.find("\n", newline_scan, match.start())
            if nl < 0:
                newline_scan = match.start()
                break
            line_starts.append(nl + 1)
            newline_scan = nl + 1
        line = bisect.bisect_right(line_starts, match.start()) - 1
        line_text_before = text[line_starts[line]:match.start()]
        if comment_prefix in line_text_before:
            continue
        name = _widen(text, match.start(), match.end())
        if (line, name) in seen:
            continue
        seen.add((line, name))
        column = match.start() - line_starts[line]
        rng = Range.of(line, column, line, column + len(needle))
        found.append(Evidence(message=f"{_category(needle)}: {name}", location=Location(path=path, range=rng)))
    return found
