"""JavaScript / TypeScript syntax: lowering to expressions, and collecting scopes."""

from __future__ import annotations

from ...models import Position, Range
from .escapes import decode_js_string
from .expressions import (
    Attr, BinOp, Call, Concat, Const, Expr, Index, Interpolation, Lowering, Mapping, Name, Opaque,
    Seq, Spread, Str, TextPiece, plus_operands,
)
from .scopes import Binding, FunctionInfo, ImportRef, ModuleFacts, ScopeFacts, bind_augmented_assignment

FUNCTION_NODES = frozenset({"function_declaration", "function_expression", "function", "arrow_function", "method_definition", "generator_function_declaration", "generator_function"})
CALL_NODES = frozenset({"call_expression", "new_expression"})
_TRANSPARENT = frozenset({"parenthesized_expression", "await_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion"})
_CONSTS = {"true": True, "false": False, "null": None, "undefined": None}
_NESTED = frozenset({"if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement", "try_statement", "switch_statement", "else_clause", "catch_clause", "finally_clause", "switch_case", "switch_default", "switch_body"})


def _named(node):
    return [c for c in node.named_children if c.type != "comment"]


class JsLowering(Lowering):
    def _lower(self, node) -> Expr:
        kind = node.type
        rng = self.index.lazy_range(node)
        if kind in _TRANSPARENT:
            inner = _named(node)
            return self.lower(inner[0]) if inner else Opaque(self.text(node), rng)
        if kind == "string":
            raw = self.text(node)[1:-1]
            rng = inner = rng.resolve()
            if rng.start.line == rng.end.line and rng.end.character - rng.start.character >= 2:
                inner = Range(start=Position(line=rng.start.line, character=rng.start.character + 1), end=Position(line=rng.end.line, character=rng.end.character - 1))
            return Str(self.text(node), rng, [TextPiece(decode_js_string(raw), inner)])
        if kind == "template_string":
            return self._template(node, rng)
        if kind in ("identifier", "shorthand_property_identifier", "this"):
            name = self.text(node)
            if name == "undefined":
                return Const(name, rng, None)
            return Name(name, rng, name)
        if kind in _CONSTS:
            return Const(self.text(node), rng, _CONSTS[kind])
        if kind == "number":
            try:
                return Const(self.text(node), rng, float(self.text(node).replace("_", "")))
            except ValueError:
                return Opaque(self.text(node), rng)
        if kind == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            if obj is None or prop is None:
                return Opaque(self.text(node), rng)
            return Attr(self.text(node), rng, self.lower(obj), self.text(prop))
        if kind == "subscript_expression":
            obj, key = node.child_by_field_name("object"), node.child_by_field_name("index")
            if obj is None or key is None:
                return Opaque(self.text(node), rng)
            return Index(self.text(node), rng, self.lower(obj), self.lower(key))
        if kind in ("call_expression", "new_expression"):
            return self._call(node, rng)
        if kind == "array":
            return Seq(self.text(node), rng, [self._item(c) for c in _named(node)])
        if kind == "object":
            return self._object(node, rng)
        if kind == "binary_expression":
            return self._binary(node, rng)
        return Opaque(self.text(node), rng)

    def _item(self, node) -> Expr:
        if node.type == "spread_element":
            inner = _named(node)
            return Spread(self.text(node), self.index.lazy_range(node), self.lower(inner[0]) if inner else None)
        return self.lower(node)

    def _template(self, node, rng) -> Expr:
        pieces: list = []
        run: list = []

        def flush():
            if run:
                raw = "".join(self.text(n) for n in run)
                span = Range(start=self.index.node_range(run[0]).start, end=self.index.node_range(run[-1]).end)
                pieces.append(TextPiece(decode_js_string(raw), span))
                run.clear()

        for child in node.children:
            if child.type in ("string_fragment", "escape_sequence"):
                run.append(child)
            elif child.type == "template_substitution":
                flush()
                inner = _named(child)
                if inner:
                    pieces.append(Interpolation(self.lower(inner[0]), self.text(inner[0])))
        flush()
        return Str(self.text(node), rng, pieces)

    def _call(self, node, rng) -> Expr:
        is_new = node.type == "new_expression"
        func = node.child_by_field_name("constructor" if is_new else "function")
        if func is None:
            return Opaque(self.text(node), rng)
        call = Call(self.text(node), rng, self.lower(func), is_new=is_new)
        arguments = node.child_by_field_name("arguments")
        if arguments is None:
            return call
        if arguments.type == "template_string":  # tagged template: dedent`...`
            call.args.append(self.lower(arguments))
            return call
        call.args.extend(self._item(a) for a in _named(arguments))
        return call

    def _object(self, node, rng) -> Expr:
        entries: list[tuple[str | None, Expr]] = []
        for child in _named(node):
            if child.type == "pair":
                key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                if key.type in ("property_identifier", "number"):
                    entries.append((self.text(key), self.lower(value)))
                elif key.type == "string":
                    entries.append((decode_js_string(self.text(key)[1:-1]), self.lower(value)))
            elif child.type == "shorthand_property_identifier":
                entries.append((self.text(child), self.lower(child)))
            elif child.type == "spread_element":
                inner = _named(child)
                if inner:
                    entries.append((None, self.lower(inner[0])))
        return Mapping(self.text(node), rng, entries)

    def _binary(self, node, rng) -> Expr:
        op_node = node.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else ""
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return Opaque(self.text(node), rng)
        if op != "+":
            return BinOp(self.text(node), rng, op, self.lower(left), self.lower(right))
        operands = plus_operands(node, "binary_expression", self.text)
        if operands is None:
            return Opaque(self.text(node), rng)
        return Concat(self.text(node), rng, [self.lower(o) for o in operands])


class JsScopeCollector:
    def __init__(self, lowering: JsLowering):
        self.lowering = lowering

    def module_facts(self, root, path: str, language: str) -> ModuleFacts:
        facts = ModuleFacts(path=path, language=language)
        self._block(root, facts, straight=True, module=facts)
        return facts

    def function_scope(self, function_node) -> ScopeFacts:
        facts = ScopeFacts()
        params = function_node.child_by_field_name("parameters") or function_node.child_by_field_name("parameter")
        if params is not None:
            for ident in _pattern_identifiers(params):
                facts.params.add(self.lowering.text(ident))
        body = function_node.child_by_field_name("body")
        if body is not None and body.type == "statement_block":
            self._block(body, facts, straight=True, module=None)
        return facts

    def _block(self, block, facts: ScopeFacts, straight: bool, module: ModuleFacts | None) -> None:
        for stmt in _named(block):
            self._statement(stmt, facts, straight, module)

    def _statement(self, stmt, facts: ScopeFacts, straight: bool, module: ModuleFacts | None) -> None:
        kind = stmt.type
        text = self.lowering.text
        if kind in ("lexical_declaration", "variable_declaration"):
            for declarator in _named(stmt):
                if declarator.type == "variable_declarator":
                    self._declarator(declarator, stmt, facts, straight)
        elif kind == "expression_statement":
            for child in _named(stmt):
                self._expression_statement(child, stmt, facts, straight)
        elif kind == "import_statement":
            self._import(stmt, facts)
        elif kind == "export_statement":
            self._export(stmt, facts, straight, module)
        elif kind in ("function_declaration", "generator_function_declaration", "class_declaration"):
            name = stmt.child_by_field_name("name")
            if name is not None:
                if kind != "class_declaration":
                    facts.functions[text(name)] = FunctionInfo(text(name), stmt.start_byte, stmt.end_byte, self.lowering.index.lazy_range(stmt))
                facts.bind(text(name), Binding("unknown", None, stmt.start_byte, straight))
        elif kind == "statement_block":
            self._block(stmt, facts, straight, module)
        elif kind in _NESTED:
            for child in _named(stmt):
                if child.type in ("statement_block", "expression_statement", "lexical_declaration", "variable_declaration") or child.type in _NESTED:
                    self._statement(child, facts, False, module)

    def _declarator(self, declarator, stmt, facts: ScopeFacts, straight: bool) -> None:
        text = self.lowering.text
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is None:
            return
        required = _require_spec(value, text) if value is not None else None
        if name.type == "identifier":
            if required is not None:
                facts.imports[text(name)] = ImportRef(required, None)
                facts.imported_modules.add(required)
                return
            if value is None:
                facts.bind(text(name), Binding("unknown", None, stmt.start_byte, straight))
                return
            lowered = self.lowering.lower(value)
            facts.bind(text(name), Binding("assign", lowered, stmt.start_byte, straight, located=True))
            return
        if name.type == "object_pattern" and required is not None:
            facts.imported_modules.add(required)
            for child in _named(name):
                if child.type == "shorthand_property_identifier_pattern":
                    facts.imports[text(child)] = ImportRef(required, text(child))
                elif child.type == "pair_pattern":
                    key, alias = child.child_by_field_name("key"), child.child_by_field_name("value")
                    if key is not None and alias is not None and alias.type == "identifier":
                        facts.imports[text(alias)] = ImportRef(required, text(key))
            return
        for ident in _pattern_identifiers(name):
            facts.bind(text(ident), Binding("unknown", None, stmt.start_byte, straight))

    def _expression_statement(self, node, stmt, facts: ScopeFacts, straight: bool) -> None:
        text = self.lowering.text
        if node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and left.type == "identifier" and right is not None:
                lowered = self.lowering.lower(right)
                facts.bind(text(left), Binding("assign", lowered, stmt.start_byte, straight, located=True))
        elif node.type == "augmented_assignment_expression":
            bind_augmented_assignment(facts, node, self.lowering, stmt.start_byte, straight)
        elif node.type == "call_expression":
            func = node.child_by_field_name("function")
            if func is None or func.type != "member_expression":
                return
            obj, prop = func.child_by_field_name("object"), func.child_by_field_name("property")
            if obj is None or prop is None or obj.type != "identifier":
                return
            if text(prop) in ("push", "unshift", "splice"):
                args = node.child_by_field_name("arguments")
                items = _named(args) if args is not None else []
                if text(prop) != "push":
                    facts.bind(text(obj), Binding("unknown", None, stmt.start_byte, straight))
                    return
                for item in items:
                    if item.type == "spread_element":
                        inner = _named(item)
                        facts.bind(text(obj), Binding("extend", self.lowering.lower(inner[0]) if inner else None, stmt.start_byte, straight))
                    else:
                        facts.bind(text(obj), Binding("append", self.lowering.lower(item), stmt.start_byte, straight))

    def _import(self, stmt, facts: ScopeFacts) -> None:
        text = self.lowering.text
        source = stmt.child_by_field_name("source")
        if source is None:
            return
        spec = decode_js_string(text(source)[1:-1])
        facts.imported_modules.add(spec)
        for clause in _named(stmt):
            if clause.type != "import_clause":
                continue
            for part in _named(clause):
                if part.type == "identifier":
                    facts.imports[text(part)] = ImportRef(spec, "default")
                elif part.type == "namespace_import":
                    ident = next((c for c in _named(part) if c.type == "identifier"), None)
                    if ident is not None:
                        facts.imports[text(ident)] = ImportRef(spec, None)
                elif part.type == "named_imports":
                    for spec_node in _named(part):
                        if spec_node.type != "import_specifier":
                            continue
                        name, alias = spec_node.child_by_field_name("name"), spec_node.child_by_field_name("alias")
                        if name is not None:
                            facts.imports[text(alias or name)] = ImportRef(spec, _unquote(text(name)))

    def _export(self, stmt, facts: ScopeFacts, straight: bool, module: ModuleFacts | None) -> None:
        text = self.lowering.text
        declaration, value, source = stmt.child_by_field_name("declaration"), stmt.child_by_field_name("value"), stmt.child_by_field_name("source")
        is_default = any(c.type == "default" for c in stmt.children)
        if declaration is not None:
            self._statement(declaration, facts, straight, module)
            if module is not None:
                names = []
                if declaration.type in ("lexical_declaration", "variable_declaration"):
                    for d in _named(declaration):
                        n = d.child_by_field_name("name")
                        if n is not None and n.type == "identifier":
                            names.append(text(n))
                else:
                    n = declaration.child_by_field_name("name")
                    if n is not None:
                        names.append(text(n))
                for n in names:
                    module.exports["default" if is_default else n] = n
            return
        if value is not None and module is not None:
            module.default_export = self.lowering.lower(value)
            return
        spec = decode_js_string(text(source)[1:-1]) if source is not None else None
        clause = next((c for c in _named(stmt) if c.type == "export_clause"), None)
        if module is None:
            return
        if clause is None:
            if spec is not None:
                module.star_reexports.append(ImportRef(spec, None))
            return
        for spec_node in _named(clause):
            if spec_node.type != "export_specifier":
                continue
            name, alias = spec_node.child_by_field_name("name"), spec_node.child_by_field_name("alias")
            if name is None:
                continue
            exported = _unquote(text(alias or name))
            if spec is not None:
                module.reexports[exported] = ImportRef(spec, _unquote(text(name)))
            else:
                module.exports[exported] = text(name)


def _unquote(name: str) -> str:
    return name[1:-1] if len(name) >= 2 and name[0] in "'\"" else name


def _require_spec(value, text) -> str | None:
    """``require("x")`` (possibly awaited ``import("x")``) -> "x"."""
    while value is not None and value.type in _TRANSPARENT:
        inner = _named(value)
        value = inner[0] if inner else None
    if value is None or value.type != "call_expression":
        return None
    func, args = value.child_by_field_name("function"), value.child_by_field_name("arguments")
    if func is None or args is None or text(func) not in ("require", "import"):
        return None
    items = _named(args)
    if len(items) == 1 and items[0].type == "string":
        return decode_js_string(text(items[0])[1:-1])
    return None


def _pattern_identifiers(node):
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        yield node
        return
    if node.type in ("type_annotation", "predefined_type", "type_identifier"):
        return
    for child in node.named_children:
        if node.type == "pair_pattern" and child == node.child_by_field_name("key"):
            continue
        if node.type == "assignment_pattern" and child == node.child_by_field_name("right"):
            continue
        if child.type.endswith("type_annotation") or child.type == "type_annotation":
            continue
        yield from _pattern_identifiers(child)
