"""What hover and code lens show about each prompt site, computed in the analysis
process from the very facts the rules saw.  Plain data out (no pygls here).

Figures are computed: tokens with the model's own tokenizer, money from the dated
price table, shares from the classifier.
"""

from __future__ import annotations

from typing import Any

from ragtune.analyzers.fixes import knowledge_file_fix
from ragtune.analyzers.models import Finding, Prompt, PromptSite, Range
from ragtune.analyzers.prices import format_money
from ragtune.analyzers.rules.base import FileContext, measure_prompt
from ragtune.analyzers.rules.prompt_facts import classification_evidence, system_prompt_facts
from ragtune.analyzers.tokens import tokenizer_for_model

from .worker import COMPARISON_MODELS


def attach_editor_fixes(findings: list[Finding], ctx: FileContext | None) -> list[Finding]:
    """Findings with the editor-only fixes filled in: RAG102/RAG104 knowledge files."""
    if ctx is None:
        return findings
    out = []
    for f in findings:
        if f.fix is None and f.code in ("RAG102", "RAG104") and f.path == ctx.path:
            fix = knowledge_file_fix(f, ctx.text, ctx.kind)
            if fix is not None:
                f = f.model_copy(update={"fix": fix})
        out.append(f)
    return out


def _range_list(r: Range) -> list[int]:
    return [r.start.line, r.start.character, r.end.line, r.end.character]


def _prompt_parts(prompt: Prompt | None) -> list[tuple[str, list[int]]]:
    if prompt is None:
        return []
    return [(p.location.path, _range_list(p.location.range)) for p in prompt.parts if p.location is not None]


def _contains(outer: Range, inner: Range) -> bool:
    return (outer.start.line, outer.start.character) <= (inner.start.line, inner.start.character) and (
        inner.end.line,
        inner.end.character,
    ) <= (outer.end.line, outer.end.character)


def site_summaries(ctx: FileContext, findings: list[Finding]) -> list[dict[str, Any]]:
    out = []
    for site in ctx.sites:
        try:
            out.append(_summary(ctx, site, findings))
        except Exception:  # a figure that cannot be computed must not cost the diagnostics
            continue
    return out


def _summary(ctx: FileContext, site: PromptSite, findings: list[Finding]) -> dict[str, Any]:
    model = ctx.model_for(site)
    prompts = [site.system, *(m.prompt for m in site.messages)]
    sent = "\n".join(p.literal_text for p in prompts if p is not None)
    holes = sum(len(p.holes) for p in prompts if p is not None)
    cost = measure_prompt(sent, model, ctx.prices)
    counts = {cost.tokenizer.encoding: cost.tokens}  # one count per encoding, not per model
    by_model = []
    for name in dict.fromkeys([model, *COMPARISON_MODELS]):
        tokenizer = tokenizer_for_model(name)
        if tokenizer.encoding not in counts:
            counts[tokenizer.encoding] = tokenizer.count(sent)
        tokens = counts[tokenizer.encoding]
        by_model.append({"model": name, "tokens": tokens, "exact": tokenizer.exact, "encoding": tokenizer.encoding, "cost_per_1k": ctx.prices.cost_per_1k_requests(tokens, name)})
    facts = system_prompt_facts(ctx, site)
    share = None
    if facts is not None:
        cls = facts.classification()
        evidence = []
        for ev in classification_evidence(facts, cls, limit=5):
            where = ev.location.range.start.line if ev.location is not None and ev.location.path == ctx.path else None
            evidence.append({"message": ev.message, "line": where})
        share = {"knowledge": cls.knowledge, "behaviour": cls.behaviour, "verdict": cls.verdict, "evidence": evidence, "system_tokens": facts.cost.tokens}
    mine = [
        f for f in findings
        if f.path == ctx.path and (_contains(site.range, f.range) or (site.system_range is not None and _contains(site.system_range, f.range)) or f.range == site.range)
        and f.code[:2] in ("FT", "RA")
    ]
    if mine:
        verdict = "; ".join(f"{f.code} {f.name}: {f.remedy.value}" for f in mine)
        reason = mine[0].message
    else:
        t = ctx.settings.thresholds
        verdict = "no finding"
        if facts is not None:
            reason = f"system prompt {facts.cost.tokens:,} tokens, within the {t.system_prompt_tokens:,}-token threshold (FT201)"
        else:
            reason = "no system prompt at this call"
    return {
        "kind": site.kind,
        "path": site.path,
        "range": _range_list(site.range),
        "system_range": _range_list(site.system_range) if site.system_range else None,
        "sdk": site.sdk,
        "api": site.api,
        "model": model,
        "model_named": site.model is not None,
        "tokens": cost.tokens,
        "exact": cost.tokenizer.exact and holes == 0,
        "holes": holes,
        "encoding": cost.tokenizer.label,
        "cost_per_1k": cost.cost_per_1k,
        "cost_text": format_money(cost.cost_per_1k, ctx.prices.currency) if cost.cost_per_1k is not None else None,
        "currency": ctx.prices.currency,
        "prices_as_of": ctx.prices.as_of,
        "by_model": by_model,
        "share": share,
        "verdict": verdict,
        "reason": reason,
        "parts": _prompt_parts(site.system) + [pp for m in site.messages for pp in _prompt_parts(m.prompt)],
        "loaded_files": list(site.loaded_files),
        "requests_per_day": ctx.settings.requests_per_day,
    }
