"""## What it does
Reports each example that repeats an earlier one, exactly (same turns, surrounding
whitespace aside) or nearly (MinHash estimate of the Jaccard similarity of their
3-token shingles at or above `near-duplicate-similarity`, default 0.8, over the
non-system turns with case, spacing and punctuation folded).  The finding is on the
line of the later copy and points at the earlier one.

## Why is this bad?
Duplicates weigh some examples more than others, inflate the cost of every epoch, and
leak between training and evaluation splits.  Seed 001: "500 clean, diverse examples
often outperforms 5,000 noisy ones."

## Example
```
{"messages": [{"role": "user", "content": "Reset my password"}, {"role": "assistant", "content": "..."}]}
{"messages": [{"role": "user", "content": "Reset my password."}, {"role": "assistant", "content": "..."}]}
```

## Use instead
Keep one example of each; vary the ones you keep.

## Fix safety
No automatic fix: which copy to keep (and whether a near-duplicate is a deliberate
variation) is a judgment.  Suppress a deliberate one with a `jsonl-ignores` entry.

## Source
Seed `001_f7a25d54733a4259.txt` (data quality over quantity: 500 clean beat 5,000 noisy).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...datasets import dataset_of
from ...models import Evidence, Finding, Location, Range
from ..base import FileContext


def check(ctx: FileContext) -> Iterator[Finding]:
    analysis = dataset_of(ctx)
    if analysis is None or not analysis.facts.is_dataset:
        return
    report = analysis.facts.duplicates
    total = report.exact + report.near
    if not total:
        return
    share = total / analysis.facts.examples if analysis.facts.examples else 0.0
    tail = (
        f" ({total:,} duplicate{'s' if total != 1 else ''} in {analysis.facts.examples:,} examples, {share:.0%}: "
        f"{report.exact:,} exact, {report.near:,} near)"
    )
    for line, of_line, kind, sim in report.pairs:
        if kind == "exact":
            head = f"Exact duplicate of the example on line {of_line + 1}"
        else:
            head = f"Near-duplicate of the example on line {of_line + 1} (≈ {sim:.0%} similar)"
        yield ctx.finding(
            "DS302",
            head + tail + ": duplicates weigh some examples twice and cost every epoch.",
            Range.of(line, 0, line, 0),
            evidence=[Evidence(message=f"first seen on line {of_line + 1}", location=Location(path=ctx.path, range=Range.of(of_line, 0, of_line, 0)))],
            figures={"duplicate_of_line": of_line + 1, "kind": kind, "similarity": round(sim, 3), "duplicates": total, "exact": report.exact, "near": report.near},
        )
