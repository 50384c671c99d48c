"""A small language-neutral expression tree, lowered from Python and JS/TS syntax.

Only what prompt reconstruction needs is modelled; anything else is ``Opaque`` and
becomes a hole.  The tree holds no tree-sitter objects, so module facts built from it
can be memoised per file content without keeping parse trees alive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...models import Range
from .positions import LazyRange, LineIndex


def _resolved(owner) -> Range:
    span = owner.span
    if type(span) is LazyRange:
        span = owner.span = span.resolve()
    return span


@dataclass(slots=True)
class Expr:
    text: str
    # where it is written; converted to code points only when asked for (most lowered
    # expressions never are, and the conversion was a third of lowering a module)
    span: Range | LazyRange

    @property
    def range(self) -> Range:
        return _resolved(self)

    @range.setter
    def range(self, value: Range) -> None:
        self.span = value


@dataclass(slots=True)
class TextPiece:
    value: str  # decoded text
    span: Range | LazyRange

    @property
    def range(self) -> Range:
        return _resolved(self)


@dataclass(slots=True)
class Interpolation:
    expr: "Expr"
    text: str  # the expression as written, the hole's name when unresolved


@dataclass(slots=True)
class Str(Expr):
    pieces: list[TextPiece | Interpolation] = field(default_factory=list)


@dataclass(slots=True)
class Const(Expr):
    value: int | float | bool | None = None


@dataclass(slots=True)
class Name(Expr):
    id: str = ""


@dataclass(slots=True)
class Attr(Expr):
    obj: Expr | None = None
    name: str = ""


@dataclass(slots=True)
class Index(Expr):
    obj: Expr | None = None
    key: Expr | None = None


@dataclass(slots=True)
class Spread(Expr):
    """``*x`` / ``**x`` / ``...x`` inside a list, dict or call."""

    value: Expr | None = None


@dataclass(slots=True)
class Call(Expr):
    func: Expr | None = None
    args: list[Expr] = field(default_factory=list)  # Spread for *args / ...args
    kwargs: list[tuple[str | None, Expr]] = field(default_factory=list)  # None key: **kwargs
    is_new: bool = False


@dataclass(slots=True)
class Seq(Expr):
    items: list[Expr] = field(default_factory=list)


@dataclass(slots=True)
class Mapping(Expr):
    # key None: a spread (``**d`` / ``...d``); key as text for literal keys
    entries: list[tuple[str | None, Expr]] = field(default_factory=list)


@dataclass(slots=True)
class BinOp(Expr):
    op: str = ""
    left: Expr | None = None
    right: Expr | None = None


@dataclass(slots=True)
class Concat(Expr):
    """``a + b + c``, flattened so that long concatenations do not recurse deeply."""

    items: list[Expr] = field(default_factory=list)


@dataclass(slots=True)
class Opaque(Expr):
    """Anything not modelled: a comprehension, a lambda, a conditional..."""


def call_chain(expr: Expr | None) -> list[str]:
    """Dotted names of a callee: ``client.chat.completions.create`` -> 4 names.

    A call inside the chain (``ChatOpenAI(...).invoke``) ends the chain there: the
    receiver is looked at separately.
    """
    names: list[str] = []
    while True:
        if isinstance(expr, Attr):
            names.append(expr.name)
            expr = expr.obj
        elif isinstance(expr, Name):
            names.append(expr.id)
            break
        else:
            break
    names.reverse()
    return names


def chain_root(expr: Expr | None) -> Expr | None:
    while isinstance(expr, Attr):
        expr = expr.obj
    return expr


def plus_operands(node, binary_type: str, text_of_node) -> list | None:
    """The operands of a ``+`` chain, in order, flattened iteratively: a prompt built
    as ``"a" + "b" + ...`` may have thousands of terms.  None when a side is missing."""
    operands = []
    current = node
    while current.type == binary_type:
        operator = current.child_by_field_name("operator")
        if operator is None or text_of_node(operator) != "+":
            break
        right = current.child_by_field_name("right")
        if right is not None:
            operands.append(right)
        current = current.child_by_field_name("left")
        if current is None:
            return None
    operands.append(current)
    operands.reverse()
    return operands


# Lowering recurses along the code's own nesting; deeper than this, a subtree is kept
# as opaque text instead (no prompt is written 120 parentheses deep, and 400 of them
# used to exhaust Python's stack and lose the whole file).
MAX_NESTING = 120


class Lowering:
    """What the Python and JavaScript lowerings share: the file's line index, the text
    of a node, and the bound on how deep ``lower`` goes."""

    def __init__(self, index: LineIndex):
        self.index = index
        self._depth = 0

    def lower(self, node) -> Expr:
        if self._depth >= MAX_NESTING:
            return Opaque(self.text(node), self.index.lazy_range(node))
        self._depth += 1
        try:
            return self._lower(node)  # the language's own lowering
        finally:
            self._depth -= 1

    def text(self, node) -> str:
        return node.text.decode("utf-8", "replace")
