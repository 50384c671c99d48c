"""## What it does
Reports a file, or a part of one, that ragtune could not analyse, and why: a binary
file, text that is not UTF-8, a file over the size limit, front matter that is not
valid YAML, a notebook that is not valid JSON.

## Why is this bad?
A linter that skips input silently makes a clean run meaningless.  Saying what was
skipped keeps the result honest: the rest of the file, and every other file, is still
analysed.

## Example
A `prompts/support.prompt` whose front matter is not valid YAML:
```
---
model: gpt-4o
config: {temperature: 0.2
---
You are a support agent...
```

## Use instead
Fix the file, or exclude it (`exclude = ["legacy/**"]` in `[tool.ragtune]`).

## Fix safety
No fix: the cause is outside ragtune.

## Source
DESIGN §6 (robustness): a file that cannot be read is reported and the rest still analysed.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...models import Finding
from ..base import FileContext


def check(ctx: FileContext) -> Iterator[Finding]:
    for range_, reason in ctx.errors:
        yield ctx.finding("RT002", reason, range_)
