"""## What it does
Gives, as a hint on line 1, the profile of a fine-tuning dataset that RAG101 judged to
teach behaviour: examples, tokens, training cost per epoch (dated prices), how many of
the judged examples store facts against `knowledge-examples-share` (default 30 %),
duplicates and malformed lines, and the code that trains on it.  It is a profile, not
a problem: nothing is wrong with such a dataset on this count, and a hint never fails
a run.

## Why is this bad?
It is not.  The article "RAG vs fine-tuning is a category error" draws the line this
profile reports on: fine-tuning is for behaviour ("formats, decision rules,
vocabularies"), retrieval for facts.  A dataset
under the knowledge threshold is on the right side of it; the profile says so, and
what a training run on it costs, so the RAG101 code is kept for datasets that store
knowledge.

## Example
```
{"messages": [{"role": "user", "content": "Rewrite politely: send me the report"},
              {"role": "assistant", "content": "Could you please send me the report?"}]}
```
repeated over 300 examples: DS300 says 300 examples, their tokens and cost, 0 judged
to store facts.

## Use instead
Nothing to change.  `ignore = ["DS300"]` turns the hint off.

## Fix safety
No fix.

## Source
"RAG vs fine-tuning is a category error" (fine-tune for behaviour, retrieve for
knowledge; the trap of fine-tuning for knowledge).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...datasets import dataset_of, linked_evidence
from ...models import Finding, Range
from ..base import FileContext


def check(ctx: FileContext) -> Iterator[Finding]:
    analysis = dataset_of(ctx)
    if analysis is None or not analysis.facts.is_dataset:
        return
    threshold = ctx.settings.thresholds.knowledge_examples_share
    if analysis.stores_knowledge(threshold):
        return  # RAG101 reports it, with this profile in its message
    copies = analysis.copies_phrases()
    yield ctx.finding(
        "DS300",
        f"This dataset teaches behaviour: {analysis.profile_phrase(threshold)}"
        + (f"; {'; '.join(copies[:3])}" if copies else "")
        + ".",
        Range.of(0, 0, 0, 0),
        evidence=linked_evidence(analysis, ctx.workspace.root),
        figures=analysis.figures(threshold),
    )
