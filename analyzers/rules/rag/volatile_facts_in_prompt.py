"""## What it does
Flags prompt text that hard-codes facts which go stale: prices, dates, versions,
plan limits and quotas, policy durations, contact details.  It fires at three such
facts in one prompt (configurable) and lists each one, located where it is written.

## Why is this bad?
A price in a prompt is a copy of a price somewhere else.  When the source changes the
prompt keeps answering with the old figure, confidently, and every request pays for
the tokens.  Seed 003: knowledge that "changes — every week, month, or quarter" is a
RAG-shaped workload; seed 002 asks first "does the knowledge change?".

## Example
```python
SYSTEM = '''You are the support bot for Acme.
The Pro plan costs $49/month and includes 10 seats.
Refunds are accepted within 30 days of purchase.'''
```

## Use instead
Keep prices, plans and policies in documents that are retrieved per query (or looked
up by a tool call) and reference them from the prompt: "Answer pricing questions only
from the retrieved pricing document."

## Fix safety
In the editor, the fix moves the lines with facts to a knowledge file and leaves a
placeholder for the retrieved text; it changes what the model sees, so it is unsafe.

## Source
Seed `003_68cbcc4763a1f380.txt` (RAG-shaped workloads; the two-question funnel);
`002_a63286108b7186a9.txt` (does the knowledge change?);
`004_79165fe7a78df359.txt` (what fine-tuning is not for).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ...classifier import find_volatile_facts
from ...models import Evidence, Finding
from ..base import FileContext, text_offset_to_location
from .knowledge_dump_in_prompt import knowledge_dump

_PLURAL = {"price": "prices", "date": "dates", "version": "versions", "limit": "limits", "policy": "policy terms", "contact": "contact details"}


def check(ctx: FileContext) -> Iterator[Finding]:
    minimum = ctx.settings.thresholds.volatile_facts
    for site in ctx.sites:
        prompt = site.system
        if prompt is None or not prompt.literal_text.strip():
            continue
        if site.kind == "call-site" and ctx.reported_elsewhere(prompt):
            continue
        if knowledge_dump(ctx, site) is not None:
            continue  # the whole prompt is reported by RAG104
        text = prompt.text
        facts = find_volatile_facts(text)
        if len(facts) < minimum:
            continue
        kinds = Counter(f.kind for f in facts)
        summary = ", ".join(f"{n} {_PLURAL[k] if n > 1 else k}" for k, n in kinds.most_common())
        evidence = []
        for fact in facts[:10]:
            loc = text_offset_to_location(prompt, fact.start)
            evidence.append(Evidence(message=f"{fact.kind}: {fact.text}", location=loc))
        if len(facts) > 10:
            evidence.append(Evidence(message=f"and {len(facts) - 10} more"))
        message = (
            f"{len(facts)} volatile facts are hard-coded in this prompt ({summary}): they go stale "
            f"and are re-sent on every request. Keep them in documents retrieved per query, or a tool lookup."
        )
        yield ctx.finding(
            "RAG102",
            message,
            site.system_range or site.range,
            evidence=evidence,
            figures={"facts": len(facts), **{f"facts_{k}": n for k, n in kinds.items()}, "threshold": minimum},
        )
