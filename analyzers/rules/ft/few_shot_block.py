"""## What it does
Flags a block of few-shot examples sent with every request when it reaches twenty
examples or 3,000 tokens (both configurable), and notes smaller blocks from ten
examples as a hint.  Examples are counted as user/assistant turns before the final
user message (inline or loaded from a JSON/YAML file) or as examples written into the
prompt text (`<example>` tags, "Example 3:" headings, `Input:`/`Output:` pairs).

## Why is this bad?
A few examples are good prompting.  The problem is size: a large block paid for on
every request to get a format or a decision rule right is behaviour that a fine-tune
learns once.  Seed 003: "Prompt files with twenty examples just to get the format
right", and "We're paying for 8,000 tokens of few-shot examples on every request and
want to bake them in."  The examples are also the start of the fine-tuning dataset.

## Example
```python
messages = [{"role": "system", "content": SYSTEM}, *FEW_SHOT_PAIRS, {"role": "user", "content": ticket}]
```
with `FEW_SHOT_PAIRS` holding 24 user/assistant turns.

## Use instead
Export the examples to a chat-format JSONL file, grow it to a few hundred examples
(seed 003: 200-2,000 for style and format), fine-tune a LoRA adapter, and send only
the final user turn.

## Fix safety
The fix creates a new JSONL file beside the prompt with one chat-format example per
pair; it never overwrites a file and does not change the prompt.  It is safe.

## Source
Seed `003_68cbcc4763a1f380.txt` (twenty examples; 8,000 tokens of few-shot examples;
data amounts); DESIGN §2 (do not frame a few examples as bad).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ...few_shot import FewShotBlock, find_few_shot_block
from ...models import Applicability, Evidence, Finding, Fix, NewFile, Range, Severity
from ..base import FileContext, measure_prompt, text_offset_to_location


def check(ctx: FileContext) -> Iterator[Finding]:
    t = ctx.settings.thresholds
    for site in ctx.sites:
        block = find_few_shot_block(site)
        if block is None:
            continue
        if block.source == "prompt text" and site.system is not None and site.kind == "call-site" and ctx.reported_elsewhere(site.system):
            continue
        cost = measure_prompt(block.text, ctx.model_for(site), ctx.prices)
        warn = block.count >= t.few_shot_examples or cost.tokens >= t.few_shot_tokens
        if not warn and block.count < t.few_shot_hint_examples:
            continue
        where = "as message turns" if block.source == "messages" else "in the prompt text"
        message = (
            f"{block.count} few-shot examples, {cost.tokens_phrase()}, are sent {where} with every request: "
            f"{cost.cost_phrase()}{cost.daily_phrase(ctx.settings.requests_per_day)}."
        )
        if warn:
            reasons = []
            if block.count >= t.few_shot_examples:
                reasons.append(f"{block.count} ≥ {t.few_shot_examples} examples")
            if cost.tokens >= t.few_shot_tokens:
                reasons.append(f"{cost.tokens:,} ≥ {t.few_shot_tokens:,} tokens")
            tail = cost.break_even_phrase("these examples")
            message += (
                f" A block this large ({', '.join(reasons)}) teaches behaviour a fine-tune learns once; "
                f"export it as the start of a training set" + (f" — {tail}." if tail else ".")
            )
            severity = None
        else:
            message += (
                f" Fine at this size; past {t.few_shot_examples} examples or {t.few_shot_tokens:,} tokens "
                f"a fine-tune is the cheaper way to teach this behaviour."
            )
            severity = Severity.HINT
        yield ctx.finding(
            "FT202",
            message,
            _range_of(site, block),
            evidence=_evidence(site, block),
            fix=_export_fix(ctx, site, block),
            figures={**cost.figures(), "examples": block.count, "threshold_examples": t.few_shot_examples, "threshold_tokens": t.few_shot_tokens},
            severity=severity,
        )


def _range_of(site, block: FewShotBlock):
    if block.source == "messages":
        first = next((m.location for m in block.messages if m.location and m.location.path == site.path), None)
        if first is not None:
            return first.range
        return site.range
    if site.system is not None:
        start = text_offset_to_location(site.system, block.start)
        end = text_offset_to_location(site.system, max(block.start, block.end - 1))
        if end is not None and not site.system.text[block.end :].strip():
            # the block runs to the end of the literal: include its closing quote's line
            end = next((p.location for p in reversed(site.system.parts) if p.kind == "text" and p.text.strip() and p.location), end)
        if start is not None and start.path == site.path:
            if end is not None and end.path == site.path and end.range.end.line >= start.range.start.line:
                # the whole block, so a comment after its closing quote can suppress it
                return Range(start=start.range.start, end=end.range.end)
            return start.range
    return site.system_range or site.range


def _evidence(site, block: FewShotBlock) -> list[Evidence]:
    out = []
    if block.source == "messages":
        seen = []
        for m in block.messages:
            if m.location and m.location not in seen:
                seen.append(m.location)
        for loc in seen[:4]:
            out.append(Evidence(message="example turn", location=loc))
    for pair in block.pairs[:3]:
        out.append(Evidence(message=f"example: {pair.input.strip()[:60]!r} → {pair.output.strip()[:60]!r}"))
    return out


def _export_fix(ctx: FileContext, site, block: FewShotBlock) -> Fix | None:
    if not block.pairs:
        return None
    system = ""
    if block.source == "messages" and site.system is not None:
        system = site.system.text
    lines = []
    for pair in block.pairs:
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": pair.input},
            {"role": "assistant", "content": pair.output},
        ]
        lines.append(json.dumps({"messages": messages}, ensure_ascii=False))
    target = _free_path(Path(site.path))
    if target is None:
        return None
    return Fix(
        title=f"Export {len(block.pairs)} few-shot examples to a fine-tuning dataset ({target.name})",
        applicability=Applicability.SAFE,
        new_files=[NewFile(path=str(target), content="\n".join(lines) + "\n")],
    )


def _free_path(source: Path) -> Path | None:
    """The dataset path beside the source, or None when it was already exported:
    running --fix again must not create a copy each time."""
    target = source.with_name(f"{source.name.split('.')[0]}.few-shot.jsonl")
    return None if target.exists() else target
