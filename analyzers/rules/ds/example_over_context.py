"""## What it does
Reports each example whose token count (exact tiktoken count of every turn plus the
chat framing, by the encoding of the target model) is over the target model's
context window.  The target model is the one named by the fine-tuning job that uses
the dataset, else `default-model`; the window comes from the dated price table.

## Why is this bad?
A trainer truncates such an example (teaching a cut-off answer) or drops it; the
OpenAI API rejects the file.  Either way you pay for tokens that teach nothing.

## Example
A support transcript pasted whole into one example: 140,000 tokens against a
128,000-token window.

## Use instead
Split long conversations into several examples, or move the long reference text out
of the example and into retrieval: the model should learn to use a retrieved passage,
not to hold a document.

## Fix safety
No fix: where to split is a judgment.

## Source
DESIGN §1 (examples over the context limit); seed `003_68cbcc4763a1f380.txt`
(fine-tune behaviour, retrieve documents).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...datasets import dataset_of
from ...models import Finding, Range
from ..base import FileContext


def check(ctx: FileContext) -> Iterator[Finding]:
    analysis = dataset_of(ctx)
    if analysis is None or not analysis.facts.is_dataset:
        return
    facts = analysis.facts
    limit = facts.context_limit
    if limit is None:
        return
    approx = "" if analysis.exact_tokens else "≈ "
    for line, tokens in facts.over_context:
        yield ctx.finding(
            "DS304",
            (
                f"Example is {approx}{tokens:,} tokens ({facts.encoding}), over the {limit:,}-token context window of "
                f"{analysis.model} (price table as of {analysis.prices_as_of}; model from {analysis.model_source}): "
                f"a trainer truncates or drops it."
            ),
            Range.of(line, 0, line, 0),
            figures={"tokens": tokens, "context_window": limit, "model": analysis.model, "over_context": facts.over_context_count},
        )
