"""## What it does
Flags code that mends the format of a model's output after the fact so that it can
be parsed: stripping Markdown code fences, slicing from the first `{` to the last
`}`, extracting JSON with a regex, removing trailing commas, replacing `true`/`false`
before `ast.literal_eval`, or running a repair library (`json_repair`, `jsonrepair`,
`dirtyjson`, `demjson`).  It is reported where the repair is applied to a model's
answer (in the function that calls the model) and at a helper that does the repair,
including a helper imported from another module of the workspace.

Not flagged: parsing of data that is not a model's answer, and *reading* a protocol
the prompt asked for on purpose — extracting files from fenced blocks the prompt
defines as the output format is reading, not repair.  The line drawn is whether the
text is mended so that a parser accepts it (a fence stripped, then `json.loads`) or
used as it is.

## Why is this bad?
Seed 003 names "output post-processing that wouldn't be needed if the model just did
it correctly" as a symptom of enforcing format through prompting.  Repairs hide
failures (a sliced answer can drop fields silently) and each new way the model
breaks the format needs another patch.

## Example
```python
raw = resp.choices[0].message.content
raw = raw.strip().removeprefix("```json").removesuffix("```")
data = json.loads(raw[raw.find("{") : raw.rfind("}") + 1])
```

## Use instead
The provider's structured outputs (`response_format` with a JSON schema, a forced
tool schema, `response_schema`, `generateObject`): the answer is valid JSON by
construction and needs no repair.  When the format is beyond a schema, fine-tune it.

## Fix safety
No automatic fix: removing a repair before the call is switched to structured
outputs would break parsing.

## Source
Seed `003_68cbcc4763a1f380.txt` ("Output post-processing that wouldn't be needed if
the model just did it correctly"; "Stable, structured output format → Fine-tuning").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ...models import Evidence, Finding, Location, PromptSite, Range, Remedy
from ..base import FileContext
from .code_shapes import notebook_aware, FUNCTION_KINDS, FileShapes, callee_matches, callee_text, file_shapes
from .prompt_spans import structured_output_hint

# a file with no call site is only looked at when one of these occurs in it
FILE_NEEDLES = NEEDLES = ("```", "json_repair", "jsonrepair", "repair_json", "dirtyjson", "demjson", "rfind(", "lastIndexOf(", "literal_eval", "\\{")
_LIBRARIES = ("json_repair.loads", "json_repair.repair_json", "repair_json", "jsonrepair", "dirtyjson.loads", "demjson.decode", "demjson3.decode")
_PARSERS = ("json.loads", "JSON.parse", "literal_eval", "model_validate_json", "parse_raw", "yaml.safe_load", "json5.loads", "JSON5.parse")
_FENCE_CALLS = ("replace", "strip", "lstrip", "rstrip", "removeprefix", "removesuffix", "split", "rsplit", "partition", "rpartition", "sub", "startswith", "endswith", "replaceAll", "trim", "lstrip")
_BRACE_INDEX = re.compile(r"""(?:r?find|r?index|indexOf|lastIndexOf)\s*\(\s*['"][{\[}\]]['"]""")
_REGEX_JSON = re.compile(r"\\\{.*(?:\.\*|\[\\s\\S\]\*|\.\+)")
_TRAILING_COMMA = re.compile(r",\\s\*.{0,6}(?:\\\}|\}|\\\]|\])")
_BOOL_FIX = re.compile(r"""['"]true['"]\s*,\s*['"]True['"]|['"]false['"]\s*,\s*['"]False['"]|['"]null['"]\s*,\s*['"]None['"]""")
_HELPER_PARAMS = ("parameters", "formal_parameters")
# A function can only mend text if its source holds one of these: every pattern above
# needs a fence, a bracket (slices, regexes, trailing commas), a quoted true/false/null,
# or a repair library's name.
_MENDING_BYTES = tuple(n.encode() for n in ("```", "{", "}", "[", "]", "repair", "dirtyjson", "demjson", "true", "false", "null", "True", "False", "None"))


@dataclass
class Repair:
    node: object
    kind: str


def repairs_in(shapes: FileShapes, scope, *, require_parser: bool = True) -> list[Repair]:
    """Repairs in ``scope`` (a function, or the module): library calls always; fence,
    slice, regex and comma mending only when a parser reads the result in the same scope
    (``require_parser=False``: the mending whatever reads it, for a helper whose caller
    parses)."""
    found, parses = _mending_in(shapes, scope)
    return found if parses or not require_parser else _libraries_only(found)


def _libraries_only(found: list[Repair]) -> list[Repair]:
    # mending for no parser is reading (files extracted from fenced blocks)
    return [r for r in found if r.kind.startswith("a JSON repair library")]


def _mending_in(shapes: FileShapes, scope) -> tuple[list[Repair], bool]:
    """Every mending of text in ``scope``, and whether a parser is called there."""
    found: list[Repair] = []
    parses = False
    for call in shapes.calls(scope):
        if _outside(shapes, call, scope):
            continue
        name = callee_text(call, shapes.source)
        if callee_matches(name, _LIBRARIES):
            found.append(Repair(call, f"a JSON repair library ({name})"))
            continue
        if callee_matches(name, _PARSERS):
            parses = True
        last = name.split(".")[-1]
        args = call.child_by_field_name("arguments")
        args_text = shapes.text(args) if args is not None else ""
        if last in _FENCE_CALLS and "```" in args_text:
            found.append(Repair(call, "code-fence stripping"))
        elif last in ("slice", "substring", "substr") and _BRACE_INDEX.search(args_text):
            found.append(Repair(call, "slicing from the first { to the last }"))
        elif last in ("sub", "replace", "replaceAll") and _TRAILING_COMMA.search(args_text):
            found.append(Repair(call, "trailing-comma removal"))
        elif last in ("search", "match", "findall", "fullmatch", "exec") and _REGEX_JSON.search(args_text):
            found.append(Repair(call, "regex extraction of JSON"))
        elif last == "replace" and _BOOL_FIX.search(args_text):
            found.append(Repair(call, "true/false rewritten for ast.literal_eval"))
    for node in shapes.nodes(("subscript",), scope):
        if not _outside(shapes, node, scope) and _BRACE_INDEX.search(shapes.text(node)):
            found.append(Repair(node, "slicing from the first { to the last }"))
    found.sort(key=lambda r: r.node.start_byte)
    # a fence stripped inside another repair's expression is one repair
    out: list[Repair] = []
    for r in found:
        if out and out[-1].node.start_byte <= r.node.start_byte and r.node.end_byte <= out[-1].node.end_byte:
            continue
        out.append(r)
    return out, parses


def _outside(shapes: FileShapes, node, scope) -> bool:
    """True when ``node`` sits in a function nested inside ``scope``."""
    fn = shapes.function_of(node)
    if scope.type in FUNCTION_KINDS:
        return fn is not None and fn.id != scope.id
    return fn is not None


@notebook_aware
def check(ctx: FileContext) -> Iterator[Finding]:
    shapes = file_shapes(ctx, NEEDLES)
    if shapes is None:
        return
    site_scopes: dict[int, tuple[object, PromptSite]] = {}
    for site, node in shapes.call_sites():
        scope = shapes.function_of(node) or shapes.tree.root_node
        site_scopes.setdefault(scope.id, (scope, site))
    helpers = _local_helpers(shapes)
    reported_helpers: set[int] = set()
    for scope, site in site_scopes.values():
        repairs = [r for r in repairs_in(shapes, scope) if r.node.start_byte > shapes.site_node(site).start_byte]
        if repairs:
            yield _finding(ctx, shapes, site, repairs, _span(shapes, repairs))
        # helpers applied to the answer, in this module or imported from another one
        for call in shapes.calls(scope):
            if _outside(shapes, call, scope) or call.start_byte <= shapes.site_node(site).start_byte:
                continue
            name = callee_text(call, shapes.source)
            helper = helpers.get(name)
            if helper is not None:
                fn, helper_repairs, parses = helper
                if not parses and not _fed_to_parser(shapes, call, scope):
                    continue  # the helper only reads (say, files from fenced blocks)
                where = Location(path=ctx.path, range=shapes.range(fn))
                reported_helpers.add(fn.id)
                yield _finding(ctx, shapes, site, helper_repairs, shapes.range(call), helper=(name, where))
                continue
            imported = _imported_helper(ctx, shapes, name)
            if imported is not None and (imported[2] or _fed_to_parser(shapes, call, scope)):
                yield _finding(ctx, shapes, site, imported[1], shapes.range(call), helper=(name, imported[0]))
    # helpers, reported where they are written: when this file applies them to a model's
    # answer, or when the repair is one only a model's answer needs (fences, repair libraries)
    seen: set[int] = {s.id for s, _ in site_scopes.values()}
    for fn, repairs, parses in helpers.values():
        if fn.id in seen:
            continue
        seen.add(fn.id)
        if fn.id in reported_helpers or (parses and any(r.kind == "code-fence stripping" or r.kind.startswith("a JSON repair library") for r in repairs)):
            yield _finding(ctx, shapes, None, repairs, _span(shapes, repairs))


def _span(shapes: FileShapes, repairs: list[Repair]) -> Range:
    first, last = shapes.range(repairs[0].node), shapes.range(repairs[-1].node)
    return Range(start=first.start, end=last.end)


def _fed_to_parser(shapes: FileShapes, call, scope) -> bool:
    """True when the value of ``call`` is parsed in ``scope``: passed straight to a
    parser (``json.loads(strip_fences(raw))``), or assigned to a name a parser later
    reads (``text = strip_fences(raw)`` ... ``json.loads(text)``)."""
    node = call.parent
    while node is not None and node.id != scope.id and node.type not in FUNCTION_KINDS:
        if node.type in ("call", "call_expression") and callee_matches(callee_text(node, shapes.source), _PARSERS):
            return True
        if node.type in ("assignment", "variable_declarator", "assignment_expression"):
            target = node.child_by_field_name("left") or node.child_by_field_name("name")
            if target is None or target.type != "identifier":
                return False
            name = shapes.text(target)
            for parser in shapes.calls(scope):
                if parser.start_byte <= call.end_byte or not callee_matches(callee_text(parser, shapes.source), _PARSERS):
                    continue
                args = parser.child_by_field_name("arguments")
                if args is not None and re.search(rf"(?<![\w.]){re.escape(name)}\b", shapes.text(args)):
                    return True
            return False
        node = node.parent
    return False


def _local_helpers(shapes: FileShapes) -> dict[str, tuple[object, list[Repair], bool]]:
    """Functions of this file that mend their parameter's text: name → (node, repairs,
    whether the function parses the result itself).  One that does not parse counts
    only where its caller parses what it returns."""
    out: dict[str, tuple[object, list[Repair], bool]] = {}
    for node in shapes.nodes(FUNCTION_KINDS):
        params = next((c for c in node.children if c.type in _HELPER_PARAMS), None)
        if params is None or not params.named_children:
            continue
        name = shapes.function_name(node)
        if not name:
            continue
        if not any(n in shapes.source[node.start_byte : node.end_byte] for n in _MENDING_BYTES):
            continue  # nothing in it could mend a text (most functions of a large file)
        mending, parses_here = _mending_in(shapes, node)
        confirmed = mending if parses_here else _libraries_only(mending)
        parses = bool(confirmed)
        repairs = confirmed or mending
        if repairs:
            entry = (node, repairs, parses)
            out[name] = entry
            out.setdefault(f"self.{name}", entry)
            out.setdefault(f"this.{name}", entry)
    return out


def _imported_helper(ctx: FileContext, shapes: FileShapes, name: str) -> tuple[Location, list[Repair], bool] | None:
    """A repairing function imported from a workspace module, resolved by its import line."""
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        return None
    text = ctx.text
    if shapes.python:
        m = re.search(rf"^\s*from\s+(\.*)([\w.]*)\s+import\s+[^\n]*\b{re.escape(name)}\b", text, re.M)
        if m is None:
            return None
        dots, module = m.group(1), m.group(2)
        base = Path(ctx.path).parent
        for _ in range(max(len(dots) - 1, 0)):
            base = base.parent
        if not dots:
            base = ctx.workspace.root
        target = base.joinpath(*[p for p in module.split(".") if p])
        candidates = [target.with_suffix(".py"), target / "__init__.py"]
    else:
        m = re.search(rf"import\s*\{{[^}}]*\b{re.escape(name)}\b[^}}]*\}}\s*from\s*['\"](\.[^'\"]+)['\"]", text)
        if m is None:
            return None
        target = (Path(ctx.path).parent / m.group(1)).resolve()
        stem = target.with_suffix("") if target.suffix in (".js", ".mjs", ".cjs") else target
        candidates = [target] + [stem.with_name(stem.name + ext) for ext in (".ts", ".tsx", ".js", ".mjs", ".mts")]
    for candidate in candidates:
        if not ctx.workspace.contains(candidate):
            continue
        source = ctx.workspace.try_read_text(str(candidate))
        if source is None:
            continue
        from ...sources.code.modules import language_of

        language = language_of(str(candidate))
        if language is None:
            return None
        other = _OtherFile(ctx, source, language, str(candidate))
        found = _local_helpers(other.shapes).get(name)
        if found is None:
            return None
        fn, repairs, parses = found
        return Location(path=str(candidate), range=other.shapes.range(fn)), repairs, parses
    return None


class _OtherFile:
    """Shapes of an imported module (parsed once per analysed file and name)."""

    def __init__(self, ctx: FileContext, source: str, language: str, path: str):
        from ...sources.code.parsing import parse_source

        proxy = FileContext(path=path, display_path=path, kind=language, text=source, settings=ctx.settings, workspace=ctx.workspace, prices=ctx.prices)
        self.shapes = FileShapes(proxy, parse_source(source, language), language)


def _finding(ctx: FileContext, shapes: FileShapes, site: PromptSite | None, repairs: list[Repair], rng: Range, helper: tuple[str, Location] | None = None) -> Finding:
    kinds = list(dict.fromkeys(r.kind for r in repairs))
    what = ", ".join(kinds)
    if helper is not None:
        head = f"The model's output is passed to `{helper[0]}`, which mends its format before parsing ({what})."
    elif site is not None:
        head = f"The model's output is mended before it is parsed ({what})."
    else:
        head = f"This helper mends text before parsing it ({what}), the post-processing a model's malformed output needs."
    has_schema = site is not None and site.has_output_schema
    if has_schema:
        remedy = Remedy.FINE_TUNE
        advice = " The call already passes a schema: fine-tune the format the schema cannot hold."
    else:
        remedy = Remedy.STRUCTURED_OUTPUT
        advice = (
            f" With structured outputs ({structured_output_hint(site.sdk if site else None)}) the answer parses as sent "
            f"and the repair can go; fine-tune when the format is beyond a schema (seed 003: \"output post-processing "
            f"that wouldn't be needed if the model just did it correctly\")."
        )
    evidence = [Evidence(message=r.kind, location=Location(path=shapes.ctx.path, range=shapes.range(r.node))) for r in repairs[:6]]
    if helper is not None:
        evidence = [Evidence(message=f"`{helper[0]}` is written here", location=helper[1])]
    if site is not None:
        evidence.append(Evidence(message=f"the {site.sdk or 'LLM'} call whose output is repaired", location=ctx.location(site.range)))
    return ctx.finding(
        "FT204", head + advice, rng, evidence=evidence, remedy=remedy,
        figures={"repairs": len(repairs), "kinds": "; ".join(kinds), **({"helper": helper[0]} if helper else {})},
    )
