"""## What it does
Reports each line of a dataset that a trainer would reject or misread: a line that is
not JSON (cut off, NUL bytes, invalid UTF-8, two values on one line), a record in no
known format, and the OpenAI format checks: missing `messages`, an unknown role, a
message without content, no assistant turn, roles in the wrong order, an empty
completion, a bad `weight`.  A record in another format than the rest of the file
(an Alpaca record in a chat file) is reported too.  The rest of the file is still
analysed.

## Why is this bad?
An upload with one malformed line is refused by the OpenAI fine-tuning API; trainers
that do accept it silently skip or mis-tokenise the line, so the run trains on less
than you think.  Seed 001: evaluate and curate the data before you train.

## Example
```
{"messages": [{"role": "bot", "content": "Hello"}]}
```

## Use instead
```
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
```

## Fix safety
No fix: the intended content is unknown.

## Source
Seed `001_f7a25d54733a4259.txt` (data quality matters more than quantity; invest in
evaluation before training); DESIGN §1 (malformed records).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...datasets import dataset_of
from ...models import Finding, Range
from ..base import FileContext


def check(ctx: FileContext) -> Iterator[Finding]:
    analysis = dataset_of(ctx)
    if analysis is None:
        return
    facts = analysis.facts
    for line, why in facts.malformed:
        yield ctx.finding(
            "DS303",
            f"Malformed example: {why}.",
            Range.of(line, 0, line, 0),
            figures={"malformed": facts.malformed_count},
        )
