"""## What it does
Flags a prompt that spends many tokens describing the JSON its answer must follow
("Respond only with JSON in this format: {...}") on a call that passes no
structured-output parameter (`response_format`, a tool schema, `response_schema`,
`output_type`...).  The span from the format instruction to the end of the described
structure is counted with the model's tokenizer; the threshold is 150 tokens
(`schema-prompt-tokens`), ragtune's own default since the seeds give no figure: about
a dozen described fields.

## Why is this bad?
The schema is paid for on every request and still only *asked for*: the model may
answer with prose, fences or a missing field, which is what retry loops (FT203) and
output repair (FT204) then paper over.  Seed 003 lists "We need every response in this
strict JSON schema" as a fine-tuning-shaped workload and "trying to enforce strict
output format through prompt engineering" as the mirror mistake.  The message states
the tokens and their cost per 1,000 requests.

## Example
```python
SYSTEM = '''Respond only with JSON in exactly this format:
{"ticket_id": string, "category": ..., "priority": ..., "summary": ..., ...}'''
client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": SYSTEM}, ...])
```

## Use instead
First the provider's structured outputs: pass the schema (`response_format` with a
JSON schema, a forced tool, `response_schema`, zod `schema` in `generateObject`) and
keep one line of instruction.  When the format cannot be expressed as a schema
(a custom markup, a layout), fine-tune it (seed 003: "Stable, structured output format
→ Fine-tuning").

## Fix safety
No automatic fix: writing the schema as a type and switching the call changes what
the call returns.

## Source
Seed `003_68cbcc4763a1f380.txt` (strict JSON schema as a fine-tuning workload; "the
trap of RAG for behavior").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...models import Evidence, Finding, Remedy
from ..base import FileContext, measure_prompt
from .prompt_spans import sent_prompts, span_range, structured_output_hint

# An instruction that the answer must be JSON in a described shape.
_INSTRUCTION = re.compile(
    r"(?:\b(?:respond|reply|answer|return|output|format|produce|emit|give)\b[^\n.]{0,80}?\bjson\b"
    r"|\bjson\b[^\n.]{0,40}?\b(?:format|schema|object|structure|shape)\b"
    r"|\b(?:following|this|exact)\s+(?:json\s+)?(?:schema|format|structure)\b)",
    re.IGNORECASE,
)
# A key as written in a described object: "name": / name: (in a JSON or TS-like block)
_KEY = re.compile(r"""["']?[A-Za-z_][\w-]*["']?\s*:""")
_MAX_LOOKAHEAD = 6000  # characters after the instruction searched for the structure


def _structure_end(text: str, start: int) -> int | None:
    """End offset of the described structure following ``start``: the balanced
    ``{...}`` block(s) with at least two keys, plus field bullet lists."""
    limit = min(len(text), start + _MAX_LOOKAHEAD)
    end = None
    i = text.find("{", start, limit)
    while i != -1:
        depth, j = 0, i
        while j < limit:
            c = text[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if depth != 0:
            break
        block = text[i : j + 1]
        if len(_KEY.findall(block)) >= 2:
            end = j + 1
        nxt = text.find("{", j + 1, limit)
        # further blocks count only when close (a nested description, an example)
        if nxt == -1 or text[j + 1 : nxt].count("\n") > 6:
            break
        i = nxt
    return end


def find_schema_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        m = _INSTRUCTION.search(text, pos)
        if m is None:
            return spans
        end = _structure_end(text, m.start())
        if end is None:
            pos = m.end()
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        spans.append((line_start, end))
        pos = end


def check(ctx: FileContext) -> Iterator[Finding]:
    limit = ctx.settings.thresholds.schema_prompt_tokens
    for site in ctx.sites:
        if site.kind != "call-site" or site.has_output_schema:
            continue
        for prompt in sent_prompts(site):
            text = prompt.text
            if "{" not in text or not _INSTRUCTION.search(text):
                continue
            for start, end in find_schema_spans(text):
                cost = measure_prompt(text[start:end], ctx.model_for(site), ctx.prices)
                if cost.tokens < limit:
                    continue
                rng = span_range(prompt, start, end, ctx.path) or site.system_range or site.range
                message = (
                    f"The prompt spends {cost.tokens_phrase()} describing its output JSON, sent on every request "
                    f"({cost.cost_phrase()}{cost.daily_phrase(ctx.settings.requests_per_day)}), and the call passes "
                    f"no output schema, so the format is only asked for. Pass the schema as "
                    f"{structured_output_hint(site.sdk)} and keep one line of instruction; fine-tune when the "
                    f"format cannot be expressed as a schema."
                )
                yield ctx.finding(
                    "FT205",
                    message,
                    rng,
                    evidence=[Evidence(message=f"the {site.sdk or 'LLM'} call sending this prompt, without a structured-output parameter", location=ctx.location(site.range))],
                    figures={**cost.figures("schema_"), "threshold": limit, "sdk": site.sdk or ""},
                    remedy=Remedy.STRUCTURED_OUTPUT,
                )
                break  # one finding per prompt
