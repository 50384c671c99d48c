"""Text operations on prompt parts that keep each character's location.

``dedent``, ``cleandoc`` and ``strip`` only delete characters, so they are computed
on the flattened text (a hole is one placeholder character) as a keep-mask, and the
parts are rebuilt from what is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from ...models import PromptPart

_HOLE = "\ue000"


def _flatten(parts: list[PromptPart]) -> tuple[str, list[int]]:
    chars: list[str] = []
    owners: list[int] = []
    for i, part in enumerate(parts):
        if part.kind == "hole":
            chars.append(_HOLE)
            owners.append(i)
        else:
            chars.append(part.text)
            owners.extend([i] * len(part.text))
    return "".join(chars), owners


def _rebuild(parts: list[PromptPart], flat: str, owners: list[int], keep: list[bool]) -> list[PromptPart]:
    out: list[PromptPart] = []
    buffer: list[str] = []
    current = -1

    def flush():
        if buffer and current >= 0:
            out.append(PromptPart(kind="text", text="".join(buffer), location=parts[current].location))
        buffer.clear()

    for ch, owner, kept in zip(flat, owners, keep):
        if not kept:
            continue
        if parts[owner].kind == "hole":
            flush()
            out.append(parts[owner])
            current = -1
            continue
        if owner != current:
            flush()
            current = owner
        buffer.append(ch)
    flush()
    return out


def transform(parts: list[PromptPart], keep_mask: Callable[[str], list[bool]]) -> list[PromptPart]:
    flat, owners = _flatten(parts)
    return _rebuild(parts, flat, owners, keep_mask(flat))


def _lines(flat: str) -> list[tuple[int, int]]:
    """(start, end) of each line, end excluding the newline."""
    spans, start = [], 0
    while True:
        nl = flat.find("\n", start)
        if nl < 0:
            spans.append((start, len(flat)))
            return spans
        spans.append((start, nl))
        start = nl + 1


def _indent(flat: str, start: int, end: int) -> int:
    i = start
    while i < end and flat[i] in " \t":
        i += 1
    return i - start


def dedent_mask(flat: str) -> list[bool]:
    """textwrap.dedent: remove the common leading whitespace; blank lines lose theirs."""
    keep = [True] * len(flat)
    spans = _lines(flat)
    margin: str | None = None
    for start, end in spans:
        n = _indent(flat, start, end)
        if start + n == end:
            continue
        prefix = flat[start:start + n]
        if margin is None:
            margin = prefix
        else:
            common = 0
            while common < min(len(margin), len(prefix)) and margin[common] == prefix[common]:
                common += 1
            margin = margin[:common]
    width = len(margin or "")
    for start, end in spans:
        n = _indent(flat, start, end)
        cut = n if start + n == end else width
        for i in range(start, start + cut):
            keep[i] = False
    return keep


def cleandoc_mask(flat: str) -> list[bool]:
    """inspect.cleandoc: strip the first line, dedent the rest, drop blank edge lines."""
    keep = [True] * len(flat)
    spans = _lines(flat)
    indents = [_indent(flat, s, e) for s, e in spans[1:] if s + _indent(flat, s, e) < e]
    margin = min(indents) if indents else 0
    for index, (start, end) in enumerate(spans):
        n = _indent(flat, start, end)
        cut = n if index == 0 else min(n, margin)
        if start + n == end:
            cut = n
        for i in range(start, start + cut):
            keep[i] = False
    blank = [all(not keep[i] or flat[i] in " \t" for i in range(s, e)) for s, e in spans]
    first = next((i for i, b in enumerate(blank) if not b), len(spans))
    last = next((i for i in range(len(spans) - 1, -1, -1) if not blank[i]), -1)
    for index, (start, end) in enumerate(spans):
        if index < first or index > last:
            for i in range(start, min(end + 1, len(flat))):
                keep[i] = False
    if 0 <= last < len(spans) - 1:
        nl = spans[last][1]
        if nl < len(flat):
            keep[nl] = False
    return keep


def strip_mask(flat: str, chars: str = " \t\r\n\f\v", left: bool = True, right: bool = True) -> list[bool]:
    keep = [True] * len(flat)
    if left:
        i = 0
        while i < len(flat) and flat[i] in chars:
            keep[i] = False
            i += 1
    if right:
        i = len(flat) - 1
        while i >= 0 and flat[i] in chars:
            keep[i] = False
            i -= 1
    return keep
