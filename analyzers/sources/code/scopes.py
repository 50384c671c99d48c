"""What a module or a function binds: assignments, imports, functions.

Built once per file content (module) or per enclosing function (local scope), from
the lowered expression tree only, so it can be memoised without parse trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...models import Range
from .expressions import Expr
from .positions import LazyRange

BindingKind = Literal["assign", "append", "extend", "add", "unknown"]


@dataclass(slots=True)
class Binding:
    kind: BindingKind
    expr: Expr | None
    at: int  # byte offset of the statement, to order bindings against a call
    straight: bool  # not under a branch or loop of its scope
    located: bool = False  # the bound value is written here: ``range`` is the value's

    @property
    def range(self) -> Range | None:
        """Where the bound value is written."""
        return self.expr.range if self.located and self.expr is not None else None


@dataclass(slots=True)
class ImportRef:
    spec: str  # "app.prompts", "./prompts", "openai"
    name: str | None  # None: the module itself; "default" for a JS default import
    level: int = 0  # Python relative-import dots


@dataclass(slots=True)
class FunctionInfo:
    name: str
    start_byte: int
    end_byte: int
    span: "Range | LazyRange"  # converted to code points when asked for (seldom)

    @property
    def range(self) -> Range:
        if type(self.span) is LazyRange:
            self.span = self.span.resolve()
        return self.span


@dataclass
class ScopeFacts:
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    imports: dict[str, ImportRef] = field(default_factory=dict)
    star_imports: list[ImportRef] = field(default_factory=list)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)
    # module specifiers imported anywhere in the scope: evidence that an SDK is used
    imported_modules: set[str] = field(default_factory=set)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


@dataclass
class ModuleFacts(ScopeFacts):
    path: str = ""
    language: str = ""
    # JS/TS only: exported name -> local name, re-exports, default export
    exports: dict[str, str] = field(default_factory=dict)
    reexports: dict[str, ImportRef] = field(default_factory=dict)
    star_reexports: list[ImportRef] = field(default_factory=list)
    default_export: Expr | None = None


def bind_augmented_assignment(facts: "ScopeFacts", node, lowering, at: int, straight: bool) -> None:
    """``name += value`` (Python and JS alike): the name grows by ``value``; any other
    operator leaves its value unknown."""
    left, right, op = node.child_by_field_name("left"), node.child_by_field_name("right"), node.child_by_field_name("operator")
    if left is not None and left.type == "identifier" and right is not None:
        kind = "add" if op is not None and lowering.text(op) == "+=" else "unknown"
        facts.bind(lowering.text(left), Binding(kind, lowering.lower(right), at, straight))
