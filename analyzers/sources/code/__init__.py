"""LLM call sites in code, and the prompt each one actually sends.

``extract_code_facts`` is the entry point; ``may_contain_llm_calls`` is the cheap check
the engine runs first; ``extract_code_facts_from_file`` serves tests and rule fixtures.
"""

from __future__ import annotations

from pathlib import Path

from ...workspace import Workspace
from ..discovery import CODE_SUFFIXES
from .facts import CodeFacts, extract_code_facts
from .positions import byte_column_to_code_point
from .prefilter import may_contain_llm_calls
from .sdk_table import CALL_PATTERNS, CallPattern

__all__ = [
    "CALL_PATTERNS", "CallPattern", "CodeFacts", "byte_column_to_code_point", "extract_code_facts",
    "extract_code_facts_from_file", "may_contain_llm_calls",
]


def extract_code_facts_from_file(path: str | Path, workspace: Workspace | None = None, default_model: str | None = None) -> CodeFacts:
    """Facts for a file on disk; the workspace defaults to the file's folder."""
    path = Path(path).resolve()
    workspace = workspace or Workspace(path.parent)
    language = CODE_SUFFIXES.get(path.suffix.lower())
    if language is None:
        raise ValueError(f"{path.name}: not a Python, JavaScript, TypeScript or notebook file")
    return extract_code_facts(str(path), workspace.read_text(path), language, workspace, default_model)
