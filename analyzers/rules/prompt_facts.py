"""Facts about a site's system prompt shared by FT201, RAG102 and RAG104.

Computed once per site and kept on the context, so three rules do not tokenize and
classify the same 6,000-token prompt three times.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..classifier import classify_knowledge_vs_behaviour
from ..models import Classification, Evidence, Prompt, PromptSite, Range
from .base import FileContext, PromptCost, measure_prompt, source_evidence, text_offset_to_location


@dataclass(frozen=True)
class SystemPromptFacts:
    site: PromptSite
    prompt: Prompt
    text: str  # holes shown as {expr}
    cost: PromptCost
    range: Range  # where to report
    reported_elsewhere: bool

    def classification(self) -> Classification:
        return _classify(self.text)


_CACHE_KEY = "system_prompt_facts"
_classification_cache: dict[int, tuple[str, Classification]] = {}


def _classify(text: str) -> Classification:
    key = hash(text)
    hit = _classification_cache.get(key)
    if hit is not None and hit[0] == text:
        return hit[1]
    result = classify_knowledge_vs_behaviour(text)
    if len(_classification_cache) > 256:
        _classification_cache.clear()
    _classification_cache[key] = (text, result)
    return result


def system_prompt_facts(ctx: FileContext, site: PromptSite) -> SystemPromptFacts | None:
    if site.system is None or not site.system.literal_text.strip():
        return None
    cache = ctx.facts.setdefault(_CACHE_KEY, {})
    key = id(site)
    if key not in cache:
        prompt = site.system
        cache[key] = SystemPromptFacts(
            site=site,
            prompt=prompt,
            text=prompt.text,
            cost=measure_prompt(prompt.literal_text, ctx.model_for(site), ctx.prices),
            range=site.system_range or site.range,
            reported_elsewhere=site.kind == "call-site" and ctx.reported_elsewhere(prompt),
        )
    return cache[key]


def classification_evidence(facts: SystemPromptFacts, classification: Classification, limit: int = 6) -> list[Evidence]:
    """The lines that decided the knowledge/behaviour call, located where written."""
    line_starts = [0]
    for i, ch in enumerate(facts.text):
        if ch == "\n":
            line_starts.append(i + 1)
    out = []
    for ev in classification.evidence[:limit]:
        offset = line_starts[ev.line] if ev.line < len(line_starts) else 0
        out.append(
            Evidence(
                message=f"{ev.label} ({ev.reason}): {ev.text.strip()[:120]}",
                location=text_offset_to_location(facts.prompt, offset),
            )
        )
    return out


def evidence_for(facts: SystemPromptFacts, classification: Classification) -> list[Evidence]:
    evidence = classification_evidence(facts, classification)
    if len(facts.prompt.sources) > 1:
        evidence.extend(source_evidence(facts.prompt))
    return evidence


def share_phrase(classification: Classification) -> str:
    return f"knowledge {round(classification.knowledge * 100)} % · behaviour {round(classification.behaviour * 100)} %"


def classification_figures(classification: Classification) -> dict[str, float | str]:
    return {
        "knowledge_share": round(classification.knowledge, 3),
        "behaviour_share": round(classification.behaviour, 3),
        "verdict": classification.verdict,
    }
