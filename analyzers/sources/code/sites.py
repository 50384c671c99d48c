"""Finding LLM call sites and building a PromptSite for each, from the SDK table."""

from __future__ import annotations

import re
import threading

import tree_sitter

from ...models import Evidence, Location, Message, Prompt, PromptPart, PromptSite, Range
from . import files as file_data
from .expressions import Attr, Call, Expr, Mapping, Name, Seq, Spread, call_chain, chain_root
from .modules import ModuleContext
from .parsing import grammar, is_js_family
from .reconstruct import Env, Reconstructor
from .retrieval import mentions_retrieval
from .sdk_table import (
    CALL_PATTERNS, CLIENT_CONSTRUCTORS, MESSAGE_CONSTRUCTORS, ROLE_NAMES, SEARCH_MODEL_MARKERS,
    SEARCH_TOOL_MARKERS, CallPattern,
)
from .values import CallV, ConstV, DictV, ListV, StrV, UnknownV

_FUNCTION_NODES = {
    "python": frozenset({"function_definition", "lambda"}),
    "js": frozenset({"function_declaration", "function_expression", "function", "arrow_function", "method_definition", "generator_function_declaration", "generator_function"}),
}
_QUERIES = {"python": "(call) @call", "js": "[(call_expression) (new_expression)] @call"}
_WRAPPERS = {"with_structured_output": True, "withStructuredOutput": True, "bind_tools": True, "bindTools": True,
             "bind": False, "with_config": False, "withConfig": False, "with_retry": False, "withRetry": False, "with_fallbacks": False}
_TEMPLATE_METHODS = ("from_template", "fromTemplate")
_CONTEXT_NAME = re.compile(r"(?:context|docs|documents|passages|chunks|sources|snippets|results|hits|knowledge)", re.I)
_SEARCHY_CALL = re.compile(r"(?:search|retriev|lookup|similar|query_index|vector)", re.I)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,100}")

_query_cache: dict[str, tree_sitter.Query] = {}
_query_lock = threading.Lock()


def _family(language: str) -> str:
    return "js" if is_js_family(language) else "python"


def _rows_for(family: str) -> list[CallPattern]:
    rows = [r for r in CALL_PATTERNS if family in r.languages]
    # longest pattern first: chat.completions.create before completions.create
    return sorted(rows, key=lambda r: -len(r.api.split(".")))


_ROWS = {"python": _rows_for("python"), "js": _rows_for("js")}
_CALL_NAMES = {f: frozenset(r.api.split(".")[-1] for r in rows) for f, rows in _ROWS.items()}


def _call_query(language: str) -> tree_sitter.Query:
    with _query_lock:
        query = _query_cache.get(language)
        if query is None:
            query = _query_cache[language] = tree_sitter.Query(grammar(language), _QUERIES[_family(language)])
        return query


def _error_query(language: str) -> tree_sitter.Query:
    key = language + ":error"
    with _query_lock:
        query = _query_cache.get(key)
        if query is None:
            query = _query_cache[key] = tree_sitter.Query(grammar(language), "(ERROR) @error")
        return query


def _callee_name(node) -> str | None:
    func = node.child_by_field_name("function") or node.child_by_field_name("constructor")
    if func is None:
        return None
    if func.type in ("attribute", "member_expression"):
        prop = func.child_by_field_name("attribute") or func.child_by_field_name("property")
        return prop.text.decode("utf-8", "replace") if prop is not None else None
    if func.type == "identifier":
        return func.text.decode("utf-8", "replace")
    return None


def _module_matches(module: str, evidence: tuple[str, ...]) -> bool:
    for e in evidence:
        if e.endswith("/"):
            if module.startswith(e):
                return True
        elif module == e or module.startswith(e + ".") or module.startswith(e + "/"):
            return True
    return False


class SiteBuilder:
    def __init__(self, main: ModuleContext, rec: Reconstructor, file_retrieval: list[Evidence]):
        self.main = main
        self.rec = rec
        self.family = _family(main.language)
        self.file_retrieval = file_retrieval
        self.consumed: set[tuple[int, int, int, int]] = set()
        self._source_bytes: bytes | None = None

    # -- finding --------------------------------------------------------------------
    def find_call_sites(self) -> list[PromptSite]:
        tree = self.main.tree
        cursor = tree_sitter.QueryCursor(_call_query(self.main.language))
        nodes = cursor.captures(tree.root_node).get("call", [])
        nodes.sort(key=lambda n: n.start_byte)
        names = _CALL_NAMES[self.family]
        aliases = {alias for alias, ref in self.main.facts.imports.items() if ref.name in names}
        names = names | aliases if aliases else names
        found: list[tuple[PromptSite, bool]] = []
        for node in nodes:
            name = _callee_name(node)
            if name is None or name not in names:
                continue
            try:
                result = self._site_for(node)
            except RecursionError:
                result = None
            if result is not None:
                found.append(result)
        for node, callee_index in self._unclosed_calls(tree.root_node, names):
            try:
                result = self._site_for(node, recovered=callee_index)
            except RecursionError:
                result = None
            if result is not None:
                found.append(result)
        sites = []
        for site, standalone in found:
            r = site.range
            key = (r.start.line, r.start.character, r.end.line, r.end.character)
            if standalone and (key in self.consumed or any(_inside(site.range, other.range) for other, s in found if not s and other is not site)):
                continue
            sites.append(site)
        return sites

    def _env_at(self, node) -> tuple[Env, Range | None]:
        scopes = []
        innermost: Range | None = None
        parent = node.parent
        function_types = _FUNCTION_NODES[self.family]
        while parent is not None:
            if parent.type in function_types:
                scopes.append((self.rec.function_scope(self.main, parent), node.start_byte))
                if innermost is None:
                    innermost = self.main.lowering.index.node_range(parent)
            parent = parent.parent
        return Env(self.main, tuple(scopes), node.start_byte if not scopes else None), innermost

    def _unclosed_calls(self, root, names):
        """Calls whose closing parenthesis is not typed yet: tree-sitter leaves them in ERROR nodes."""
        cursor = tree_sitter.QueryCursor(_error_query(self.main.language))
        for error in cursor.captures(root).get("error", []):
            children = error.children
            for i in range(len(children) - 1):
                child = children[i]
                if children[i + 1].type == "(" and child.type in ("attribute", "member_expression", "identifier"):
                    last = child.child_by_field_name("attribute") or child.child_by_field_name("property") or child
                    if last.text.decode("utf-8", "replace") in names:
                        yield error, i

    def _recover_call(self, error, callee_index: int) -> Call | None:
        """A Call from the tokens after ``callee(`` in an ERROR node: kwargs, ``name=[...``, objects."""
        lower = self.main.lowering.lower
        children = error.children
        callee = children[callee_index]
        call = Call("", self.main.lowering.index.node_range(callee), lower(callee))
        i = callee_index + 2
        end_node = callee
        while i < len(children):
            child = children[i]
            if child.type == ")":
                break
            if child.type == "keyword_argument":
                name, value = child.child_by_field_name("name"), child.child_by_field_name("value")
                if name is not None and value is not None:
                    call.kwargs.append((name.text.decode("utf-8", "replace"), lower(value)))
            elif child.type == "identifier" and i + 1 < len(children) and children[i + 1].type == "=":
                name = child.text.decode("utf-8", "replace")
                value_index = i + 2
                if value_index < len(children) and children[value_index].type == "[":
                    items = []
                    j = value_index + 1
                    while j < len(children) and children[j].type != "]":
                        if children[j].is_named:
                            items.append(lower(children[j]))
                        j += 1
                    rng = self.main.lowering.index.node_range(children[value_index])
                    call.kwargs.append((name, Seq("[...", rng, items)))
                    i = j
                elif value_index < len(children):
                    call.kwargs.append((name, lower(children[value_index])))
                    i = value_index
            elif child.is_named and child.type not in ("comment", "ERROR"):
                call.args.append(lower(child))
            end_node = children[min(i, len(children) - 1)]
            i += 1
        start = self.main.lowering.index.node_range(callee).start
        call.range = Range(start=start, end=self.main.lowering.index.node_range(end_node).end)
        call.text = callee.text.decode("utf-8", "replace") + "(..."
        return call

    def _site_for(self, node, recovered: int | None = None):
        call = self._recover_call(node, recovered) if recovered is not None else self.main.lowering.lower(node)
        if recovered is not None:
            node = node.children[recovered]
        if not isinstance(call, Call):
            return None
        env, function_range = self._env_at(node)
        chain = call_chain(call.func)
        if not chain and isinstance(call.func, Attr):
            chain = [call.func.name]
        origin = None
        if chain:
            ref = self._import_ref(chain[0], env)
            if ref is not None and ref.name and ref.name != "default" and ref.name != chain[0]:
                chain = [ref.name, *chain[1:]]  # `from agents import Agent as OAAgent`
            origin = self._origin_module(call, env)
        rows = _ROWS[self.family]
        if origin is not None:
            # same pattern in several SDKs (`chat`): the one the receiver comes from first
            rows = sorted(rows, key=lambda r: (-len(r.api.split(".")), not _module_matches(origin, r.evidence)))
        for row in rows:
            segments = row.api.split(".")
            if chain[-len(segments):] != segments:
                continue
            receiver = None
            if row.receivers:
                receiver = self._receiver(call, row, env)
                if receiver is None:
                    continue
            elif not (row.specific or self._has_evidence(row, call, env)):
                continue
            options = self._options(call, row, env)
            if any(self._option(options, name) is None for name in row.requires):
                continue
            return self._build(call, row, env, options, receiver, function_range), row.standalone
        return None

    def _import_ref(self, name: str, env: Env):
        for scope, _ in env.scopes:
            if name in scope.imports:
                return scope.imports[name]
            if name in scope.bindings or name in scope.params:
                return None
        return self.main.facts.imports.get(name)

    def _origin_module(self, call: Call, env: Env) -> str | None:
        """The module the callee comes from: `ollama.chat` -> ollama, `co = cohere.ClientV2()` -> cohere."""
        root = chain_root(call.func)
        if not isinstance(root, Name):
            return None
        ref = self._import_ref(root.id, env)
        if ref is not None:
            return ref.spec
        value = self.rec.evaluate(root, env)
        if isinstance(value, CallV) and value.chain:
            ref = self._import_ref(value.chain[0], value.env)
            if ref is not None:
                return ref.spec
        return None

    def _imported_modules(self, env: Env) -> set[str]:
        modules = set(self.main.facts.imported_modules)
        for scope, _ in env.scopes:
            modules |= scope.imported_modules
        return modules

    def _has_evidence(self, row: CallPattern, call: Call, env: Env) -> bool:
        if any(_module_matches(m, row.evidence) for m in self._imported_modules(env)):
            return True
        if len(row.api.split(".")) < 2:
            return False
        # a client made elsewhere: `client = OpenAI()` here, or imported from a module that imports the SDK
        root = chain_root(call.func)
        if isinstance(root, Name):
            value = self.rec.evaluate(root, env)
            if isinstance(value, CallV) and value.chain and value.chain[-1] in CLIENT_CONSTRUCTORS:
                return True
            ref = self.main.facts.imports.get(root.id)
            if ref is not None:
                target = self.rec._module_for(self.main, ref, 0)
                if target is not None and any(_module_matches(m, row.evidence) for m in target.facts.imported_modules):
                    return True
        return False

    def _receiver(self, call: Call, row: CallPattern, env: Env):
        if not isinstance(call.func, Attr):
            return None
        expr: Expr | None = call.func.obj
        schema = False
        while isinstance(expr, Call) and isinstance(expr.func, Attr) and expr.func.name in _WRAPPERS:
            schema = schema or _WRAPPERS[expr.func.name]
            expr = expr.func.obj
        value = self.rec.evaluate(expr, env)
        # llm = ChatOpenAI(...).with_structured_output(X): the binding holds the wrapper call
        while isinstance(value, CallV) and isinstance(value.call.func, Attr) and value.call.func.name in _WRAPPERS:
            schema = schema or _WRAPPERS[value.call.func.name]
            value = self.rec.evaluate(value.call.func.obj, value.env)
        if isinstance(value, CallV) and value.chain and value.chain[-1] in row.receivers:
            return value, schema
        return None

    # -- options --------------------------------------------------------------------
    def _options(self, call: Call, row: CallPattern, env: Env) -> dict:
        options: dict = {}
        positional = [a for a in call.args if not isinstance(a, Spread)]
        for i, arg in enumerate(positional):
            if self.family == "js" and isinstance(arg, Mapping):
                self._add_options(options, arg.entries, env)
            elif i < len(row.positional):
                options[row.positional[i]] = (arg, env)
            elif self.family == "js" and i == 0:
                value = self.rec.evaluate(arg, env)
                if isinstance(value, DictV):
                    options.update(value.entries)
        self._add_options(options, call.kwargs, env)
        return options

    def _add_options(self, options: dict, entries, env: Env) -> None:
        """Named options (a JS object's entries, Python keyword arguments); a None key
        is a spread (``...opts`` / ``**opts``) whose value, when known, adds its own."""
        for key, value in entries:
            if key is None:
                spread = self.rec.evaluate(value, env)
                if isinstance(spread, DictV):
                    options.update(spread.entries)
            else:
                options[key] = (value, env)

    def _option(self, options: dict, path: str):
        head, *rest = path.split(".")
        value = options.get(head)
        if isinstance(value, tuple):
            value = self.rec.evaluate(value[0], value[1])
            options[head] = value
        for key in rest:
            value = self._member(value, key)
        return value

    def _member(self, value, key: str):
        if isinstance(value, DictV):
            return value.entries.get(key)
        if isinstance(value, CallV):
            for k, v in value.call.kwargs:
                if k == key:
                    return self.rec.evaluate(v, value.env)
            for arg in value.call.args:
                if isinstance(arg, Mapping):
                    for k, v in arg.entries:
                        if k == key:
                            return self.rec.evaluate(v, value.env)
        return None

    def _option_expr_text(self, options_source: dict, name: str) -> str:
        raw = options_source.get(name)
        if isinstance(raw, tuple):
            expr, env = raw
            text = expr.text
            if isinstance(expr, Name):
                value = self.rec.evaluate(expr, env)
                text += " " + _value_text(value)
            return text
        return _value_text(raw) if raw is not None else ""

    # -- building -------------------------------------------------------------------
    def _build(self, call: Call, row: CallPattern, env: Env, options: dict, receiver, function_range: Range | None) -> PromptSite:
        self.rec.trace.loaded_files = []
        receiver_options: dict = {}
        receiver_schema = False
        if receiver is not None:
            receiver_call, receiver_schema = receiver
            receiver_options = self._options(receiver_call.call, _RECEIVER_ROW, receiver_call.env)
        merged = {**receiver_options, **options}
        raw_for_text = dict(merged)

        model = None
        for name in row.model or ("model",):
            value = self._option(merged, name)
            if value is not None:
                model = _model_name(value, self)
                if model:
                    break
        if model is None and receiver is not None and receiver[0].call.args:
            model = _model_name(self.rec.evaluate(receiver[0].call.args[0], receiver[0].env), self)

        system_parts: list[PromptPart] = []
        for name in row.system:
            value = self._option(merged, name)
            if value is not None:
                system_parts = self._content(value)
                break
        messages: list[Message] = []
        for name in row.messages:
            value = self._option(merged, name)
            if value is not None:
                messages = self._messages(value)
                break
        for name in row.prompt:
            value = self._option(merged, name)
            if value is not None:
                messages.append(Message(role="user", prompt=Prompt(parts=self._content(value))))
                break
        if row.role_option:
            role = _role(self._option(merged, row.role_option))
            if role not in ("system", "developer"):
                system_parts = []
        kept: list[Message] = []
        for message in messages:
            if message.role in ("system", "developer"):
                if system_parts:
                    system_parts.append(PromptPart(kind="text", text="\n\n"))
                system_parts.extend(message.prompt.parts)
            else:
                kept.append(message)
        if row.template == "format":
            system_parts = file_data.split_holes(system_parts, "format")
            kept = [Message(role=m.role, prompt=Prompt(parts=file_data.split_holes(m.prompt.parts, "format")), location=m.location) for m in kept]

        has_schema = receiver_schema or any(
            (v := self._option(merged, name)) is not None and not (isinstance(v, ConstV) and v.value in (None, False))
            for name in row.schema
        )
        site_range = call.range
        system = Prompt(parts=system_parts) if system_parts else None
        retrieval = self._site_retrieval(model, raw_for_text, function_range, system, kept, env)
        return PromptSite(
            kind="call-site", path=self.main.path, range=site_range, sdk=row.sdk, api=row.api, model=model,
            system=system, system_range=self._range_in_file(system_parts), messages=kept,
            has_output_schema=has_schema, retrieval=retrieval, loaded_files=list(self.rec.trace.loaded_files),
        )

    def _range_in_file(self, parts: list[PromptPart]) -> Range | None:
        ranges = [p.location.range for p in parts if p.location is not None and p.location.path == self.main.path]
        if not ranges:
            return None
        start = min(ranges, key=lambda r: (r.start.line, r.start.character)).start
        end = max(ranges, key=lambda r: (r.end.line, r.end.character)).end
        return Range(start=start, end=end)

    # -- messages -------------------------------------------------------------------
    def _messages(self, value) -> list[Message]:
        if isinstance(value, ListV):
            out: list[Message] = []
            for item in value.items:
                out.extend(self._message_items(item))
            return out
        return self._message_items(value)

    def _message_items(self, item) -> list[Message]:
        if isinstance(item, StrV):
            return [Message(role="user", prompt=Prompt(parts=item.parts))]
        if isinstance(item, DictV):
            if "role" not in item.entries and "parts" not in item.entries and "content" not in item.entries:
                return [Message(role="unknown", prompt=Prompt(parts=self._content(item)))]
            content = next((item.entries[k] for k in ("content", "parts", "message", "text") if k in item.entries), None)
            return [Message(role=_role(item.entries.get("role")) if "role" in item.entries else "user", prompt=Prompt(parts=self._content(content)))]
        if isinstance(item, ListV) and len(item.items) == 2 and isinstance(item.items[0], StrV) and item.items[0].is_literal():
            return [Message(role=_role(item.items[0]), prompt=Prompt(parts=self._content(item.items[1])))]
        if isinstance(item, CallV):
            name = item.chain[-2] if len(item.chain) > 1 and item.chain[-1] in _TEMPLATE_METHODS else (item.chain[-1] if item.chain else "")
            if name in MESSAGE_CONSTRUCTORS:
                self.consumed.add(_range_key(item.call.range))
                role = MESSAGE_CONSTRUCTORS[name]
                if role == "unknown":
                    role = _role(self._member(item, "role") or (self.rec.evaluate(item.call.args[0], item.env) if item.call.args and name in ("ChatMessagePromptTemplate",) else None))
                if name == "MessagesPlaceholder":
                    hole = item.call.args[0].text if item.call.args else item.call.text
                    variable = self._member(item, "variable_name")
                    if isinstance(variable, StrV) and variable.is_literal():
                        hole = variable.literal
                    elif item.call.args:
                        first = self.rec.evaluate(item.call.args[0], item.env)
                        if isinstance(first, StrV) and first.is_literal():
                            hole = first.literal
                    return [Message(role="unknown", prompt=Prompt(parts=[PromptPart(kind="hole", text=hole, location=item.location)]))]
                content = self._member(item, "content") or self._member(item, "parts") or self._member(item, "template")
                if content is None and item.call.args:
                    content = self.rec.evaluate(item.call.args[0], item.env)
                return [Message(role=role, prompt=Prompt(parts=self._content(content)), location=item.location)]
            if item.chain and item.chain[-1] in ("to_messages", "format_messages", "toChatMessages", "formatMessages"):
                return [Message(role="unknown", prompt=Prompt(parts=[PromptPart(kind="hole", text=item.call.text, location=item.location)]))]
        if isinstance(item, UnknownV):
            return [Message(role="unknown", prompt=Prompt(parts=[PromptPart(kind="hole", text=item.text, location=item.location)]))]
        return [Message(role="unknown", prompt=Prompt(parts=self._content(item)))]

    def _content(self, value) -> list[PromptPart]:
        if isinstance(value, StrV):
            return list(value.parts)
        if isinstance(value, ListV):
            parts: list[PromptPart] = []
            for block in value.items:
                block_parts = self._content(block)
                if not block_parts:
                    continue
                if parts:
                    parts.append(PromptPart(kind="text", text="\n"))
                parts.extend(block_parts)
            return parts
        if isinstance(value, DictV):
            for key in ("text", "content", "parts"):
                if key in value.entries:
                    return self._content(value.entries[key])
            return []  # an image or file block: not text
        if isinstance(value, CallV):
            for key in ("text", "parts", "content"):
                member = self._member(value, key)
                if member is not None:
                    return self._content(member)
            if value.chain and value.chain[-1] in ("from_text", "fromText") and value.call.args:
                return self._content(self.rec.evaluate(value.call.args[0], value.env))
            if value.alias:
                return [PromptPart(kind="hole", text=value.alias, location=value.alias_location)]
            return [PromptPart(kind="hole", text=value.call.text, location=value.location)]
        if isinstance(value, UnknownV):
            return [PromptPart(kind="hole", text=value.text or "?", location=value.location)]
        if value is None or isinstance(value, ConstV):
            return []
        return [PromptPart(kind="hole", text="?")]

    # -- retrieval feeding this call ------------------------------------------------
    def _site_retrieval(self, model, options: dict, function_range: Range | None, system, messages, env: Env) -> list[Evidence]:
        evidence: list[Evidence] = []
        if model and any(marker in model.lower() for marker in SEARCH_MODEL_MARKERS):
            evidence.append(Evidence(message=f"search-backed model: {model}"))
        for name in ("tools", "config", "tool_resources", "toolConfig"):
            text = self._option_expr_text(options, name) if name in options else ""
            marker = next((m for m in SEARCH_TOOL_MARKERS if m in text), None)
            if marker:
                evidence.append(Evidence(message=f"search tool passed in `{name}`: {marker}"))
        if function_range is not None:
            for e in self.file_retrieval:
                if e.location is not None and _inside(e.location.range, function_range):
                    evidence.append(Evidence(message=f"in the same function: {e.message}", location=e.location))
        holes = [p for p in (system.parts if system else []) if p.kind == "hole"]
        for m in messages:
            holes.extend(p for p in m.prompt.parts if p.kind == "hole")
        seen: set[str] = set()
        for hole in holes:
            for name in _IDENTIFIER.findall(hole.text):
                if name in seen:
                    continue
                seen.add(name)
                found = self._trace_retrieval(name, env, depth=0, visited=set())
                if found is not None:
                    evidence.append(found)
            needle = mentions_retrieval(hole.text)
            if needle:
                evidence.append(Evidence(message=f"prompt interpolates retrieval: {needle}", location=hole.location))
        unique: list[Evidence] = []
        for e in evidence:
            if e not in unique:
                unique.append(e)
        return unique

    def _binding_of(self, name: str, env: Env):
        for scope, at in env.scopes:
            if name in scope.bindings:
                candidates = [b for b in scope.bindings[name] if b.kind == "assign" and (at is None or b.at < at)]
                return candidates[-1] if candidates else None
            if name in scope.params:
                return None
        bindings = [b for b in self.main.facts.bindings.get(name, []) if b.kind == "assign"]
        return bindings[-1] if bindings else None

    def _function_text(self, name: str) -> str:
        info = self.main.facts.functions.get(name)
        if info is None:
            return ""
        if self._source_bytes is None:
            self._source_bytes = self.main.text.encode("utf-8", "surrogatepass")
        return self._source_bytes[info.start_byte:info.end_byte].decode("utf-8", "replace")

    def _trace_retrieval(self, name: str, env: Env, depth: int, visited: set[str]) -> Evidence | None:
        if depth > 3 or name in visited:
            return None
        visited.add(name)
        binding = self._binding_of(name, env)
        if binding is None or binding.expr is None:
            return None
        expr = binding.expr
        where = Location(path=self.main.path, range=binding.range) if binding.range is not None else None
        needle = mentions_retrieval(expr.text)
        if needle:
            return Evidence(message=f"`{name}` is filled from retrieval: {needle}", location=where)
        callee = call_chain(expr.func) if isinstance(expr, Call) else []
        if callee:
            body = self._function_text(callee[-1]) if len(callee) == 1 else ""
            needle = mentions_retrieval(body) if body else None
            if needle:
                return Evidence(message=f"`{name}` is filled by {callee[-1]}(), which uses retrieval: {needle}", location=where)
            if _CONTEXT_NAME.search(name) and _SEARCHY_CALL.search(callee[-1]):
                return Evidence(message=f"`{name}` is filled from a search: {'.'.join(callee)}()", location=where)
        for ident in _IDENTIFIER.findall(expr.text):
            found = self._trace_retrieval(ident, env, depth + 1, visited)
            if found is not None:
                return found
        return None


_RECEIVER_ROW = CallPattern("receiver", "", positional=("model",))


def _range_key(r: Range) -> tuple[int, int, int, int]:
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def _inside(inner: Range, outer: Range) -> bool:
    return (outer.start.line, outer.start.character) <= (inner.start.line, inner.start.character) and (
        inner.end.line, inner.end.character) <= (outer.end.line, outer.end.character) and inner != outer


def _role(value) -> str:
    if isinstance(value, StrV) and value.is_literal():
        return ROLE_NAMES.get(value.literal.strip().lower(), "unknown")
    if isinstance(value, UnknownV) and value.text:
        return ROLE_NAMES.get(value.text.rsplit(".", 1)[-1].strip().lower(), "unknown")
    return "unknown"


def _model_name(value, builder: SiteBuilder) -> str | None:
    if isinstance(value, StrV):
        return value.literal if value.is_literal() and value.literal else None
    if isinstance(value, UnknownV) and value.fallback is not None:
        return _model_name(value.fallback, builder)
    if isinstance(value, CallV):
        for key in ("model", "model_name", "modelId", "modelName"):
            member = builder._member(value, key)
            if member is not None:
                return _model_name(member, builder)
        if value.call.args:
            return _model_name(builder.rec.evaluate(value.call.args[0], value.env), builder)
    return None


def _value_text(value) -> str:
    if isinstance(value, StrV):
        return value.literal
    if isinstance(value, ListV):
        return " ".join(_value_text(v) for v in value.items)
    if isinstance(value, DictV):
        return " ".join(f"{k} {_value_text(v)}" for k, v in value.entries.items())
    if isinstance(value, CallV):
        return value.call.text
    if isinstance(value, UnknownV):
        return value.text
    return ""
