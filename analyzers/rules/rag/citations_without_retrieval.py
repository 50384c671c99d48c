"""## What it does
Flags a prompt that asks the model to cite its sources while nothing is retrieved
into the call: no vector store, retriever, search tool, embeddings lookup, or
search-backed model feeds it, and no context placeholder is filled from one.

## Why is this bad?
A model asked to cite without sources to cite invents them.  Citation is the mark of
a RAG-shaped workload: seed 003 lists "The model needs to cite where its answer came
from" among them, and names the trap: knowledge in weights "doesn't cite its
sources".  Only retrieved passages can be cited truthfully.

## Example
```python
client.chat.completions.create(
    model="gpt-4o",
    messages=[{"role": "system", "content": "Answer and cite your sources as [1], [2]."},
              {"role": "user", "content": question}],
)
```

## Use instead
Retrieve the passages first and put them in the prompt with identifiers the model can
cite; or use a search-backed model or a search tool.

## Fix safety
No automatic fix.

## Source
Seed `003_68cbcc4763a1f380.txt` (RAG-shaped workloads; citation requirement → RAG);
`000_98786da00730bb42.txt` (knowledge vs behaviour).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...models import Evidence, Finding
from ...needles import Needles
from ..base import FileContext, text_offset_to_location

# Demands for citations, in the languages ragtune's classifier covers.
_CITATION_DEMAND = re.compile(
    r"\b(?:cite|citing|citation|citations|footnote|footnotes)\b"
    r"|\b(?:include|provide|add|give|list|with|show)\b[^.\n]{0,40}\b(?:sources?|references?)\b"
    r"|\b(?:reference|quote)\b[^.\n]{0,30}\b(?:sources?|documents?|passages?|articles?)\b"
    r"|\[(?:1|source|doc)[^\]\n]{0,10}\]"
    r"|\b(?:citez|citer|sources citées|zitiere|zitieren|quellenangabe|quellen angeben|cita las fuentes|citar|cite as fontes)\b"
    r"|出典|引用元",
    re.I,
)
# Every alternative above contains one of these (in case-folded text); a prompt with
# none is not searched, since the case-insensitive regex costs ~0.3 ms per large prompt.
_DEMAND_WORDS = Needles(["cit", "footnote", "source", "reference", "quote", "[1", "[doc", "zitier", "quellen", "出典", "引用元"])


def citation_demand(text: str) -> re.Match[str] | None:
    if not _DEMAND_WORDS.any_in(text.casefold()):
        return None
    return _CITATION_DEMAND.search(text)


# Placeholders that mean "retrieved text goes here" even when the filling code is not visible.
_CONTEXT_HOLE = re.compile(r"(?:context|document|docs|passage|chunk|source|search|retriev|knowledge|evidence|snippet|result)", re.I)
# Models that search the web themselves.
_SEARCH_MODEL = re.compile(r"search|sonar|perplexity|online", re.I)


def check(ctx: FileContext) -> Iterator[Finding]:
    for site in ctx.sites:
        prompts = [site.system] if site.system else []
        prompts += [m.prompt for m in site.messages if m.role in ("system", "developer", "user")]
        match = None
        for prompt in prompts:
            m = citation_demand(prompt.text)
            if m:
                match = (prompt, m)
                break
        if match is None:
            continue
        if site.retrieval:
            continue
        if any(_CONTEXT_HOLE.search(h) for p in prompts for h in p.holes):
            continue
        model = ctx.model_for(site)
        if _SEARCH_MODEL.search(model or ""):
            continue
        prompt, m = match
        loc = text_offset_to_location(prompt, m.start())
        line_start = prompt.text.rfind("\n", 0, m.start()) + 1
        line_end = prompt.text.find("\n", m.end())
        line = prompt.text[line_start : line_end if line_end >= 0 else len(prompt.text)]
        message = (
            f"This prompt asks for citations (\"{m.group(0).strip()}\") but nothing is retrieved into the call: "
            f"the model can only invent its sources. Retrieve the passages and put them in the prompt to be cited, "
            f"or use a search-backed model."
        )
        range_ = loc.range if loc is not None and loc.path == site.path else (site.system_range or site.range)
        yield ctx.finding(
            "RAG103",
            message,
            range_,
            evidence=[Evidence(message=f"citation demand: {line.strip()[:120]}", location=loc)],
            figures={"model": model},
        )
