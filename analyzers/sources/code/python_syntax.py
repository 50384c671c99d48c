"""Python syntax: lowering tree-sitter nodes to expressions, and collecting scopes."""

from __future__ import annotations

from .escapes import decode_python_string
from .expressions import (
    Attr, BinOp, Call, Concat, Const, Expr, Index, Interpolation, Lowering, Mapping, Name, Opaque,
    Seq, Spread, Str, TextPiece, plus_operands,
)
from .scopes import Binding, FunctionInfo, ImportRef, ModuleFacts, ScopeFacts, bind_augmented_assignment

FUNCTION_NODES = frozenset({"function_definition", "lambda"})
CALL_NODES = frozenset({"call"})
_SEQ_NODES = frozenset({"list", "tuple", "set", "expression_list"})
_TRANSPARENT = frozenset({"parenthesized_expression", "await"})
_CONSTS = {"true": True, "false": False, "none": None}


class PythonLowering(Lowering):
    def _lower(self, node) -> Expr:
        kind = node.type
        rng = self.index.lazy_range(node)
        if kind in _TRANSPARENT:
            inner = [c for c in node.named_children if c.type != "comment"]
            return self.lower(inner[0]) if inner else Opaque(self.text(node), rng)
        if kind == "string":
            return self._string(node, rng)
        if kind == "concatenated_string":
            pieces: list = []
            for child in node.named_children:
                if child.type != "string":
                    continue
                part = self._string(child, self.index.lazy_range(child))
                if not isinstance(part, Str):
                    return Opaque(self.text(node), rng)
                pieces.extend(part.pieces)
            return Str(self.text(node), rng, pieces)
        if kind == "identifier":
            return Name(self.text(node), rng, self.text(node))
        if kind == "attribute":
            obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
            if obj is None or attr is None:
                return Opaque(self.text(node), rng)
            return Attr(self.text(node), rng, self.lower(obj), self.text(attr))
        if kind == "subscript":
            value, key = node.child_by_field_name("value"), node.child_by_field_name("subscript")
            if value is None or key is None:
                return Opaque(self.text(node), rng)
            return Index(self.text(node), rng, self.lower(value), self.lower(key))
        if kind == "call":
            return self._call(node, rng)
        if kind in _SEQ_NODES:
            return Seq(self.text(node), rng, [self._item(c) for c in node.named_children if c.type != "comment"])
        if kind == "dictionary":
            return self._dict(node, rng)
        if kind == "binary_operator":
            return self._binary(node, rng)
        if kind == "boolean_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = node.child_by_field_name("operator")
            if left is None or right is None or op is None:
                return Opaque(self.text(node), rng)
            return BinOp(self.text(node), rng, self.text(op), self.lower(left), self.lower(right))
        if kind in ("integer", "float"):
            try:
                value = int(self.text(node).replace("_", ""), 0) if kind == "integer" else float(self.text(node).replace("_", ""))
            except ValueError:
                return Opaque(self.text(node), rng)
            return Const(self.text(node), rng, value)
        if kind in _CONSTS:
            return Const(self.text(node), rng, _CONSTS[kind])
        return Opaque(self.text(node), rng)

    def _item(self, node) -> Expr:
        if node.type in ("list_splat", "dictionary_splat"):
            inner = node.named_children[0] if node.named_children else None
            return Spread(self.text(node), self.index.lazy_range(node), self.lower(inner) if inner else None)
        return self.lower(node)

    def _string(self, node, rng) -> Expr:
        start = next((c for c in node.children if c.type == "string_start"), None)
        prefix = self.text(start).lower().rstrip("'\"") if start is not None else ""
        if "b" in prefix:
            return Opaque(self.text(node), rng)  # bytes are not prompt text
        raw, formatted = "r" in prefix, ("f" in prefix or "t" in prefix)
        pieces: list = []
        for child in node.named_children:
            if child.type == "string_content":
                value = self.text(child)
                if not raw:
                    value = decode_python_string(value)
                if formatted:
                    value = value.replace("{{", "{").replace("}}", "}")
                pieces.append(TextPiece(value, self.index.lazy_range(child)))
            elif child.type == "interpolation":
                expr = child.child_by_field_name("expression")
                if expr is None:
                    continue
                pieces.append(Interpolation(self.lower(expr), self.text(expr)))
        return Str(self.text(node), rng, pieces)

    def _call(self, node, rng) -> Expr:
        func, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if func is None:
            return Opaque(self.text(node), rng)
        call = Call(self.text(node), rng, self.lower(func))
        if arguments is None:
            return call
        if arguments.type == "generator_expression":
            call.args.append(Opaque(self.text(arguments), self.index.lazy_range(arguments)))
            return call
        for arg in arguments.named_children:
            if arg.type == "comment":
                continue
            if arg.type == "keyword_argument":
                name, value = arg.child_by_field_name("name"), arg.child_by_field_name("value")
                if name is not None and value is not None:
                    call.kwargs.append((self.text(name), self.lower(value)))
            elif arg.type == "dictionary_splat":
                inner = arg.named_children[0] if arg.named_children else None
                if inner is not None:
                    call.kwargs.append((None, self.lower(inner)))
            else:
                call.args.append(self._item(arg))
        return call

    def _dict(self, node, rng) -> Expr:
        entries: list[tuple[str | None, Expr]] = []
        for child in node.named_children:
            if child.type == "pair":
                key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                lowered = self.lower(key)
                if isinstance(lowered, Str) and all(isinstance(p, TextPiece) for p in lowered.pieces):
                    entries.append(("".join(p.value for p in lowered.pieces), self.lower(value)))
            elif child.type == "dictionary_splat":
                inner = child.named_children[0] if child.named_children else None
                if inner is not None:
                    entries.append((None, self.lower(inner)))
        return Mapping(self.text(node), rng, entries)

    def _binary(self, node, rng) -> Expr:
        op_node = node.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else ""
        if op != "+":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                return Opaque(self.text(node), rng)
            return BinOp(self.text(node), rng, op, self.lower(left), self.lower(right))
        operands = plus_operands(node, "binary_operator", self.text)
        if operands is None:
            return Opaque(self.text(node), rng)
        return Concat(self.text(node), rng, [self.lower(o) for o in operands])


# ---------------------------------------------------------------------------
# scopes


class PythonScopeCollector:
    def __init__(self, lowering: PythonLowering):
        self.lowering = lowering

    def module_facts(self, root, path: str) -> ModuleFacts:
        facts = ModuleFacts(path=path, language="python")
        self._block(root, facts, straight=True, module=True)
        return facts

    def function_scope(self, function_node) -> ScopeFacts:
        facts = ScopeFacts()
        params = function_node.child_by_field_name("parameters")
        if params is not None:
            for p in params.named_children:
                name = p if p.type == "identifier" else (p.child_by_field_name("name") or next((c for c in p.named_children if c.type == "identifier"), None))
                if name is not None and name.type == "identifier":
                    facts.params.add(self.lowering.text(name))
        body = function_node.child_by_field_name("body")
        if body is not None:
            if function_node.type == "lambda":
                return facts
            self._block(body, facts, straight=True, module=False)
        return facts

    def _block(self, block, facts: ScopeFacts, straight: bool, module: bool) -> None:
        for stmt in block.named_children:
            self._statement(stmt, facts, straight, module)

    def _statement(self, stmt, facts: ScopeFacts, straight: bool, module: bool) -> None:
        kind = stmt.type
        text = self.lowering.text
        if kind == "expression_statement":
            for child in stmt.named_children:
                self._expression_statement(child, stmt, facts, straight)
        elif kind in ("import_statement", "import_from_statement", "future_import_statement"):
            self._import(stmt, facts)
        elif kind == "decorated_definition":
            definition = stmt.child_by_field_name("definition")
            if definition is not None:
                self._statement(definition, facts, straight, module)
        elif kind == "function_definition":
            name = stmt.child_by_field_name("name")
            if name is not None:
                facts.functions[text(name)] = FunctionInfo(text(name), stmt.start_byte, stmt.end_byte, self.lowering.index.lazy_range(stmt))
                facts.bind(text(name), Binding("unknown", None, stmt.start_byte, straight))
        elif kind == "class_definition":
            name, body = stmt.child_by_field_name("name"), stmt.child_by_field_name("body")
            if name is None:
                return
            facts.bind(text(name), Binding("unknown", None, stmt.start_byte, straight))
            if module and body is not None:
                class_facts = ScopeFacts()
                self._block(body, class_facts, straight=True, module=False)
                for attr, bindings in class_facts.bindings.items():
                    for b in bindings:
                        facts.bind(f"{text(name)}.{attr}", b)
        elif kind == "if_statement":
            condition = stmt.child_by_field_name("condition")
            main_guard = condition is not None and "__name__" in text(condition)
            for child in stmt.named_children:
                if child.type == "block":
                    self._block(child, facts, straight and main_guard, module)
                elif child.type in ("elif_clause", "else_clause"):
                    for sub in child.named_children:
                        if sub.type == "block":
                            self._block(sub, facts, False, module)
        elif kind in ("for_statement", "while_statement", "try_statement", "match_statement"):
            if kind == "for_statement":
                left = stmt.child_by_field_name("left")
                if left is not None:
                    for ident in _identifiers(left):
                        facts.bind(text(ident), Binding("unknown", None, stmt.start_byte, False))
            self._nested_blocks(stmt, facts, module)
        elif kind == "with_statement":
            for clause in stmt.named_children:
                if clause.type == "with_clause":
                    for item in clause.named_children:
                        value = item.child_by_field_name("value")
                        if value is not None and value.type == "as_pattern":
                            target = value.child_by_field_name("alias")
                            source = value.named_children[0] if value.named_children else None
                            idents = list(_identifiers(target)) if target is not None else []
                            if source is not None and len(idents) == 1:
                                facts.bind(text(idents[0]), Binding("assign", self.lowering.lower(source), stmt.start_byte, straight))
            body = stmt.child_by_field_name("body")
            if body is not None:
                self._block(body, facts, straight, module)

    def _nested_blocks(self, node, facts, module) -> None:
        for child in node.named_children:
            if child.type == "block":
                self._block(child, facts, False, module)
            elif child.type in ("except_clause", "else_clause", "finally_clause", "elif_clause", "case_clause", "except_group_clause"):
                self._nested_blocks(child, facts, module)

    def _expression_statement(self, node, stmt, facts: ScopeFacts, straight: bool) -> None:
        text = self.lowering.text
        if node.type == "assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            targets = [left]
            # a = b = "x": the right side is itself an assignment
            while right is not None and right.type == "assignment":
                targets.append(right.child_by_field_name("left"))
                right = right.child_by_field_name("right")
            if right is None:
                return
            value = None
            for target in targets:
                if target is None:
                    continue
                if target.type == "identifier":
                    value = value or self.lowering.lower(right)
                    facts.bind(text(target), Binding("assign", value, stmt.start_byte, straight, located=True))
                elif target.type in ("pattern_list", "tuple_pattern", "list_pattern"):
                    for ident in _identifiers(target):
                        facts.bind(text(ident), Binding("unknown", None, stmt.start_byte, straight))
        elif node.type == "augmented_assignment":
            bind_augmented_assignment(facts, node, self.lowering, stmt.start_byte, straight)
        elif node.type == "call":
            func = node.child_by_field_name("function")
            if func is None or func.type != "attribute":
                return
            obj, attr = func.child_by_field_name("object"), func.child_by_field_name("attribute")
            if obj is None or attr is None or obj.type != "identifier":
                return
            method = text(attr)
            if method in ("append", "extend", "insert"):
                args = node.child_by_field_name("arguments")
                first = args.named_children[0] if args is not None and args.named_children else None
                kind = method if method != "insert" else "unknown"
                facts.bind(text(obj), Binding(kind, self.lowering.lower(first) if first is not None else None, stmt.start_byte, straight))

    def _import(self, stmt, facts: ScopeFacts) -> None:
        text = self.lowering.text
        if stmt.type == "import_statement":
            for name in stmt.named_children:
                if name.type == "dotted_name":
                    module = text(name)
                    facts.imported_modules.add(module)
                    # `import a.b` binds `a`; attribute access walks down from there
                    facts.imports[module.split(".")[0]] = ImportRef(module.split(".")[0], None)
                    facts.imports[module] = ImportRef(module, None)
                elif name.type == "aliased_import":
                    dotted, alias = name.child_by_field_name("name"), name.child_by_field_name("alias")
                    if dotted is not None and alias is not None:
                        facts.imported_modules.add(text(dotted))
                        facts.imports[text(alias)] = ImportRef(text(dotted), None)
            return
        if stmt.type != "import_from_statement":
            return
        module_node = stmt.child_by_field_name("module_name")
        if module_node is None:
            return
        level, spec = 0, text(module_node)
        if module_node.type == "relative_import":
            prefix = next((c for c in module_node.children if c.type == "import_prefix"), None)
            level = len(text(prefix)) if prefix is not None else 0
            dotted = next((c for c in module_node.named_children if c.type == "dotted_name"), None)
            spec = text(dotted) if dotted is not None else ""
        facts.imported_modules.add(spec if level == 0 else "." * level + spec)
        if any(c.type == "wildcard_import" for c in stmt.named_children):
            facts.star_imports.append(ImportRef(spec, None, level))
            return
        for child in stmt.children_by_field_name("name"):
            if child.type == "dotted_name":
                facts.imports[text(child)] = ImportRef(spec, text(child), level)
            elif child.type == "aliased_import":
                name, alias = child.child_by_field_name("name"), child.child_by_field_name("alias")
                if name is not None and alias is not None:
                    facts.imports[text(alias)] = ImportRef(spec, text(name), level)


def _identifiers(node):
    if node.type == "identifier":
        yield node
        return
    for child in node.named_children:
        yield from _identifiers(child)
