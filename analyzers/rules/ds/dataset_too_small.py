"""## What it does
Flags a fine-tuning training set with fewer examples than the seeds give as the floor:
a warning under 200 examples, a hint under 500 (both configurable as
`dataset-min-examples` and `dataset-hint-examples`).  Validation and test sets (by
name, or passed as the validation file of a job) are not checked.

## Why is this bad?
A training run on too few examples costs money and an evaluation cycle and rarely
moves the model.  Seed 003: "For style/format/tone: 200-2,000 examples is usually
enough.  For decision rules and new task formats: 1,000-10,000."  Seed 001: "Fewer
than 500 examples rarely produces meaningful improvement over a well-prompted base
model."

## Example
A `data/train.jsonl` with 60 chat examples uploaded with
`client.files.create(file=open("data/train.jsonl", "rb"), purpose="fine-tune")`.

## Use instead
Grow the set to a few hundred clean examples (seed 001 suggests synthetic generation
with human review), or keep the behaviour in the prompt until you have them.

## Fix safety
No fix: examples have to be written or collected.

## Source
Seeds `003_68cbcc4763a1f380.txt` (200-2,000 for style/format; 1,000-10,000 for decision
rules) and `001_f7a25d54733a4259.txt` (fewer than 500 rarely helps).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...datasets import dataset_of, linked_evidence
from ...models import Finding, Range, Severity
from ..base import FileContext


def check(ctx: FileContext) -> Iterator[Finding]:
    analysis = dataset_of(ctx)
    if analysis is None or not analysis.facts.is_dataset or not analysis.is_training_set:
        return
    t = ctx.settings.thresholds
    n = analysis.facts.examples
    if n >= max(t.dataset_min_examples, t.dataset_hint_examples):
        return
    if n < t.dataset_min_examples:
        message = (
            f"{n:,} training example{'s' if n != 1 else ''}, under the {t.dataset_min_examples:,} that seed 003 gives as "
            f"the floor for style and format ({t.dataset_min_examples:,}–2,000; 1,000–10,000 for decision rules): "
            f"a run on this set is unlikely to change the model; {analysis.cost_phrase()}"
        )
        severity = None
    else:
        message = (
            f"{n:,} training examples: seed 001 finds fewer than {t.dataset_hint_examples:,} rarely improves on a "
            f"well-prompted base model; enough for style and format (seed 003), thin for decision rules"
        )
        severity = Severity.HINT
    yield ctx.finding(
        "DS301",
        message + ".",
        Range.of(0, 0, 0, 0),
        evidence=linked_evidence(analysis, ctx.workspace.root),
        figures={"examples": n, "threshold_examples": t.dataset_min_examples, "hint_examples": t.dataset_hint_examples, "tokens": analysis.facts.tokens},
        severity=severity,
    )
