"""tree-sitter parsers, one per language per thread (Parser objects are not thread-safe)."""

from __future__ import annotations

import threading

import tree_sitter
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_typescript

_LANGUAGES = {
    "python": tree_sitter.Language(tree_sitter_python.language()),
    "javascript": tree_sitter.Language(tree_sitter_javascript.language()),
    "typescript": tree_sitter.Language(tree_sitter_typescript.language_typescript()),
    "tsx": tree_sitter.Language(tree_sitter_typescript.language_tsx()),
}

_local = threading.local()


def grammar(language: str) -> tree_sitter.Language:
    return _LANGUAGES[language]


def parse_source(text: str, language: str) -> tree_sitter.Tree:
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(language)
    if parser is None:
        parser = parsers[language] = tree_sitter.Parser(_LANGUAGES[language])
    return parser.parse(text.encode("utf-8", "surrogatepass"))


def is_js_family(language: str) -> bool:
    return language in ("javascript", "typescript", "tsx")
