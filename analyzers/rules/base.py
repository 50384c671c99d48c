"""What a rule sees (``FileContext``) and the figures every FT/RAG message states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Settings
from ..models import Evidence, Finding, Fix, Location, Prompt, PromptSite, Range, Remedy, Severity
from ..prices import PriceTable, format_money
from ..tokens import Tokenizer, tokenizer_for_model
from ..workspace import Workspace
from .registry import BY_CODE


@dataclass
class FileContext:
    path: str  # absolute
    display_path: str  # as the user named it / relative to where ragtune runs
    kind: str  # discovery.file_kind
    text: str
    settings: Settings
    workspace: Workspace
    prices: PriceTable
    sites: list[PromptSite] = field(default_factory=list)
    retrieval: list[Evidence] = field(default_factory=list)  # retrieval signals in this file
    errors: list[tuple[Range, str]] = field(default_factory=list)  # parts that could not be read
    prompt_file_paths: frozenset[str] = frozenset()  # files analysed as prompt files themselves
    facts: dict[str, Any] = field(default_factory=dict)  # extra per-kind facts (datasets, ...)

    def model_for(self, site: PromptSite) -> str:
        return site.model or self.settings.default_model

    def finding(
        self,
        code: str,
        message: str,
        range: Range,
        *,
        evidence: list[Evidence] | None = None,
        fix: Fix | None = None,
        figures: dict[str, Any] | None = None,
        path: str | None = None,
        severity: Severity | None = None,
        remedy: Remedy | None = None,
    ) -> Finding:
        spec = BY_CODE[code]
        return Finding(
            code=code,
            name=spec.name,
            message=message,
            severity=severity or spec.severity,
            remedy=remedy or spec.remedy,
            path=path or self.path,
            range=range,
            evidence=evidence or [],
            fix=fix,
            figures=figures or {},
        )

    def location(self, range: Range, path: str | None = None) -> Location:
        return Location(path=path or self.path, range=range)

    def reported_elsewhere(self, prompt: Prompt) -> bool:
        """True when all of a call site's prompt text comes from prompt files that are
        analysed on their own: the finding is made once, at the prompt file."""
        paths = {p.location.path for p in prompt.parts if p.kind == "text" and p.location and p.text.strip()}
        return bool(paths) and paths <= self.prompt_file_paths


@dataclass(frozen=True)
class PromptCost:
    """Tokens of a text sent on every request, and what that costs on a model."""

    tokens: int
    tokenizer: Tokenizer
    model: str
    cost_per_1k: float | None
    break_even: tuple[int, int] | None
    prices: PriceTable

    def tokens_phrase(self) -> str:
        approx = "≈ " if not self.tokenizer.exact else ""
        return f"{approx}{self.tokens:,} tokens ({self.tokenizer.label})"

    def cost_phrase(self) -> str:
        if self.cost_per_1k is None:
            return f"no price known for {self.model}"
        return f"{format_money(self.cost_per_1k, self.prices.currency)} per 1,000 requests on {self.model} (prices as of {self.prices.as_of})"

    def daily_phrase(self, requests_per_day: int | None) -> str:
        if not requests_per_day or self.cost_per_1k is None:
            return ""
        monthly = self.cost_per_1k * requests_per_day * 30 / 1000
        return f", {format_money(monthly, self.prices.currency)} per month at {requests_per_day:,} requests/day"

    def break_even_phrase(self, what: str = "this prompt") -> str:
        if self.break_even is None:
            return ""
        low, high = self.break_even
        p = self.prices
        return (
            f"a one-off LoRA run ({format_money(p.lora_low)}–{format_money(p.lora_high)}, seed 003) "
            f"costs less than {what} after {low:,}–{high:,} requests"
        )

    def figures(self, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {
            f"{prefix}tokens": self.tokens,
            f"{prefix}encoding": self.tokenizer.encoding,
            f"{prefix}exact": str(self.tokenizer.exact).lower(),
            "model": self.model,
        }
        if self.cost_per_1k is not None:
            out[f"{prefix}cost_per_1k_requests"] = round(self.cost_per_1k, 6)
            out["prices_as_of"] = self.prices.as_of
        if self.break_even is not None:
            out["lora_break_even_requests_low"], out["lora_break_even_requests_high"] = self.break_even
        return out


def measure_prompt(text: str, model: str, prices: PriceTable) -> PromptCost:
    tokenizer = tokenizer_for_model(model)
    tokens = tokenizer.count(text)
    return PromptCost(
        tokens=tokens,
        tokenizer=tokenizer,
        model=model,
        cost_per_1k=prices.cost_per_1k_requests(tokens, model),
        break_even=prices.lora_break_even_requests(tokens, model),
        prices=prices,
    )


def source_evidence(prompt: Prompt, limit: int = 8) -> list[Evidence]:
    """Where an assembled prompt's parts are written (related information)."""
    locs = prompt.sources
    out = []
    for loc in locs[:limit]:
        out.append(Evidence(message="part of this prompt is written here", location=loc))
    if len(locs) > limit:
        out.append(Evidence(message=f"and {len(locs) - limit} more parts"))
    return out


def text_offset_to_location(prompt: Prompt, offset: int) -> Location | None:
    """Map an offset in ``prompt.text`` back to where it is written, when the part it
    falls in is a single-line-faithful literal (same length as written)."""
    pos = 0
    for part in prompt.parts:
        shown = part.text if part.kind == "text" else "{" + part.text + "}"
        if pos <= offset < pos + len(shown):
            if part.kind != "text" or part.location is None:
                return part.location
            rel = offset - pos
            before = part.text[:rel]
            line_delta = before.count("\n")
            start = part.location.range.start
            if line_delta == 0:
                col = start.character + rel
            else:
                col = rel - (before.rfind("\n") + 1)
            line = start.line + line_delta
            # only trust the mapping when it stays inside the part's written range
            if line > part.location.range.end.line:
                return part.location
            return Location(path=part.location.path, range=Range.of(line, col, line, col))
        pos += len(shown)
    return None
