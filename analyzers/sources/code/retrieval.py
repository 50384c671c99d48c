"""Retrieval signals: vector stores, retrievers, search tools, embeddings.

Matching is on literal needles (found in one pass, see ``analyzers/needles.py``), then
widened to the identifier around the match, so ``PineconeVectorStore`` is reported as
written.
"""

from __future__ import annotations

import bisect

from ...models import Evidence, Location, Range
from ...needles import Needles

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

_NEEDLES = Needles(RETRIEVAL_NEEDLES, words=_WORD_NEEDLES)
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _category(needle: str) -> str:
    return RETRIEVAL_NEEDLES.get(needle) or _WORD_NEEDLES.get(needle, "retrieval")


def mentions_retrieval(text: str) -> str | None:
    """The first retrieval needle in ``text``, or None."""
    for _start, end, needle in _NEEDLES.finditer(text):
        if needle != "embed" or text[end:end + 1] == "(":
            return needle
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
    for match_start, match_end, needle in _NEEDLES.finditer(text):
        if needle == "embed" and text[match_end:match_end + 1] != "(":
            continue
        # extend the line table lazily up to this match
        while True:
            nl = text.find("\n", newline_scan, match_start)
            if nl < 0:
                newline_scan = match_start
                break
            line_starts.append(nl + 1)
            newline_scan = nl + 1
        line = bisect.bisect_right(line_starts, match_start) - 1
        line_text_before = text[line_starts[line]:match_start]
        if comment_prefix in line_text_before:
            continue
        name = _widen(text, match_start, match_end)
        if (line, name) in seen:
            continue
        seen.add((line, name))
        column = match_start - line_starts[line]
        rng = Range.of(line, column, line, column + len(needle))
        found.append(Evidence(message=f"{_category(needle)}: {name}", location=Location(path=path, range=rng)))
    return found
