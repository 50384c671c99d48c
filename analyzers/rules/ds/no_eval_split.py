"""## What it does
Flags a training set with no held-out evaluation data: no validation/test/eval file
beside it (a name containing `val`, `valid`, `validation`, `test`, `eval`, `dev`,
`holdout`), and no validation set in the code that trains on it
(`validation_file=` of an OpenAI job, `eval_dataset=` of TRL's `SFTTrainer`,
`val_set_size` or `test_datasets` in an axolotl config).

## Why is this bad?
Without a held-out set you cannot tell whether the run improved the model or
regressed it.  Seed 001: "Invest in evaluation infrastructure before you invest in
training ... Without evals, you cannot know if you've improved or regressed."

## Example
`data/train.jsonl` alone in its folder, uploaded and trained with
`client.fine_tuning.jobs.create(training_file=training.id, model="gpt-4o-mini")`.

## Use instead
Hold out 10-20 % of the examples in `data/valid.jsonl` and pass it as
`validation_file=`.

## Fix safety
No fix: which examples to hold out is a judgment (a random split may leak
near-duplicates; see DS302).

## Source
Seed `001_f7a25d54733a4259.txt` (practical recommendation 5: evaluation before training).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...datasets import dataset_of, linked_evidence
from ...models import Finding, Range
from ..base import FileContext


def check(ctx: FileContext) -> Iterator[Finding]:
    analysis = dataset_of(ctx)
    if analysis is None or not analysis.facts.is_dataset or not analysis.is_training_set:
        return
    if analysis.eval_split is not None or analysis.facts.examples == 0:
        return
    used = " and the code that trains on it passes none" if analysis.links else ""
    yield ctx.finding(
        "DS305",
        (
            f"No evaluation split: no validation or test file beside this training set{used}. "
            f"Hold out part of the {analysis.facts.examples:,} examples to measure the run (seed 001: evaluate before you train)."
        ),
        Range.of(0, 0, 0, 0),
        evidence=linked_evidence(analysis, ctx.workspace.root),
        figures={"examples": analysis.facts.examples},
    )
