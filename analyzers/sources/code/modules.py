"""Workspace modules: finding the file an import names, and its memoised facts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ...workspace import Workspace
from .js_syntax import JsLowering, JsScopeCollector
from .parsing import is_js_family, parse_source
from .positions import LineIndex
from .python_syntax import PythonLowering, PythonScopeCollector
from .scopes import ImportRef, ModuleFacts, ScopeFacts

MODULE_FACTS_MEMO = "ragtune.code.module-facts"
_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".json")
_LANGUAGE_BY_SUFFIX = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
}


def language_of(path: str) -> str | None:
    return _LANGUAGE_BY_SUFFIX.get(Path(path).suffix.lower())


@dataclass
class ModuleContext:
    """One module while reconstructing: its facts, and its parse tree if it is the analysed file."""

    path: str
    language: str
    text: str
    facts: ModuleFacts
    tree: object | None = None
    lowering: object | None = None
    collector: object | None = None
    function_scopes: dict[int, ScopeFacts] = field(default_factory=dict)

    @property
    def is_python(self) -> bool:
        return self.language == "python"


def build_syntax(text: str, language: str):
    """Parse once; return (tree, lowering, collector)."""
    tree = parse_source(text, language)
    index = LineIndex(text)
    if is_js_family(language):
        lowering = JsLowering(index)
        return tree, lowering, JsScopeCollector(lowering)
    lowering = PythonLowering(index)
    return tree, lowering, PythonScopeCollector(lowering)


def collect_module_facts(tree, collector, path: str, language: str) -> ModuleFacts:
    if is_js_family(language):
        return collector.module_facts(tree.root_node, path, language)
    return collector.module_facts(tree.root_node, path)


def load_module(workspace: Workspace, path: str) -> ModuleContext | None:
    """An imported workspace module, its facts memoised by content (no tree kept)."""
    language = language_of(path)
    if language is None:
        return None
    text = workspace.try_read_text(path)
    if text is None:
        return None

    def compute() -> ModuleFacts:
        tree, _, collector = build_syntax(text, language)
        return collect_module_facts(tree, collector, path, language)

    facts = workspace.memo(MODULE_FACTS_MEMO, path, text, compute)
    return ModuleContext(path=path, language=language, text=text, facts=facts)


def _exists(workspace: Workspace, candidate: Path) -> bool:
    if not workspace.contains(candidate):
        return False
    return workspace.overlay(str(candidate)) is not None or candidate.is_file()


def resolve_python_module(workspace: Workspace, importer: str, ref: ImportRef, submodule: str | None = None) -> str | None:
    parts = [p for p in ref.spec.split(".") if p]
    if submodule:
        parts.append(submodule)
    if ref.level:
        base = Path(importer).parent
        for _ in range(ref.level - 1):
            base = base.parent
        bases = [base]
    else:
        bases = [workspace.root, workspace.root / "src"]
        here = Path(importer).resolve().parent
        while here != workspace.root and workspace.contains(here):
            bases.append(here)
            here = here.parent
    for base in bases:
        target = base.joinpath(*parts) if parts else base
        for candidate in (target.with_name(target.name + ".py") if parts else None, target / "__init__.py"):
            if candidate is not None and _exists(workspace, candidate):
                return str(candidate)
    return None


def resolve_js_module(workspace: Workspace, importer: str, spec: str) -> str | None:
    if spec.startswith("."):
        target = Path(importer).parent / spec
        bases = [target]
    elif spec.startswith(("@/", "~/")):
        bases = [workspace.root / "src" / spec[2:], workspace.root / spec[2:]]
    else:
        return None  # a package from node_modules: not workspace code
    for target in bases:
        target = Path(os.path.normpath(target))
        candidates = []
        if target.suffix in _JS_EXTENSIONS:
            candidates.append(target)
        if target.suffix in (".js", ".jsx", ".mjs", ".cjs"):
            # TypeScript ESM imports name the emitted .js file
            stem = target.with_suffix("")
            candidates.extend(stem.with_name(stem.name + ext) for ext in (".ts", ".tsx", ".mts", ".cts"))
        candidates.extend(target.with_name(target.name + ext) for ext in _JS_EXTENSIONS)
        candidates.extend(target / f"index{ext}" for ext in _JS_EXTENSIONS)
        for candidate in candidates:
            if _exists(workspace, candidate):
                return str(candidate)
    return None
