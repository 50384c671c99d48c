"""Evaluating expressions to the prompt text they produce, across modules and files.

Unknown values become holes carrying the expression as written; nothing is guessed.
Cross-module lookups are bounded (``MAX_MODULE_HOPS``) and cycle-guarded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ...models import Location, PromptPart
from ...workspace import Workspace
from . import files as file_data
from .expressions import (
    Attr, BinOp, Call, Concat, Const, Expr, Index, Mapping, Name, Seq, Spread, Str,
    TextPiece, call_chain,
)
from .modules import ModuleContext, load_module, resolve_js_module, resolve_python_module
from .scopes import Binding, ImportRef, ScopeFacts
from .textops import cleandoc_mask, dedent_mask, strip_mask, transform
from .values import CallV, ConstV, DictV, FileV, ListV, ModuleV, PathV, StrV, Trace, UnknownV

MAX_MODULE_HOPS = 8
MAX_DEPTH = 150
_PERCENT = re.compile(r"%(?:\(([^)\n]{0,100})\))?[-#0 +]{0,5}(?:\*|\d{1,5})?(?:\.(?:\*|\d{1,5}))?[hlL]?([diouxXeEfFgGcrsa%])")
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{([^{}\n]{0,200})\}")
_READERS = {"read", "read_text", "readFileSync", "readFile", "text"}
_DATA_LOADERS = {"load", "loads", "safe_load", "full_load", "unsafe_load", "parse"}
_DATA_MODULES = {"json", "yaml", "JSON", "orjson", "ujson", "json5", "JSON5"}
_PATH_JOIN = {"join", "resolve", "joinpath"}
_TEMPLATE_FACTORIES = {"from_template", "fromTemplate", "PromptTemplate"}


@dataclass(slots=True)
class Env:
    ctx: ModuleContext
    scopes: tuple[tuple[ScopeFacts, int | None], ...] = ()  # innermost first, with the use offset
    at: int | None = None  # use offset in module scope; None: after the whole module
    hops: int = 0


class Reconstructor:
    def __init__(self, workspace: Workspace, main: ModuleContext):
        self.workspace = workspace
        self.main = main
        self.trace = Trace()
        self._modules: dict[str, ModuleContext | None] = {main.path: main}
        self._active: set[tuple] = set()
        self._depth = 0

    # -- entry points ----------------------------------------------------------
    def evaluate(self, expr: Expr | None, env: Env):
        if expr is None:
            return UnknownV("")
        if self._depth > MAX_DEPTH:
            return UnknownV(expr.text, self.loc(expr, env))
        self._depth += 1
        try:
            return self._evaluate(expr, env)
        finally:
            self._depth -= 1

    def loc(self, expr: Expr, env: Env) -> Location:
        return Location(path=env.ctx.path, range=expr.range)

    def to_parts(self, value, expr: Expr | None, env: Env) -> list[PromptPart]:
        """A value in a string context: its text, or a hole named by the expression."""
        if isinstance(value, StrV):
            return list(value.parts)
        if isinstance(value, ConstV) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            number = value.value
            text = str(int(number)) if isinstance(number, float) and number.is_integer() and not env.ctx.is_python else str(number)
            return [PromptPart(kind="text", text=text, location=self.loc(expr, env) if expr else None)]
        if isinstance(value, UnknownV) and value.text:
            return [PromptPart(kind="hole", text=value.text, location=value.location)]
        if isinstance(value, CallV):
            if isinstance(expr, Name):
                return [PromptPart(kind="hole", text=expr.id, location=self.loc(expr, env))]
            if value.alias:
                return [PromptPart(kind="hole", text=value.alias, location=value.alias_location)]
            return [PromptPart(kind="hole", text=value.call.text, location=value.location)]
        text = expr.text if expr is not None else "?"
        return [PromptPart(kind="hole", text=text, location=self.loc(expr, env) if expr else None)]

    # -- dispatch ---------------------------------------------------------------
    def _evaluate(self, expr: Expr, env: Env):
        if isinstance(expr, Str):
            return self._string(expr, env)
        if isinstance(expr, Const):
            return ConstV(expr.value)
        if isinstance(expr, Name):
            return self._name(expr, env)
        if isinstance(expr, Concat):
            return self._concat(expr, env)
        if isinstance(expr, Attr):
            return self._attribute(expr, env)
        if isinstance(expr, Index):
            return self._index(expr, env)
        if isinstance(expr, Call):
            return self._call(expr, env)
        if isinstance(expr, Seq):
            return self._sequence(expr.items, env)
        if isinstance(expr, Mapping):
            return self._mapping(expr, env)
        if isinstance(expr, BinOp):
            return self._binop(expr, env)
        return UnknownV(expr.text, self.loc(expr, env))

    def _string(self, expr: Str, env: Env) -> StrV:
        parts: list[PromptPart] = []
        for piece in expr.pieces:
            if isinstance(piece, TextPiece):
                parts.append(PromptPart(kind="text", text=piece.value, location=Location(path=env.ctx.path, range=piece.range)))
            else:
                value = self.evaluate(piece.expr, env)
                parts.extend(self.to_parts(value, piece.expr, env))
        return StrV(parts)

    def _concat(self, expr: Concat, env: Env):
        values = [self.evaluate(item, env) for item in expr.items]
        if any(isinstance(v, ListV) for v in values) and not any(isinstance(v, StrV) for v in values):
            items: list = []
            for v, item in zip(values, expr.items):
                items.extend(v.items if isinstance(v, ListV) else [UnknownV(item.text, self.loc(item, env))])
            return ListV(items)
        if not any(isinstance(v, (StrV, PathV)) for v in values):
            return UnknownV(expr.text, self.loc(expr, env))
        if isinstance(values[0], PathV):
            return UnknownV(expr.text, self.loc(expr, env))
        parts: list[PromptPart] = []
        for v, item in zip(values, expr.items):
            parts.extend(self.to_parts(v, item, env))
        return StrV(parts)

    def _sequence(self, items: list[Expr], env: Env) -> ListV:
        out: list = []
        for item in items:
            if isinstance(item, Spread):
                value = self.evaluate(item.value, env)
                if isinstance(value, ListV):
                    out.extend(value.items)
                else:
                    out.append(UnknownV(item.value.text if item.value else item.text, self.loc(item, env)))
            else:
                out.append(self.evaluate(item, env))
        return ListV(out)

    def _mapping(self, expr: Mapping, env: Env) -> DictV:
        entries: dict = {}
        for key, value in expr.entries:
            if key is None:
                spread = self.evaluate(value, env)
                if isinstance(spread, DictV):
                    entries.update(spread.entries)
            else:
                entries[key] = self.evaluate(value, env)
        return DictV(entries)

    def _binop(self, expr: BinOp, env: Env):
        left = self.evaluate(expr.left, env)
        if expr.op == "%" and isinstance(left, StrV):
            return self._percent(left, expr.right, env)
        if expr.op == "/" and isinstance(left, PathV):
            right = self.evaluate(expr.right, env)
            if isinstance(right, StrV) and right.is_literal():
                return PathV(os.path.join(left.path, right.literal), left.anchored)
            return UnknownV(expr.text, self.loc(expr, env))
        if expr.op in ("or", "||", "??"):
            if isinstance(left, StrV) and left.literal:
                return left
            fallback = self.evaluate(expr.right, env)
            return UnknownV(expr.text, self.loc(expr, env), fallback=fallback)
        return UnknownV(expr.text, self.loc(expr, env))

    # -- names -------------------------------------------------------------------
    def _name(self, expr: Name, env: Env):
        name = expr.id
        if name in ("__file__", "__filename"):
            return PathV(env.ctx.path, True)
        if name == "__dirname":
            return PathV(str(Path(env.ctx.path).parent), True)
        for scope, at in env.scopes:
            if name in scope.bindings:
                return _named_unknown(self._bindings(name, scope.bindings[name], at, env, scope, expr), expr, self.loc(expr, env))
            if name in scope.params:
                return UnknownV(name, self.loc(expr, env))
            if name in scope.imports:
                return self._import(scope.imports[name], env, expr)
        value = self.module_symbol(env.ctx, name, env.hops, at=env.at if not env.scopes else None)
        if value is not None:
            return _named_unknown(value, expr, self.loc(expr, env))
        return UnknownV(name, self.loc(expr, env))

    def _bindings(self, name: str, bindings: list[Binding], at: int | None, env: Env, scope, expr: Expr | None):
        key = (env.ctx.path, id(scope), name, at)
        where = self.loc(expr, env) if expr is not None else None
        if key in self._active:
            return UnknownV(name, where)
        considered = [b for b in bindings if at is None or b.at < at] or ([] if at is not None else bindings)
        assigns = [b for b in considered if b.kind in ("assign", "unknown")]
        if not assigns:
            return UnknownV(name, where)
        if len(assigns) > 1 and not all(b.straight for b in assigns):
            return UnknownV(name, where)
        base = assigns[-1]
        if base.kind == "unknown" or base.expr is None:
            return UnknownV(name, where)
        binding_env = Env(env.ctx, tuple((s, base.at if s is scope else a) for s, a in env.scopes), base.at if not env.scopes else env.at, env.hops)
        if scope is env.ctx.facts:
            binding_env = Env(env.ctx, (), base.at, env.hops)
        self._active.add(key)
        try:
            value = self.evaluate(base.expr, binding_env)
            for change in (b for b in considered if b.at > base.at and b.kind in ("append", "extend", "add")):
                value = self._apply_change(value, change, binding_env, name)
        finally:
            self._active.discard(key)
        return value

    def _apply_change(self, value, change: Binding, env: Env, name: str):
        changed = self.evaluate(change.expr, env) if change.expr is not None else UnknownV(name)
        if not change.straight:
            changed = UnknownV(change.expr.text if change.expr else name, self.loc(change.expr, env) if change.expr else None)
            if isinstance(value, ListV):
                return ListV([*value.items, changed])
        if isinstance(value, ListV):
            if change.kind == "append":
                return ListV([*value.items, changed])
            if isinstance(changed, ListV):
                return ListV([*value.items, *changed.items])
            return ListV([*value.items, changed])
        if isinstance(value, StrV) and change.kind == "add":
            return StrV([*value.parts, *self.to_parts(changed, change.expr, env)])
        return UnknownV(name)

    def module_symbol(self, ctx: ModuleContext, name: str, hops: int, at: int | None = None):
        """The value a module gives ``name`` (its binding, an import, an export), or None."""
        facts = ctx.facts
        env = Env(ctx, (), at, hops)
        if name in facts.bindings:
            return self._bindings(name, facts.bindings[name], at, env, facts, None)
        if name in facts.imports:
            return self._import(facts.imports[name], env, None)
        if not ctx.is_python:
            if name in facts.exports and facts.exports[name] != name:
                return self.module_symbol(ctx, facts.exports[name], hops)
            if name == "default" and facts.default_export is not None:
                return self.evaluate(facts.default_export, env)
            if name in facts.reexports:
                return self._import(facts.reexports[name], env, None)
            for ref in facts.star_reexports:
                target = self._module_for(ctx, ImportRef(ref.spec, None), hops)
                if target is not None:
                    value = self.module_symbol(target, name, hops + 1)
                    if value is not None:
                        return value
        for ref in facts.star_imports:
            target = self._module_for(ctx, ref, hops)
            if target is not None:
                value = self.module_symbol(target, name, hops + 1)
                if value is not None:
                    return value
        return None

    def _module_for(self, ctx: ModuleContext, ref: ImportRef, hops: int, submodule: str | None = None) -> ModuleContext | None:
        if hops >= MAX_MODULE_HOPS:
            return None
        if ctx.is_python:
            path = resolve_python_module(self.workspace, ctx.path, ref, submodule)
        else:
            path = resolve_js_module(self.workspace, ctx.path, ref.spec)
        if path is None:
            return None
        if path not in self._modules:
            self._modules[path] = load_module(self.workspace, path)
        return self._modules[path]

    def _import(self, ref: ImportRef, env: Env, expr: Expr | None):
        where = self.loc(expr, env) if expr is not None else None
        display = expr.text if expr is not None else (ref.name or ref.spec)
        if env.hops >= MAX_MODULE_HOPS:
            return UnknownV(display, where)
        if not env.ctx.is_python and ref.spec.endswith((".json", ".yaml", ".yml")):
            path = resolve_js_module(self.workspace, env.ctx.path, ref.spec)
            data = self._read_data_file(path) if path else None
            return data if data is not None else UnknownV(display, where)
        key = ("import", env.ctx.path, ref.spec, ref.name, ref.level)
        if key in self._active:
            return UnknownV(display, where)
        self._active.add(key)
        try:
            target = self._module_for(env.ctx, ref, env.hops)
            if ref.name is None:
                return ModuleV(target) if target is not None else UnknownV(display, where)
            if target is not None:
                value = self.module_symbol(target, ref.name, env.hops + 1)
                if value is not None:
                    return value
            if env.ctx.is_python:
                sub = self._module_for(env.ctx, ref, env.hops, submodule=ref.name)
                if sub is not None:
                    return ModuleV(sub)
            return UnknownV(display, where)
        finally:
            self._active.discard(key)

    # -- attributes and subscripts ------------------------------------------------
    def _attribute(self, expr: Attr, env: Env):
        dotted = ".".join(call_chain(expr))
        if expr.text in ("import.meta.url", "import.meta.filename"):
            return PathV(env.ctx.path, True)
        if expr.text == "import.meta.dirname":
            return PathV(str(Path(env.ctx.path).parent), True)
        # a class attribute: Prompts.SYSTEM
        if isinstance(expr.obj, Name) and dotted in env.ctx.facts.bindings:
            return self.module_symbol(env.ctx, dotted, env.hops)
        if isinstance(expr.obj, Name):
            value = self._imported_class_attribute(expr.obj.id, expr.name, env)
            if value is not None:
                return value
        obj = self.evaluate(expr.obj, env)
        if isinstance(obj, ModuleV):
            value = self.module_symbol(obj.context, expr.name, env.hops + 1)
            if value is None and obj.context.is_python and obj.context.path.endswith("__init__.py"):
                sub = self._module_for(obj.context, ImportRef("", None, level=1), env.hops + 1, submodule=expr.name)
                if sub is not None and sub.path != obj.context.path:
                    return ModuleV(sub)
            if value is not None:
                return value
        if isinstance(obj, PathV) and expr.name == "parent":
            return PathV(os.path.dirname(obj.path) or ".", obj.anchored)
        if isinstance(obj, DictV) and expr.name in obj.entries:
            return obj.entries[expr.name]
        return UnknownV(expr.text, self.loc(expr, env))

    def _imported_class_attribute(self, name: str, attribute: str, env: Env):
        """`from app.prompts import Templates; Templates.GREETING`."""
        ref = next((scope.imports[name] for scope, _ in env.scopes if name in scope.imports), None) or env.ctx.facts.imports.get(name)
        if ref is None or not ref.name or ref.name == "default":
            return None
        target = self._module_for(env.ctx, ref, env.hops)
        dotted = f"{ref.name}.{attribute}"
        if target is None or dotted not in target.facts.bindings:
            return None
        return self.module_symbol(target, dotted, env.hops + 1)

    def _index(self, expr: Index, env: Env):
        obj = self.evaluate(expr.obj, env)
        key = self.evaluate(expr.key, env)
        if isinstance(obj, DictV) and isinstance(key, StrV) and key.is_literal() and key.literal in obj.entries:
            return obj.entries[key.literal]
        if isinstance(obj, ListV) and isinstance(key, ConstV) and isinstance(key.value, (int, float)):
            i = int(key.value)
            if -len(obj.items) <= i < len(obj.items):
                return obj.items[i]
        return UnknownV(expr.text, self.loc(expr, env))

    # -- calls ----------------------------------------------------------------------
    def _call(self, expr: Call, env: Env):
        chain = call_chain(expr.func)
        last = chain[-1] if chain else (expr.func.name if isinstance(expr.func, Attr) else "")
        root = chain[0] if len(chain) > 1 else None
        args = expr.args
        first = args[0] if args else None

        def kw(name):
            return next((v for k, v in expr.kwargs if k == name), None)

        # text helpers
        if last in ("dedent", "outdent", "stripIndent", "stripIndents") and first is not None:
            value = self.evaluate(first, env)
            return StrV(transform(value.parts, dedent_mask)) if isinstance(value, StrV) else value
        if last == "cleandoc" and first is not None:
            value = self.evaluate(first, env)
            return StrV(transform(value.parts, cleandoc_mask)) if isinstance(value, StrV) else value
        if last in ("str", "String") and len(chain) == 1 and first is not None:
            value = self.evaluate(first, env)
            return value if isinstance(value, StrV) else UnknownV(expr.text, self.loc(expr, env))
        if last in ("dumps", "stringify") and root in _DATA_MODULES and first is not None:
            return self.evaluate(first, env)  # the same data, serialised: options stay visible
        if last in _DATA_LOADERS and root in _DATA_MODULES and first is not None:
            return self._load_data(first, env, expr)
        if last in ("getenv",) or (last == "get" and chain[-2:-1] == ["environ"]):
            default = args[1] if len(args) > 1 else kw("default")
            return UnknownV(expr.text, self.loc(expr, env), fallback=self.evaluate(default, env) if default is not None else None)
        # paths and files
        if last in ("Path", "PurePath", "PosixPath") and (root in (None, "pathlib")):
            return self._path_of(args, env, expr)
        if last == "open" and len(chain) == 1 and first is not None:
            path = self.evaluate(first, env)
            return FileV(path) if isinstance(path, PathV) else (FileV(PathV(path.literal, False)) if isinstance(path, StrV) and path.is_literal() else UnknownV(expr.text, self.loc(expr, env)))
        if last in ("readFileSync", "readFile") and first is not None:
            return self._read(self.evaluate(first, env), expr, env)
        if last in _PATH_JOIN and root in ("path", "os") and args:
            return self._path_of(args, env, expr, resolve=last == "resolve")
        if last in ("dirname",) and root in ("path", "os") and first is not None:
            value = self._as_path(self.evaluate(first, env))
            return PathV(os.path.dirname(value.path) or ".", value.anchored) if value else UnknownV(expr.text, self.loc(expr, env))
        if last in ("abspath", "realpath", "fileURLToPath", "normpath") and first is not None:
            value = self._as_path(self.evaluate(first, env))
            return value if value is not None else UnknownV(expr.text, self.loc(expr, env))
        if last == "cwd" and root == "process":
            return PathV(str(self.workspace.root), True)
        if last == "URL" and expr.is_new and len(args) == 2:
            rel, base = self.evaluate(args[0], env), self.evaluate(args[1], env)
            if isinstance(rel, StrV) and rel.is_literal() and isinstance(base, PathV):
                return PathV(os.path.normpath(os.path.join(os.path.dirname(base.path), rel.literal)), True)
        if last in _TEMPLATE_FACTORIES and (first is not None or kw("template") is not None):
            value = self.evaluate(kw("template") or first, env)
            if isinstance(value, StrV):
                jinja = any(k == "template_format" and isinstance(v, Str) and "jinja" in v.text for k, v in expr.kwargs)
                return StrV(file_data.split_holes(value.parts, "jinja" if jinja else "format"))
        if last in ("Template", "from_string") and first is not None and root != "string":
            value = self.evaluate(first, env)
            if isinstance(value, StrV):
                return StrV(file_data.split_holes(value.parts, "jinja"))
        # methods on a receiver value
        if isinstance(expr.func, Attr):
            method = expr.func.name
            handled = self._method(method, expr, env, first, kw)
            if handled is not None:
                return handled
        # a function of this file with one return: inline it
        if len(chain) == 1 and env.ctx is self.main and last in self.main.facts.functions:
            value = self._inline_function(last, env, expr)
            if value is not None:
                return value
        return CallV(chain, expr, env, self.loc(expr, env))

    def _method(self, method: str, expr: Call, env: Env, first, kw):
        receiver_expr = expr.func.obj
        if method in ("join", "format", "strip", "lstrip", "rstrip", "trim", "trimStart", "trimEnd", "replace", "replaceAll",
                      "read", "read_text", "readlines", "get_template", "getTemplate", "render", "joinpath", "resolve",
                      "absolute", "expanduser", "text", "copy", "slice", "concat", "format_map"):
            receiver = self.evaluate(receiver_expr, env)
        else:
            return None
        if method == "join":
            if isinstance(receiver, StrV) and first is not None:
                return self._join(receiver, self.evaluate(first, env), first, env, expr)
            if isinstance(receiver, ListV):
                sep = self.evaluate(first, env) if first is not None else StrV([PromptPart(kind="text", text=",")])
                if isinstance(sep, StrV):
                    return self._join(sep, receiver, receiver_expr, env, expr)
            return UnknownV(expr.text, self.loc(expr, env))
        if method in ("format", "format_map") and isinstance(receiver, StrV):
            return self._format(receiver, expr, env)
        if method == "render" and isinstance(receiver, StrV):
            return self._substitute_holes(receiver, expr, env)
        if method in ("strip", "trim", "lstrip", "trimStart", "rstrip", "trimEnd") and isinstance(receiver, StrV):
            if method in ("strip", "lstrip", "rstrip") and first is not None:
                return UnknownV(expr.text, self.loc(expr, env))
            left = method in ("strip", "trim", "lstrip", "trimStart")
            right = method in ("strip", "trim", "rstrip", "trimEnd")
            return StrV(transform(receiver.parts, lambda flat: strip_mask(flat, left=left, right=right)))
        if method in ("replace", "replaceAll") and isinstance(receiver, StrV) and len(expr.args) >= 2:
            old = self.evaluate(expr.args[0], env)
            if isinstance(old, StrV) and old.is_literal() and old.literal:
                new_parts = self.to_parts(self.evaluate(expr.args[1], env), expr.args[1], env)
                return StrV(_replace_parts(receiver.parts, old.literal, new_parts))
            return UnknownV(expr.text, self.loc(expr, env))
        if method in ("read", "read_text", "text") and isinstance(receiver, (FileV, PathV)):
            return self._read(receiver.path if isinstance(receiver, FileV) else receiver, expr, env)
        if method in ("joinpath",) and isinstance(receiver, PathV):
            return self._path_of([receiver_expr, *expr.args], env, expr)
        if method in ("resolve", "absolute", "expanduser") and isinstance(receiver, PathV):
            return receiver
        if method in ("get_template", "getTemplate") and first is not None:
            return self._jinja_template(receiver, self.evaluate(first, env), expr, env)
        if method in ("copy", "slice") and isinstance(receiver, ListV) and not expr.args:
            return receiver
        if method == "concat" and isinstance(receiver, ListV):
            tail = self._sequence(expr.args, env)
            items = list(receiver.items)
            for v in tail.items:
                items.extend(v.items if isinstance(v, ListV) else [v])
            return ListV(items)
        if isinstance(receiver, (StrV, PathV, FileV, ListV)):
            return UnknownV(expr.text, self.loc(expr, env))
        return None

    def _join(self, sep: StrV, items, items_expr, env: Env, expr: Call):
        if not isinstance(items, ListV):
            return UnknownV(expr.text, self.loc(expr, env))
        parts: list[PromptPart] = []
        for i, item in enumerate(items.items):
            if i:
                parts.extend(sep.parts)
            parts.extend(self.to_parts(item, items_expr, env) if not isinstance(item, UnknownV) else self.to_parts(item, None, env))
        return StrV(parts)

    def _format(self, template: StrV, expr: Call, env: Env) -> StrV:
        named = {k: v for k, v in expr.kwargs if k is not None}
        spread = [self.evaluate(v, env) for k, v in expr.kwargs if k is None]
        if expr.func.name == "format_map" and expr.args:
            spread.append(self.evaluate(expr.args[0], env))
        positional = [a for a in expr.args if not isinstance(a, Spread)] if expr.func.name == "format" else []
        auto = 0

        def expand(match, part: PromptPart) -> list[PromptPart]:
            nonlocal auto
            token = match.group(0)
            if token in ("{{", "}}"):
                return [PromptPart(kind="text", text=token[0], location=part.location)]
            field_text = match.group(1) or ""
            key = re.split(r"[!:.\[]", field_text, maxsplit=1)[0]
            value_expr = None
            value = None
            if key == "" and auto < len(positional):
                value_expr = positional[auto]
                auto += 1
            elif key.isdigit() and int(key) < len(positional):
                value_expr = positional[int(key)]
            elif key in named:
                value_expr = named[key]
            else:
                value = next((d.entries[key] for d in spread if isinstance(d, DictV) and key in d.entries), None)
            if value_expr is not None and field_text == key:
                value = self.evaluate(value_expr, env)
            if isinstance(value, StrV) and field_text == key:
                return list(value.parts)
            return [PromptPart(kind="hole", text=field_text or (value_expr.text if value_expr else ""), location=part.location)]

        return _expand_fields(template, _FORMAT_FIELD, expand)

    def _substitute_holes(self, template: StrV, expr: Call, env: Env) -> StrV:
        named = {k: v for k, v in expr.kwargs if k is not None}
        if expr.args and isinstance(expr.args[0], Mapping):
            named.update({k: v for k, v in expr.args[0].entries if k is not None})
        out: list[PromptPart] = []
        for part in template.parts:
            if part.kind == "hole" and part.text in named:
                value = self.evaluate(named[part.text], env)
                if isinstance(value, StrV):
                    out.extend(value.parts)
                    continue
            out.append(part)
        return StrV(out)

    def _percent(self, template: StrV, right_expr: Expr, env: Env) -> StrV:
        right = self.evaluate(right_expr, env)
        items = right.items if isinstance(right, ListV) and isinstance(right_expr, Seq) else [right]
        item_exprs = right_expr.items if isinstance(right_expr, Seq) else [right_expr]
        index = 0

        def expand(match, part: PromptPart) -> list[PromptPart]:
            nonlocal index
            name, conversion = match.group(1), match.group(2)
            if conversion == "%":
                return [PromptPart(kind="text", text="%", location=part.location)]
            if name is not None:
                value = right.entries.get(name) if isinstance(right, DictV) else None
                hole_text = name
            else:
                value = items[index] if index < len(items) else None
                hole_text = item_exprs[index].text if index < len(item_exprs) else match.group(0)
                index += 1
            if isinstance(value, StrV) and conversion == "s":
                return list(value.parts)
            return [PromptPart(kind="hole", text=hole_text, location=part.location)]

        return _expand_fields(template, _PERCENT, expand)

    # -- paths, files, data ---------------------------------------------------------
    def _as_path(self, value) -> PathV | None:
        if isinstance(value, PathV):
            return value
        if isinstance(value, StrV) and value.is_literal():
            return PathV(value.literal, os.path.isabs(value.literal))
        return None

    def _path_of(self, args: list[Expr], env: Env, expr: Call, resolve: bool = False):
        pieces = [self._as_path(self.evaluate(a, env)) for a in args if not isinstance(a, Spread)]
        if not pieces or any(p is None for p in pieces):
            return UnknownV(expr.text, self.loc(expr, env))
        anchored = any(p.anchored for p in pieces)
        joined = os.path.join(*[p.path for p in pieces])
        return PathV(os.path.normpath(joined), anchored)

    def _candidates(self, path: PathV, env: Env) -> list[Path]:
        if path.anchored or os.path.isabs(path.path):
            return [Path(path.path)]
        # cwd-relative paths usually mean the project root; file-relative is tried first
        return [Path(env.ctx.path).parent / path.path, self.workspace.root / path.path]

    def _find_file(self, path: PathV, env: Env) -> str | None:
        for candidate in self._candidates(path, env):
            candidate = Path(os.path.normpath(candidate))
            if not self.workspace.contains(candidate):
                continue
            if self.workspace.overlay(str(candidate)) is not None or candidate.is_file():
                return str(candidate)
        return None

    def _read(self, value, expr: Call, env: Env):
        path = self._as_path(value)
        found = self._find_file(path, env) if path is not None else None
        text = self.workspace.try_read_text(found) if found else None
        if text is None:
            return UnknownV(expr.text, self.loc(expr, env))
        self.trace.loaded(found)
        return file_data.whole_text(text, found)

    def _read_data_file(self, path: str):
        text = self.workspace.try_read_text(path)
        if text is None:
            return None
        self.trace.loaded(path)
        return file_data.parse_data(text, path)

    def _load_data(self, arg: Expr, env: Env, expr: Call):
        value = self.evaluate(arg, env)
        if isinstance(value, FileV):
            value = self._read(value.path, expr, env)
        if isinstance(value, StrV) and value.whole_file:
            data = file_data.parse_data(value.literal, value.whole_file)
            if data is not None:
                return data
        return UnknownV(expr.text, self.loc(expr, env))

    def _jinja_template(self, environment, name, expr: Call, env: Env):
        if not (isinstance(name, StrV) and name.is_literal()):
            return UnknownV(expr.text, self.loc(expr, env))
        directories: list[PathV] = []
        if isinstance(environment, CallV):
            loader_expr = next((v for k, v in environment.call.kwargs if k == "loader"), None)
            loader = self.evaluate(loader_expr, environment.env) if loader_expr is not None else None
            if isinstance(loader, CallV) and loader.call.args:
                search = self.evaluate(loader.call.args[0], loader.env)
                for item in (search.items if isinstance(search, ListV) else [search]):
                    path = self._as_path(item)
                    if path is not None:
                        directories.append(path)
            elif isinstance(loader, CallV):
                search = next((v for k, v in loader.call.kwargs if k == "searchpath"), None)
                path = self._as_path(self.evaluate(search, loader.env)) if search is not None else None
                if path is not None:
                    directories.append(path)
        directories = directories or [PathV(".", False), PathV("templates", False)]
        for directory in directories:
            value = self._read(PathV(os.path.join(directory.path, name.literal), directory.anchored), expr, env)
            if isinstance(value, StrV):
                return StrV(file_data.split_holes(value.parts, "jinja"), whole_file=None)
        return UnknownV(expr.text, self.loc(expr, env))

    # -- local functions ------------------------------------------------------------
    def function_scope(self, ctx: ModuleContext, node) -> ScopeFacts:
        scope = ctx.function_scopes.get(node.start_byte)
        if scope is None:
            scope = ctx.function_scopes[node.start_byte] = ctx.collector.function_scope(node)
        return scope

    def _inline_function(self, name: str, env: Env, expr: Call):
        ctx = self.main
        info = ctx.facts.functions[name]
        if ctx.tree is None:
            return None
        key = ("inline", name)
        if key in self._active:
            return None
        node = ctx.tree.root_node.descendant_for_byte_range(info.start_byte, info.end_byte)
        while node is not None and not (node.start_byte == info.start_byte and node.type in _FUNCTION_TYPES):
            node = node.parent
        if node is None:
            return None
        returns = [r for r in _returns(node) if r.named_children]
        if len(returns) != 1:
            return None
        scope = self.function_scope(ctx, node)
        value_node = next((c for c in returns[0].named_children if c.type != "comment"), None)
        if value_node is None:
            return None
        self._active.add(key)
        try:
            return self.evaluate(ctx.lowering.lower(value_node), Env(ctx, ((scope, returns[0].start_byte),), None, env.hops))
        finally:
            self._active.discard(key)


_FUNCTION_TYPES = frozenset({"function_definition", "function_declaration", "generator_function_declaration"})
_NESTED_FUNCTIONS = frozenset({"function_definition", "lambda", "class_definition", "function_declaration", "function_expression", "arrow_function", "method_definition", "class_declaration", "function"})


def _named_unknown(value, expr: Name, where: Location):
    """An unknown reached through a variable is shown by the variable's name."""
    if isinstance(value, UnknownV):
        return UnknownV(expr.id, where, value.fallback)
    if isinstance(value, CallV) and value.alias is None:
        return CallV(value.chain, value.call, value.env, value.location, expr.id, where)
    return value


def _returns(function_node):
    body = function_node.child_by_field_name("body")
    stack = list(body.named_children) if body is not None else []
    while stack:
        node = stack.pop()
        if node.type == "return_statement":
            yield node
        elif node.type not in _NESTED_FUNCTIONS:
            stack.extend(node.named_children)


def _replace_parts(parts: list[PromptPart], old: str, new_parts: list[PromptPart]) -> list[PromptPart]:
    out: list[PromptPart] = []
    for part in parts:
        if part.kind != "text" or old not in part.text:
            out.append(part)
            continue
        pieces = part.text.split(old)
        for i, piece in enumerate(pieces):
            if i:
                out.extend(new_parts)
            if piece:
                out.append(PromptPart(kind="text", text=piece, location=part.location))
    return out


def _expand_fields(template: StrV, pattern: re.Pattern[str], expand) -> StrV:
    """Rebuild a template, replacing each match of ``pattern`` in its text parts by
    ``expand(match, part)``; holes and the text between matches are kept as they are."""
    out: list[PromptPart] = []
    for part in template.parts:
        if part.kind != "text":
            out.append(part)
            continue
        last = 0
        for match in pattern.finditer(part.text):
            if match.start() > last:
                out.append(PromptPart(kind="text", text=part.text[last : match.start()], location=part.location))
            last = match.end()
            out.extend(expand(match, part))
        if last < len(part.text):
            out.append(PromptPart(kind="text", text=part.text[last:], location=part.location))
    return StrV(out)
