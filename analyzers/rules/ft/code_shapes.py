"""Tree-sitter lookups shared by FT203 (retry-on-format) and FT204 (output-repair).

The tree is the one the code extractor already parsed (``CodeFacts.tree``); a file
the extractor skipped is parsed here once, and only when a cheap substring check says
it may hold one of the shapes.  Node kinds of Python and JavaScript/TypeScript are
handled side by side; nothing here raises on partial code (tree-sitter keeps going
past errors and every walk tolerates missing children).
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator

import tree_sitter

from ...models import Finding, PromptSite, Range
from ...needles import Needles
from ...sources.code.parsing import grammar
from ..base import FileContext

CODE_KINDS = ("python", "javascript", "typescript", "tsx")

CALL_KINDS = ("call", "call_expression", "new_expression")
FUNCTION_KINDS = (
    "function_definition", "function_declaration", "method_definition", "arrow_function",
    "function_expression", "function", "generator_function_declaration", "lambda",
)
RETRY_LOOP_KINDS = ("while_statement", "do_statement")  # plus counted for loops, see is_retry_loop
HANDLER_KINDS = ("except_clause", "catch_clause")

# Calls that parse or validate a model's text.  A suffix of the dotted callee.
PARSE_CALLS = (
    "json.loads", "model_validate", "model_validate_json", "parse_raw", "parse_obj", "parse_obj_as",
    "validate_json", "validate_python", "JSON.parse", "safeParse", "parse", "loads", "literal_eval",
    "yaml.safe_load", "parse_json_markdown", "parse_result",
)
REGEX_CALLS = ("re.search", "re.match", "re.fullmatch", "re.findall", "match", "exec", "test", "includes")
# Exceptions and words of transport failures: retrying on these is not a format retry.
TRANSPORT = re.compile(
    r"RateLimit|APIConnection|APITimeout|Timeout|ConnectionError|ConnectError|ServiceUnavailable|InternalServerError|"
    r"APIStatusError|Overloaded|ServerError|HTTPError|ECONNRESET|ETIMEDOUT|\b429\b|\b5\d\d\b|status"
)
FORMAT_ERRORS = re.compile(
    r"JSONDecodeError|ValidationError|ValueError|SyntaxError|ZodError|OutputParserException|ParseError|"
    r"KeyError|TypeError|AssertionError|\bException\b|BaseException"
)
TAG_LITERAL = re.compile(r"</?[A-Za-z_][\w-]*>")
# The node kinds the rules look for.  One tree-sitter query per file finds them all (in
# C); a Python walk over every node of a 2,000-line file cost ~60 ms per analysis.
INDEXED_KINDS = (
    *CALL_KINDS, *FUNCTION_KINDS, *HANDLER_KINDS, "comparison_operator", "subscript", "continue_statement",
)
_INDEX_QUERIES: dict[str, tree_sitter.Query] = {}


def _index_query(language: str) -> tree_sitter.Query:
    query = _INDEX_QUERIES.get(language)
    if query is None:
        lang = grammar(language)
        kinds = [k for k in dict.fromkeys(INDEXED_KINDS) if lang.id_for_node_kind(k, True)]
        query = _INDEX_QUERIES[language] = tree_sitter.Query(lang, "[" + " ".join(f"({k})" for k in kinds) + "] @node")
    return query


def text_of(node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def callee_text(call, source: bytes) -> str:
    fn = call.child_by_field_name("function") or call.child_by_field_name("constructor")
    if fn is None:
        return ""
    # "client . chat . completions . create" written over lines still reads as one name
    return re.sub(r"\s+", "", text_of(fn, source))


def callee_matches(name: str, suffixes: tuple[str, ...]) -> bool:
    return any(name == s or name.endswith("." + s) for s in suffixes)


def node_range(node, ctx_text_lines: list[str]) -> Range:
    """A tree-sitter node's range in code points (columns are bytes in the tree)."""
    (sl, sc), (el, ec) = node.start_point, node.end_point
    return Range.of(sl, _cp(ctx_text_lines, sl, sc), el, _cp(ctx_text_lines, el, ec))


def _cp(lines: list[str], line: int, byte_col: int) -> int:
    if line >= len(lines):
        return byte_col
    return len(lines[line].encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore"))


class FileShapes:
    """The parsed file and the nodes of its LLM call sites."""

    def __init__(self, ctx: FileContext, tree, language: str):
        self.ctx = ctx
        self.tree = tree
        self.language = language
        self.source = ctx.text.encode("utf-8", "surrogatepass")
        self.lines = ctx.text.splitlines()
        self.python = language == "python"
        self._index: dict[str, tuple[list[int], list]] | None = None
        self._calls_by_lines: dict[tuple[int, int], object] | None = None

    def nodes(self, kinds: tuple[str, ...], within=None) -> list:
        """Nodes of ``kinds`` in document order (parents first); with ``within``, only
        that node and its descendants — what a walk of ``within`` would meet."""
        if self._index is None:
            found = tree_sitter.QueryCursor(_index_query(self.language)).captures(self.tree.root_node).get("node", [])
            grouped: dict[str, list] = {}
            for n in found:
                grouped.setdefault(n.type, []).append(n)
            self._index = {}
            for kind, group in grouped.items():
                group.sort(key=lambda n: (n.start_byte, -n.end_byte))
                self._index[kind] = ([n.start_byte for n in group], group)
        out: list = []
        for kind in kinds:
            entry = self._index.get(kind)
            if entry is None:
                continue
            starts, group = entry
            if within is None:
                out.extend(group)
                continue
            lo = bisect_left(starts, within.start_byte)
            hi = bisect_right(starts, within.end_byte)
            out.extend(n for n in group[lo:hi] if n.end_byte <= within.end_byte)
        if len(kinds) > 1:
            out.sort(key=lambda n: (n.start_byte, -n.end_byte))
        return out

    def text(self, node) -> str:
        return text_of(node, self.source)

    def range(self, node) -> Range:
        return node_range(node, self.lines)

    def calls(self, node=None) -> list:
        return self.nodes(CALL_KINDS, node)

    def site_node(self, site: PromptSite):
        """The call node a site was found at: the outermost call spanning its lines."""
        if self._calls_by_lines is None:
            self._calls_by_lines = {}
            for n in self.calls():
                key = (n.start_point[0], n.end_point[0])
                best = self._calls_by_lines.get(key)
                if best is None or n.start_byte < best.start_byte or n.end_byte > best.end_byte:
                    self._calls_by_lines[key] = n
        return self._calls_by_lines.get((site.range.start.line, site.range.end.line))

    def call_sites(self) -> Iterator[tuple[PromptSite, object]]:
        """The file's LLM call sites with their call nodes (sites whose node is not
        found, in a broken tree, are left out)."""
        for site in self.ctx.sites:
            if site.kind != "call-site":
                continue
            node = self.site_node(site)
            if node is not None:
                yield site, node

    def enclosing(self, node, kinds: tuple[str, ...], stop_at_function: bool = True):
        n = node.parent
        while n is not None:
            if n.type in kinds:
                return n
            if stop_at_function and n.type in FUNCTION_KINDS:
                return None
            n = n.parent
        return None

    def function_of(self, node):
        n = node.parent
        while n is not None:
            if n.type in FUNCTION_KINDS:
                return n
            n = n.parent
        return None

    def function_name(self, fn) -> str | None:
        name = fn.child_by_field_name("name")
        if name is not None:
            return self.text(name)
        parent = fn.parent  # const convert = async () => ...
        if parent is not None and parent.type == "variable_declarator":
            n = parent.child_by_field_name("name")
            return self.text(n) if n is not None else None
        return None

    def parse_calls(self, node) -> list:
        out = []
        for c in self.calls(node):
            name = callee_text(c, self.source)
            if callee_matches(name, PARSE_CALLS) and name not in ("parse", "loads"):
                out.append(c)
        return out

    def tag_checks(self, node) -> list:
        """Regex or substring checks for tags (``<answer>``) in ``node``."""
        out = []
        for c in self.calls(node):
            name = callee_text(c, self.source)
            if callee_matches(name, REGEX_CALLS) and TAG_LITERAL.search(self.text(c)):
                out.append(c)
        for n in self.nodes(("comparison_operator",), node):
            if TAG_LITERAL.search(self.text(n)) and " in " in self.text(n):
                out.append(n)
        return out

    def handlers(self, node) -> list:
        return self.nodes(HANDLER_KINDS, node)

    def handler_is_transport_only(self, handler) -> bool:
        """A handler that only catches rate limits, timeouts and connection errors."""
        if handler.type == "except_clause":
            body = handler.child_by_field_name("body") or handler.children[-1]
            head = self.text(handler)[: max(0, body.start_byte - handler.start_byte)]
            if TRANSPORT.search(head) and not FORMAT_ERRORS.search(head):
                return True
            if head.strip().rstrip(":").strip() == "except" or not TRANSPORT.search(head):
                return False
            return False
        # catch (e): the type is tested in the body
        body = self.text(handler)
        return bool(TRANSPORT.search(body)) and not re.search(r"SyntaxError|ZodError|ValidationError|parse", body)


def notebook_aware(check: Callable[[FileContext], Iterator[Finding]]) -> Callable[[FileContext], Iterator[Finding]]:
    """Run a code-shape rule on a notebook's code cells as one Python text, and map its
    findings back to the notebook's lines and columns."""

    @functools.wraps(check)
    def run(ctx: FileContext) -> Iterator[Finding]:
        if ctx.kind != "notebook":
            yield from check(ctx)
            return
        code = ctx.facts.get("code")
        view = getattr(code, "python_view", None)
        if view is None:
            return  # no call site in the notebook (or unreadable JSON, already reported)
        python, sites, to_notebook = view
        proxy = FileContext(
            path=ctx.path, display_path=ctx.display_path, kind="python", text=python, settings=ctx.settings,
            workspace=ctx.workspace, prices=ctx.prices, sites=sites, retrieval=ctx.retrieval,
            prompt_file_paths=ctx.prompt_file_paths,
            # one facts dict for every rule's view, so the shapes are built once
            facts=ctx.facts.setdefault("python_view_facts", {"code": code}),
        )
        for finding in check(proxy):
            yield to_notebook(finding)

    return run


def file_shapes(ctx: FileContext, needles: tuple[str, ...] = ()) -> FileShapes | None:
    """The file's tree: the extractor's when it kept one, else parsed once here when
    the file has call sites or one of ``needles`` occurs in it."""
    if ctx.kind not in CODE_KINDS:
        return None
    cached = ctx.facts.get("ft_code_shapes")
    if cached is not None:
        return cached or None
    code = ctx.facts.get("code")
    tree = getattr(code, "tree", None)
    if tree is None:
        if not ctx.sites and not _needles_present(ctx, needles):
            return None
        from ...sources.code.parsing import parse_source

        tree = parse_source(ctx.text, ctx.kind)
    shapes = FileShapes(ctx, tree, ctx.kind)
    ctx.facts["ft_code_shapes"] = shapes
    return shapes


_NEEDLE_SETS: dict[tuple[str, ...], Needles] = {}


def _needles_present(ctx: FileContext, needles: tuple[str, ...]) -> bool:
    # the engine's code gate already searched this file for every rule's FILE_NEEDLES
    seen = ctx.facts.get("file_needles")
    if seen is not None and seen[0].issuperset(needles):
        return not seen[1].isdisjoint(needles)
    return contains_any(ctx.text, needles)


def contains_any(text: str, needles: tuple[str, ...]) -> bool:
    found = _NEEDLE_SETS.get(needles)
    if found is None:
        found = _NEEDLE_SETS[needles] = Needles(needles)
    return found.any_in(text)


def first_int(text: str) -> int | None:
    m = re.search(r"\b(\d{1,3})\b", text)
    return int(m.group(1)) if m else None


def constant_value(shapes: FileShapes, name: str) -> int | None:
    m = re.search(rf"^\s*(?:export\s+)?(?:const\s+|let\s+|var\s+)?{re.escape(name)}\s*(?::\s*\w+\s*)?=\s*(\d{{1,3}})\b", shapes.ctx.text, re.M)
    return int(m.group(1)) if m else None


def int_or_constant(shapes: FileShapes, text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(r"\d{1,3}", text):
        return int(text)
    if re.fullmatch(r"[A-Za-z_][\w.]*", text):
        return constant_value(shapes, text.split(".")[-1])
    return None
