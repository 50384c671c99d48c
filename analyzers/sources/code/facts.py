"""The entry point: everything ragtune learns from one code file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...models import Evidence, Prompt, PromptSite, Range
from ...workspace import Workspace
from .modules import MODULE_FACTS_MEMO, ModuleContext, build_syntax, collect_module_facts
from .parsing import is_js_family
from .reconstruct import Reconstructor
from .retrieval import find_retrieval_signals
from .sites import SiteBuilder
from .values import StrV


class CodeFacts(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: str
    language: str
    sites: list[PromptSite] = Field(default_factory=list)
    # retrieval signals anywhere in the file (vector stores, retrievers, search, embeddings)
    retrieval: list[Evidence] = Field(default_factory=list)
    # problems reading the file itself (malformed notebook JSON); syntax errors are not errors
    errors: list[tuple[Range, str]] = Field(default_factory=list)
    # module-level string constants, reconstructed (imports and files followed)
    constants: dict[str, Prompt] = Field(default_factory=dict)
    # SDK and other modules the file imports
    imported_modules: list[str] = Field(default_factory=list)
    default_model: str | None = None
    # the analysed file's tree-sitter tree, for rules that walk code shapes (not serialised)
    tree: object | None = Field(default=None, exclude=True, repr=False)
    # a notebook: its code cells as one Python text, the sites in that text's positions,
    # and a function mapping findings from those positions to the notebook's (not serialised)
    python_view: tuple[str, list[PromptSite], Callable[[Any], Any]] | None = Field(default=None, exclude=True, repr=False)

    def model_for(self, site: PromptSite) -> str | None:
        """The site's model, else the configured default."""
        return site.model or self.default_model


def extract_code_facts(path: str, text: str, language: str, workspace: Workspace, default_model: str | None = None) -> CodeFacts:
    """Call sites with their reconstructed prompts, retrieval signals and constants."""
    if language == "notebook":
        from .notebook import extract_notebook_facts

        return extract_notebook_facts(path, text, workspace, default_model)
    tree, lowering, collector = build_syntax(text, language)
    facts = workspace.memo(MODULE_FACTS_MEMO, path, text, lambda: collect_module_facts(tree, collector, path, language))
    main = ModuleContext(path=path, language=language, text=text, facts=facts, tree=tree, lowering=lowering, collector=collector)
    reconstructor = Reconstructor(workspace, main)
    retrieval = find_retrieval_signals(text, path, "//" if is_js_family(language) else "#")
    sites = SiteBuilder(main, reconstructor, retrieval).find_call_sites()
    return CodeFacts(
        path=path, language=language, sites=sites, retrieval=retrieval,
        constants=module_constants(main, reconstructor), imported_modules=sorted(facts.imported_modules),
        default_model=default_model, tree=tree,
    )


def module_constants(main: ModuleContext, reconstructor: Reconstructor) -> dict[str, Prompt]:
    constants: dict[str, Prompt] = {}
    for name, bindings in main.facts.bindings.items():
        if not any(b.kind == "assign" for b in bindings):
            continue
        try:
            value = reconstructor.module_symbol(main, name, 0)
        except RecursionError:
            continue
        if isinstance(value, StrV) and value.parts:
            constants[name] = _prompt(value)
    return constants


def _prompt(value: StrV) -> Prompt:
    return Prompt(parts=list(value.parts))
