"""## What it does
Flags a system prompt (or developer/instructions prompt) longer than the threshold,
4,000 tokens by default, counted exactly with the tokenizer of the model the call
uses.  A prompt assembled from several constants, modules or files is counted as the
one text that is sent.

## Why is this bad?
Every token of a system prompt is paid for on every request, and a long prompt of
rules, format specifications and examples is behaviour that prompting enforces
unreliably.  Seed 003 names "system prompts longer than 4,000 tokens" as the first
symptom of using prompting for behaviour, and prices the alternative: "A LoRA
fine-tune on 500 examples costs $20-$200 once and removes that 6,000-token tax
permanently."  The message states the tokens, the cost per 1,000 requests on the
call's model, and after how many requests a one-off LoRA run is cheaper.

When the prompt is mostly facts (prices, policies, reference text), RAG104 reports it
instead: that is a retrieval problem.  A prompt that mixes both is reported here with
the hybrid remedy.

## Example
```python
SYSTEM = ROLE + RULES + FORMAT_SPEC + EXAMPLES  # 6,200 tokens in all
client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": SYSTEM}, ...])
```

## Use instead
Fine-tune (a LoRA adapter) on a few hundred examples of the wanted behaviour and keep
a short system prompt; move any facts to retrieval.  Where the behaviour is only an
output schema, the provider's structured outputs remove most of the prompt.

## Fix safety
No automatic fix: a fine-tune needs a dataset and an evaluation.  FT202's fix exports
few-shot examples to a dataset as a start.

## Source
Seed `003_68cbcc4763a1f380.txt` (symptoms of the "RAG for behaviour" anti-pattern;
LoRA $20-$200 on 500 examples); `000_98786da00730bb42.txt` (LoRA ~$300 vs ~$35,000
for a full fine-tune).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...models import Finding, Remedy
from ..base import FileContext
from ..prompt_facts import classification_figures, evidence_for, share_phrase, system_prompt_facts


def check(ctx: FileContext) -> Iterator[Finding]:
    limit = ctx.settings.thresholds.system_prompt_tokens
    for site in ctx.sites:
        facts = system_prompt_facts(ctx, site)
        if facts is None or facts.reported_elsewhere or facts.cost.tokens <= limit:
            continue
        classification = facts.classification()
        if classification.knowledge >= ctx.settings.thresholds.knowledge_share:
            continue  # a knowledge dump: RAG104
        cost = facts.cost
        head = (
            f"System prompt is {cost.tokens_phrase()}, over the {limit:,}-token threshold, "
            f"sent on every request: {cost.cost_phrase()}{cost.daily_phrase(ctx.settings.requests_per_day)}."
        )
        if classification.verdict == "mixed":
            remedy = Remedy.HYBRID
            body = (
                f" It mixes facts and rules ({share_phrase(classification)}): move the facts to retrieval "
                f"and fine-tune the behaviour"
            )
        else:
            remedy = Remedy.FINE_TUNE
            body = f" It is behaviour ({share_phrase(classification)}): rules and formats a fine-tune can learn"
        tail = cost.break_even_phrase()
        message = head + body + (f"; {tail}." if tail else ".")
        yield ctx.finding(
            "FT201",
            message,
            facts.range,
            evidence=evidence_for(facts, classification),
            figures={**cost.figures(), **classification_figures(classification), "threshold": limit},
            remedy=remedy,
        )
