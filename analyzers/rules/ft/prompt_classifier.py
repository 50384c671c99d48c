"""## What it does
Flags a prompt that asks the model to classify, route, tag or pick an intent from a
long list of labels, 15 or more by default (`classifier-labels`), on every request.
Labels are counted as a run of short list items (`- billing_dispute`,
`3. refund_request: money back for an order`) or an inline list after "categories:",
"labels:", "one of:" (`a, b, c` or `a | b | c`).

## Why is this bad?
A classifier is a narrow, stable task.  Sending the label list (and its descriptions)
to a large model on every request pays for both the list's tokens and a frontier
model for a decision a small model learns.  Seed 003: "Classify support tickets into
our 47 internal categories" and "Routing decisions where a tiny model is enough if it
learns our patterns" are fine-tuning workloads; its combined pattern puts a
"fine-tuned 3B model" intent classifier in front of the routes, and notes a small
fine-tuned model "often beats a frontier model with extensive prompting on the same
task — at 1/50th the inference cost".

## Example
```python
SYSTEM = "Classify the ticket into exactly one of these categories:\n- billing_dispute\n- refund_request\n..."  # 47 lines
```

## Use instead
Fine-tune a small classifier (a 3-8B model with a LoRA adapter, or a purpose-built
classification model) on labelled requests, and call the large model only for the
routes that need it.  The labels the prompt already holds are the classifier's label
set; past requests and their outcomes are its training data.

## Fix safety
No automatic fix: a classifier needs labelled data and an evaluation.

## Source
Seed `003_68cbcc4763a1f380.txt` ("Classification, routing, tagging → Fine-tuning (or a
small purpose-built model)"; 47 internal categories; the combined pattern's intent
classifier).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...models import Evidence, Finding
from ..base import FileContext, measure_prompt
from .prompt_spans import sent_prompts, span_range

_TASK = re.compile(
    r"\b(?:classif(?:y|ies|ication)|categori[sz]e|categor(?:y|ies)|route|routing|tag(?:s|ging)?|label(?:s)?|intent(?:s)?)\b",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+(\S.*)$")
_INLINE = re.compile(
    r"\b(?:categor(?:y|ies)|labels?|intents?|tags?|classes|routes|one of)\b[^:\n]{0,40}:[ \t]*([^\n]+)",
    re.IGNORECASE,
)
_MAX_LABEL_WORDS = 6  # a label (the part before its description) is short


def _label_of(item: str) -> str | None:
    head = re.split(r"\s*(?::|—|–| - |\()\s*", item.strip(), maxsplit=1)[0].strip(" `\"'*")
    if not head or len(head) > 60 or len(head.split()) > _MAX_LABEL_WORDS:
        return None
    return head


def find_label_lists(text: str) -> list[tuple[int, int, int]]:
    """(start, end, labels) of each list of labels in ``text``."""
    out: list[tuple[int, int, int]] = []
    run_start = run_end = -1
    labels: set[str] = set()
    offset = 0
    for line in text.splitlines(keepends=True):
        m = _ITEM.match(line.rstrip("\r\n"))
        label = _label_of(m.group(1)) if m else None
        if label is not None:
            if run_start < 0:
                run_start, labels = offset, set()
            labels.add(label.lower())
            run_end = offset + len(line.rstrip("\r\n"))
        elif line.strip() or m:  # a blank line does not break a list
            if run_start >= 0:
                out.append((run_start, run_end, len(labels)))
            run_start = -1
        offset += len(line)
    if run_start >= 0:
        out.append((run_start, run_end, len(labels)))
    for m in _INLINE.finditer(text):
        listed = re.split(r"\.(?:\s|$)", m.group(1), maxsplit=1)[0]  # the list ends with its sentence
        items = [s for s in re.split(r"\s*[,|;]\s*|\s+or\s+", listed.strip()) if s]
        names = {_label_of(s) for s in items} - {None}
        if len(names) >= 2 and all(len(s.split()) <= 4 for s in items):
            out.append((m.start(1), m.start(1) + len(listed), len(names)))
    return out


def check(ctx: FileContext) -> Iterator[Finding]:
    need = ctx.settings.thresholds.classifier_labels
    for site in ctx.sites:
        if site.kind != "call-site":
            continue
        for prompt in sent_prompts(site):
            text = prompt.text
            task = _TASK.search(text)
            if task is None:
                continue
            lists = [entry for entry in find_label_lists(text) if entry[2] >= need]
            if not lists:
                continue
            start, end, count = max(lists, key=lambda e: e[2])
            cost = measure_prompt(prompt.literal_text, ctx.model_for(site), ctx.prices)
            list_cost = measure_prompt(text[start:end], ctx.model_for(site), ctx.prices)
            rng = span_range(prompt, start, end, ctx.path) or site.system_range or site.range
            model = ctx.model_for(site)
            message = (
                f"This prompt asks {model} to pick one of {count} labels on every request "
                f"(the list is {list_cost.tokens_phrase()}, the prompt {cost.tokens_phrase()}: "
                f"{cost.cost_phrase()}{cost.daily_phrase(ctx.settings.requests_per_day)}). "
                f"Classification into {count} ≥ {need} labels is a narrow, stable task: fine-tune a small "
                f"classifier on labelled requests and route with it (seed 003: intent classifier → routes)."
            )
            tail = cost.break_even_phrase()
            if tail:
                message += f" {tail[0].upper()}{tail[1:]}."
            yield ctx.finding(
                "FT206",
                message,
                rng,
                evidence=[
                    Evidence(message=f"the classification task: \"{task.group(0)}\"", location=ctx.location(site.range)),
                ],
                figures={**cost.figures(), "labels": count, "label_list_tokens": list_cost.tokens, "threshold": need},
            )
            break
