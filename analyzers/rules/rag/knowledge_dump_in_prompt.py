"""## What it does
Flags a system prompt that is mostly knowledge — a price list, policy clauses,
product specifications, reference documentation — pasted in whole and sent on every
request.  It fires when the prompt is over 800 tokens and the classifier puts at
least 60 % of it on the knowledge side (both configurable: `knowledge-dump-tokens`,
`knowledge-share`).  The seeds give no size for this; 800 tokens is ragtune's own
default, a length at which a mostly factual prompt reads as a pasted document rather
than a few facts (RAG102 covers those).

## Why is this bad?
Facts in a prompt are paid for on every request whether the question needs them or
not, go stale when the documents change, and cannot be cited.  Seed 003: "If your
problem is 'the model doesn't know X,' RAG", and the first question of its funnel:
does the answer depend on facts that change over time, vary by user, or need to be
cited?  Then retrieval is mandatory.  Retrieval sends only the relevant passage; seed
001 prices it at 200-800 ms per query, and seed 003 notes a well-built pipeline answers
in under 1.5 s.

## Example
```python
SYSTEM = "You are ShopBot.\n\n" + open("docs/pricing.md").read() + open("docs/refunds.md").read()
```

## Use instead
Put the documents in a store that is searched per query (a vector store or hybrid
search) and insert only the retrieved passages into the prompt; keep the system prompt
for behaviour.

## Fix safety
In the editor, the fix moves the facts to a knowledge file and leaves a placeholder
for retrieval; it changes what the model sees, so it is unsafe.

## Source
Seed `003_68cbcc4763a1f380.txt` (the two-question funnel; RAG under 1.5 s);
`001_f7a25d54733a4259.txt` (RAG adds 200-800 ms per query);
`002_a63286108b7186a9.txt` (does the knowledge change?).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...models import Finding
from ..base import FileContext
from ..prompt_facts import classification_figures, evidence_for, share_phrase, system_prompt_facts


def knowledge_dump(ctx: FileContext, site):
    """(facts, classification) when the site's system prompt is a knowledge dump."""
    t = ctx.settings.thresholds
    facts = system_prompt_facts(ctx, site)
    if facts is None or facts.reported_elsewhere or facts.cost.tokens < t.knowledge_dump_tokens:
        return None
    classification = facts.classification()
    if classification.knowledge < t.knowledge_share:
        return None
    return facts, classification


def check(ctx: FileContext) -> Iterator[Finding]:
    t = ctx.settings.thresholds
    for site in ctx.sites:
        found = knowledge_dump(ctx, site)
        if found is None:
            continue
        facts, classification = found
        cost = facts.cost
        message = (
            f"System prompt is {cost.tokens_phrase()} of mostly knowledge ({share_phrase(classification)}), "
            f"pasted into every request: {cost.cost_phrase()}{cost.daily_phrase(ctx.settings.requests_per_day)}. "
            f"Facts go stale and cannot be cited from a prompt: retrieve the relevant passages per query instead."
        )
        yield ctx.finding(
            "RAG104",
            message,
            facts.range,
            evidence=evidence_for(facts, classification),
            figures={**cost.figures(), **classification_figures(classification), "threshold_tokens": t.knowledge_dump_tokens, "threshold_share": t.knowledge_share},
        )
