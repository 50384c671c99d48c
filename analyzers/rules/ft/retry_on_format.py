"""## What it does
Flags code that calls a model again *because its output failed to parse or
validate*:

- a `while` loop, a counted `for` loop (`for attempt in range(3)`,
  `for (let i = 0; i < 3; i++)`) or a `do` loop around the call that parses or
  validates the answer (`json.loads`, `model_validate`, `parse_raw`, `JSON.parse`,
  zod `.parse`, a regex or `<answer>` tag check) and tries again from an
  `except`/`catch` or with `continue`;
- a function that calls the model and parses, decorated with tenacity `@retry` or
  `backoff`, or wrapped in `pRetry`;
- a function that calls itself again when parsing fails
  (`return self.convert(text, attempt + 1)`);
- library re-asks: instructor `max_retries`, guardrails `on_fail="reask"` /
  `num_reasks`, LangChain `OutputFixingParser` / `RetryOutputParser` /
  `RetryWithErrorOutputParser`, TypeChat translators (they send a repair prompt when
  validation fails), Vercel AI SDK `experimental_repairText`.

Not flagged: retries on rate limits, timeouts and connection errors only
(`RateLimitError`, `APIConnectionError`, status 429), `max_retries=0`, a client's
`max_retries` (transport), and loops over a collection that skip bad items.

## Why is this bad?
Retry is not bad in itself: instructor, guardrails and magentic re-ask by design.  But
each re-ask re-sends the whole prompt, and a format that fails often enough to need a
loop is behaviour the model has not learnt.  Seed 003 lists "frequent format failures
requiring retry logic" as a symptom of enforcing format through prompting.  The
message sizes the worst case: prompt tokens re-sent per attempt × attempts, its cost
per 1,000 requests, and notes when the failed answer and the error are appended to
the conversation, so that each attempt is longer than the last.

## Example
```python
for attempt in range(3):
    resp = client.chat.completions.create(model="gpt-4o", messages=messages)
    try:
        return Ticket.model_validate_json(resp.choices[0].message.content)
    except ValidationError as err:
        messages.append({"role": "user", "content": f"Invalid JSON: {err}. Try again."})
```

## Use instead
First the provider's structured outputs: `response_format` with a JSON schema, a
forced tool/function schema, `response_schema`, `generateObject` with a zod schema.
The output then parses on the first attempt.  When the format is beyond a schema
(tags, custom markup, validation rules a schema cannot state) or the call already
passes a schema and still fails validation, fine-tune the format (seed 003: "Stable,
structured output format → Fine-tuning").

## Fix safety
For a Python OpenAI `chat.completions.create` call whose output is validated with a
pydantic model defined in the same file, the fix switches the call to
`chat.completions.parse(response_format=Model, ...)`.  It is unsafe: the response's
shape changes (`message.parsed` holds the object; the old parsing and the retry loop
become dead code to remove by hand), the schema must be one the strict mode accepts,
and older SDK versions lack the helper.  Other shapes have no automatic fix.

## Source
Seed `003_68cbcc4763a1f380.txt` ("Frequent format failures requiring retry logic";
"Stable, structured output format → Fine-tuning"); DESIGN §2 (retry is not bad in
itself; size = tokens re-sent per attempt × maximum attempts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...models import Applicability, Evidence, FileEdit, Finding, Fix, PromptSite, Range, Remedy, TextEdit
from ...prices import format_money
from ..base import FileContext, measure_prompt
from .code_shapes import notebook_aware, FileShapes, callee_text, contains_any, file_shapes, int_or_constant
from .prompt_spans import sent_prompts, structured_output_hint

# Substrings that make a file without call sites worth parsing for library re-asks.
# a file with no call site is only looked at when one of these occurs in it
FILE_NEEDLES = LIBRARY_NEEDLES = (
    "max_retries", "reask", "OutputFixingParser", "RetryOutputParser", "RetryWithErrorOutputParser",
    "Translator", "experimental_repairText",
)
_LANGCHAIN_RETRY = ("OutputFixingParser", "RetryOutputParser", "RetryWithErrorOutputParser")
_TYPECHAT = ("createJsonTranslator", "createZodJsonTranslator", "createTypeScriptJsonTranslator", "TypeChatJsonTranslator")
_RETRY_WRAPPERS = ("pRetry", "retry", "asyncRetry", "backoff")
_DECORATOR = re.compile(r"^@\s*(?:tenacity\s*\.\s*)?retry\b|^@\s*backoff\s*\.\s*on_(?:exception|predicate)\b|^@\s*retry_\w+")
_APPEND = re.compile(r"\b\w*(?:messages|history|conversation|prompt)\w*\s*(?:\.\s*(?:append|push|extend)\s*\(|\+=)|\.\.\.\s*\w*messages", re.I)


@dataclass
class RetryShape:
    kind: str  # what the message calls it
    node: object  # where to report when there is no site
    attempts: int | None
    check: str  # "parse" or "tags"
    appends: bool = False
    library: bool = False


@notebook_aware
def check(ctx: FileContext) -> Iterator[Finding]:
    shapes = file_shapes(ctx, LIBRARY_NEEDLES)
    if shapes is None:
        return
    reported: set[tuple[int, int]] = set()
    for site, node in shapes.call_sites():
        shape = _loop_shape(shapes, node) or _wrapper_shape(shapes, node) or _recursion_shape(shapes, node)
        if shape is None:
            continue
        key = (site.range.start.line, site.range.start.character)
        reported.add(key)
        yield _finding(ctx, shapes, shape, site, site.range)
    for shape in _library_shapes(shapes):
        rng = shapes.range(shape.node)
        site = _site_at(ctx, shape.node, shapes)
        key = (site.range.start.line, site.range.start.character) if site else (rng.start.line, rng.start.character)
        if key in reported:
            continue
        reported.add(key)
        yield _finding(ctx, shapes, shape, site, rng)


# -- shapes ---------------------------------------------------------------------


def _checks(shapes: FileShapes, node) -> str | None:
    if shapes.parse_calls(node):
        return "parse"
    if shapes.tag_checks(node):
        return "tags"
    return None


def _loop_shape(shapes: FileShapes, call) -> RetryShape | None:
    n = call.parent
    while n is not None and n.type not in ("function_definition", "function_declaration", "method_definition", "arrow_function", "function_expression"):
        attempts = _retry_loop_attempts(shapes, n)
        if attempts is not False:
            check = _checks(shapes, n)
            if check is None:
                return None
            handlers = shapes.handlers(n)
            format_handlers = [h for h in handlers if not shapes.handler_is_transport_only(h)]
            outside_continue = any(
                not any(h.start_byte <= c.start_byte < h.end_byte for h in handlers)
                for c in shapes.nodes(("continue_statement",), n)
            )
            if not format_handlers and not outside_continue:
                return None  # retries on transport errors only, or a loop that does not retry
            body = "".join(shapes.text(h) for h in format_handlers) or shapes.text(n)
            return RetryShape("a retry loop", n, attempts, check, appends=bool(_APPEND.search(body)))
        n = n.parent
    return None


def _retry_loop_attempts(shapes: FileShapes, n) -> int | None | bool:
    """Attempts a loop allows (None when unknown), or False when it is not a retry loop."""
    if n.type in ("while_statement", "do_statement"):
        cond = n.child_by_field_name("condition")
        text = shapes.text(cond) if cond is not None else ""
        m = re.search(r"[<>]=?\s*([\w.]+)", text)
        if m:
            value = int_or_constant(shapes, m.group(1))
            return value + (1 if "<=" in text else 0) if value is not None else None
        return None
    if n.type == "for_statement" and shapes.python:
        right = n.child_by_field_name("right")
        if right is None or right.type != "call" or callee_text(right, shapes.source) != "range":
            return False  # iterating a collection: skipping bad items, not retrying
        arglist = right.child_by_field_name("arguments")
        args = list(arglist.named_children) if arglist is not None else []
        values = [int_or_constant(shapes, shapes.text(a)) for a in args]
        if len(values) == 1 and values[0] is not None:
            return values[0]
        if len(values) >= 2 and values[0] is not None and values[1] is not None:
            return max(values[1] - values[0], 0)
        return None
    if n.type == "for_statement":  # JS counted loop
        cond = n.child_by_field_name("condition")
        if cond is None:
            return None
        text = shapes.text(cond)
        m = re.search(r"<(=?)\s*([\w.]+)", text)
        if m:
            value = int_or_constant(shapes, m.group(2))
            return value + (1 if m.group(1) else 0) if value is not None else None
        return None
    return False


def _wrapper_shape(shapes: FileShapes, call) -> RetryShape | None:
    fn = shapes.function_of(call)
    if fn is None:
        return None
    check = _checks(shapes, fn)
    if check is None:
        return None
    parent = fn.parent
    if parent is not None and parent.type == "decorated_definition":
        for dec in parent.children:
            if dec.type != "decorator":
                continue
            text = shapes.text(dec)
            if not _DECORATOR.search(text):
                continue
            if _transport_only(text):
                return None
            m = re.search(r"(?:stop_after_attempt|max_tries|max_attempts|tries)\s*[(=]\s*([\w.]+)", text)
            attempts = int_or_constant(shapes, m.group(1)) if m else None
            label = "backoff" if "backoff" in text else "tenacity @retry"
            return RetryShape(f"a {label} decorator", dec, attempts, check)
    # JS: pRetry(async () => { ... }, { retries: 3 })
    outer = fn.parent.parent if fn.parent is not None and fn.parent.type == "arguments" else None
    if outer is not None and outer.type == "call_expression":
        name = callee_text(outer, shapes.source).split(".")[-1]
        if name in _RETRY_WRAPPERS and not _transport_only(shapes.text(outer)[len(shapes.text(fn)) :]):
            m = re.search(r"retries\s*:\s*([\w.]+)", shapes.text(outer))
            retries = int_or_constant(shapes, m.group(1)) if m else None
            return RetryShape(f"a {name}() wrapper", outer, retries + 1 if retries is not None else None, check)
    return None


def _transport_only(text: str) -> bool:
    from .code_shapes import FORMAT_ERRORS, TRANSPORT

    return bool(TRANSPORT.search(text)) and not FORMAT_ERRORS.search(text)


def _recursion_shape(shapes: FileShapes, call) -> RetryShape | None:
    fn = shapes.function_of(call)
    if fn is None:
        return None
    name = shapes.function_name(fn)
    if not name:
        return None
    check = _checks(shapes, fn)
    if check is None:
        return None
    for inner in shapes.calls(fn):
        callee = callee_text(inner, shapes.source)
        if callee not in (name, f"self.{name}", f"this.{name}", f"cls.{name}"):
            continue
        handler = shapes.enclosing(inner, ("except_clause", "catch_clause"))
        if handler is not None and shapes.handler_is_transport_only(handler):
            continue
        text = shapes.text(fn)
        m = re.search(r"\b\w*(?:attempt|retr|tries|depth)\w*\s*(>=|>|<|<=)\s*([\w.]+)", text, re.I)
        attempts = None
        if m:
            value = int_or_constant(shapes, m.group(2))
            if value is not None:
                # the call runs once more at the attempt the guard stops at
                attempts = value + 2 if m.group(1) in (">", "<=") else value + 1
        return RetryShape("a recursive re-call", inner, attempts, check, appends=bool(_APPEND.search(text)))
    return None


def _options(shapes: FileShapes, call) -> dict[str, object]:
    """Keyword arguments (Python) or the properties of object arguments (JS)."""
    out: dict[str, object] = {}
    args = call.child_by_field_name("arguments")
    if args is None:
        return out
    for a in args.named_children:
        if a.type == "keyword_argument":
            name, value = a.child_by_field_name("name"), a.child_by_field_name("value")
            if name is not None and value is not None:
                out[shapes.text(name)] = value
        elif a.type == "object":
            for p in a.named_children:
                if p.type == "pair":
                    key, value = p.child_by_field_name("key"), p.child_by_field_name("value")
                    if key is not None and value is not None:
                        out[shapes.text(key).strip("\"'")] = value
    return out


def _library_shapes(shapes: FileShapes) -> Iterator[RetryShape]:
    text = shapes.ctx.text
    if not contains_any(text, LIBRARY_NEEDLES):
        return
    for call in shapes.calls():
        callee = callee_text(call, shapes.source)
        last = callee.split(".")[-1]
        opts = _options(shapes, call)
        if "max_retries" in opts and "response_model" in opts:
            value = int_or_constant(shapes, shapes.text(opts["max_retries"]))
            if value != 0:
                yield RetryShape("instructor's max_retries re-ask", opts["max_retries"], value + 1 if value else None, "parse", appends=True, library=True)
            continue
        on_fail = opts.get("on_fail")
        if on_fail is not None and "reask" in shapes.text(on_fail).lower():
            yield RetryShape('guardrails on_fail="reask"', on_fail, None, "parse", appends=True, library=True)
            continue
        reasks = opts.get("num_reasks")
        if reasks is not None:
            value = int_or_constant(shapes, shapes.text(reasks))
            if value != 0:
                yield RetryShape("guardrails num_reasks", reasks, value + 1 if value else None, "parse", appends=True, library=True)
            continue
        if any(name in callee for name in _LANGCHAIN_RETRY):
            kind = next(name for name in _LANGCHAIN_RETRY if name in callee)
            m = opts.get("max_retries")
            value = int_or_constant(shapes, shapes.text(m)) if m is not None else 1  # LangChain's default
            if value != 0:
                yield RetryShape(f"LangChain {kind}", call, value + 1 if value else None, "parse", appends=kind != "OutputFixingParser", library=True)
            continue
        if last in _TYPECHAT and not re.search(r"attemptRepair\s*=\s*false", text):
            yield RetryShape("a TypeChat translator's repair prompt", call, 2, "parse", appends=True, library=True)
            continue
        repair = opts.get("experimental_repairText")
        if repair is not None:
            yield RetryShape("the AI SDK's experimental_repairText", repair.parent, None, "parse", library=True)


def _site_at(ctx: FileContext, node, shapes: FileShapes) -> PromptSite | None:
    line = node.start_point[0]
    for site in ctx.sites:
        if site.kind == "call-site" and site.range.start.line <= line <= site.range.end.line:
            return site
    return None


# -- message ------------------------------------------------------------------------


def _finding(ctx: FileContext, shapes: FileShapes, shape: RetryShape, site: PromptSite | None, rng: Range) -> Finding:
    what = "match the expected tags" if shape.check == "tags" else "parse or validate"
    figures: dict = {"shape": shape.kind, "check": shape.check}
    if shape.attempts:
        figures["attempts"] = shape.attempts
    sizing = ""
    literal = "\n".join(p.literal_text for p in sent_prompts(site)) if site is not None else ""
    if site is not None and not literal.strip():
        # only holes: the prompt's size is known at run time alone
        times = f"{shape.attempts} attempts" if shape.attempts else "every attempt"
        sizing = f" Worst case: {times}, each re-sending the whole prompt (its text is only known at run time)."
    elif site is not None:
        text = literal
        model = ctx.model_for(site)
        cost = measure_prompt(text, model, ctx.prices)
        figures.update(cost.figures("prompt_"))
        if shape.attempts:
            worst = cost.tokens * shape.attempts
            figures["worst_case_tokens"] = worst
            money = ctx.prices.cost_per_1k_requests(worst, model)
            if money is not None:
                figures["worst_case_cost_per_1k_requests"] = round(money, 6)
            money_text = f", {format_money(money, ctx.prices.currency)} per 1,000 requests on {model}" if money is not None else ""
            sizing = (
                f" Worst case: {shape.attempts} attempts × {cost.tokens_phrase()} of prompt re-sent = "
                f"{worst:,} tokens{money_text}."
            )
        else:
            sizing = f" Each attempt re-sends the prompt, {cost.tokens_phrase()} ({cost.cost_phrase()}); the number of attempts is not stated."
    elif shape.attempts:
        sizing = f" Worst case: {shape.attempts} attempts, each re-sending the prompt."
    growth = (
        " The failed answer and the error are appended to the conversation, so each attempt is longer than the last."
        if shape.appends
        else ""
    )
    has_schema = site is not None and site.has_output_schema
    if shape.check == "tags" or has_schema:
        remedy = Remedy.FINE_TUNE
        why = "the call already passes a schema, so what fails is beyond it" if has_schema else "tags are a format beyond a JSON schema"
        advice = f" Here {why}: fine-tune the format (seed 003: \"frequent format failures requiring retry logic\")."
        if not has_schema:
            advice += f" Or carry the answer in a field of a structured output ({structured_output_hint(site.sdk if site else None)})."
    else:
        remedy = Remedy.STRUCTURED_OUTPUT
        advice = (
            f" Pass the schema as {structured_output_hint(site.sdk if site else None)} so the output parses the first time; "
            f"fine-tune the format when it is beyond a schema (seed 003: \"frequent format failures requiring retry logic\")."
        )
    subject = f"This {site.sdk} call" if site is not None and site.sdk else "The model"
    message = f"{subject} is called again when its output fails to {what} ({shape.kind}).{sizing}{growth}{advice}"
    evidence = [Evidence(message=f"the retry: {shape.kind}", location=ctx.location(shapes.range(shape.node)))]
    return ctx.finding(
        "FT203", message, rng, evidence=evidence, figures=figures, remedy=remedy,
        fix=_parse_fix(ctx, shapes, shape, site) if site is not None and not has_schema else None,
    )


def _parse_fix(ctx: FileContext, shapes: FileShapes, shape: RetryShape, site: PromptSite) -> Fix | None:
    if not shapes.python or site.sdk != "openai" or site.api != "chat.completions.create":
        return None
    models = set(re.findall(r"^class\s+(\w+)\s*\(\s*(?:pydantic\s*\.\s*)?BaseModel\s*\)", ctx.text, re.M))
    validated = None
    for c in shapes.parse_calls(shape.node):
        m = re.match(r"(\w+)\.(?:model_validate_json|model_validate|parse_raw|parse_obj)$", callee_text(c, shapes.source))
        if m and m.group(1) in models:
            validated = m.group(1)
            break
    call = shapes.site_node(site)
    fn = call.child_by_field_name("function") if call is not None else None
    attr = fn.child_by_field_name("attribute") if fn is not None and fn.type == "attribute" else None
    args = call.child_by_field_name("arguments") if call is not None else None
    if validated is None or attr is None or shapes.text(attr) != "create" or args is None:
        return None
    open_paren = shapes.range(args).start
    insert_at = Range.of(open_paren.line, open_paren.character + 1, open_paren.line, open_paren.character + 1)
    return Fix(
        title=f"Use chat.completions.parse with response_format={validated}",
        applicability=Applicability.UNSAFE,
        file_edits=[FileEdit(path=ctx.path, edits=[
            TextEdit(range=shapes.range(attr), new_text="parse"),
            TextEdit(range=insert_at, new_text=f"response_format={validated}, "),
        ])],
    )
