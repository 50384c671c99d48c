"""## What it does
Reports a `ragtune: ignore[...]` comment that suppresses nothing: the finding it was
written for is gone, the code is unknown, or the rule is not enabled.

## Why is this bad?
Stale suppressions hide the next real finding on that line and mislead readers about
what the code still does.  ruff reports them as RUF100 for the same reason.

## Example
```python
SYSTEM = "You are a helpful assistant."  # ragtune: ignore[FT201]
```

## Use instead
```python
SYSTEM = "You are a helpful assistant."
```

## Fix safety
The fix removes the unused code from the comment, or the whole directive when no code
is left.  It is safe: it only edits the comment.

## Source
DESIGN §5: unused suppressions are reported (RT001).
"""

from __future__ import annotations

from ...models import Applicability, FileEdit, Finding, Fix, TextEdit
from ..base import FileContext
from ..registry import BY_CODE
from ...suppression import Suppression


def check(ctx: FileContext):
    # Run by the engine after suppressions are applied: see unused_suppression_findings.
    return iter(())


def unused_suppression_findings(ctx: FileContext, suppressions: list[Suppression], enabled: frozenset[str]) -> list[Finding]:
    findings = []
    for s in suppressions:
        if not s.codes:
            if not s.used_blanket:
                findings.append(
                    ctx.finding("RT001", "Unused blanket suppression: no finding here to ignore", s.range, fix=_remove_fix(ctx, s, None))
                )
            continue
        for code in s.codes:
            if code in s.used:
                continue
            if not any(c.startswith(code) for c in BY_CODE):
                why = f"unknown rule code {code}"
            elif not any(c.startswith(code) for c in enabled):
                why = f"{code} is not enabled"
            else:
                why = f"no {code} finding here"
            findings.append(
                ctx.finding(
                    "RT001",
                    f"Unused suppression ({why})",
                    s.code_ranges.get(code, s.range),
                    fix=_remove_fix(ctx, s, code),
                )
            )
    return findings


def _remove_fix(ctx: FileContext, s: Suppression, code: str | None) -> Fix:
    remaining = [c for c in s.codes if c != code] if code else []
    line = ctx.text.splitlines()[s.line] if ctx.text else ""
    if remaining:
        start = s.range.start.character
        directive = line[start : s.range.end.character]
        new = directive[: directive.index("[") + 1] + ", ".join(remaining) + "]"
        edit = TextEdit(range=s.range, new_text=new)
        title = f"Remove {code} from the suppression"
    else:
        # drop the directive; drop the whole comment when nothing else is in it
        from ...models import Range

        comment_start = max(line.rfind(m, 0, s.range.start.character) for m in ("#", "//", "<!--", "{#", "/*"))
        rest = line[s.range.end.character :].strip()
        head = line[:comment_start] if comment_start >= 0 else line[: s.range.start.character]
        only_directive = comment_start >= 0 and not line[comment_start : s.range.start.character].strip("#/<!-{* \t")
        closing_only = rest in ("", "-->", "#}", "*/")
        if only_directive and closing_only:
            start_col = len(head.rstrip())
            edit = TextEdit(range=Range.of(s.line, start_col, s.line, len(line)), new_text="")
        else:
            edit = TextEdit(range=s.range, new_text="")
        title = "Remove the unused suppression"
    return Fix(title=title, applicability=Applicability.SAFE, file_edits=[FileEdit(path=ctx.path, edits=[edit])])
