"""Fine-tuning datasets: streaming readers, hygiene facts, knowledge-vs-behaviour per
example, near-duplicates, and the code that trains on each dataset.

``analyse_dataset(ctx)`` is what the engine calls for a file of kind "dataset"; the
DS3xx rules and RAG101 read the ``DatasetAnalysis`` it puts in ``ctx.facts``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Range
from ..prices import ModelPrice, format_money
from ..rules.registry import enabled_codes
from ..tokens import tokenizer_for_model
from .knowledge import DocsIndex, build_docs_index, find_documents
from .links import DatasetLink, is_eval_name, links_by_dataset
from .scan import FIX_MAX_BYTES, DatasetFacts, ScanOptions, scan_dataset

_DATA_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".parquet", ".csv", ".arrow")


@dataclass
class DatasetAnalysis:
    facts: DatasetFacts
    links: list[DatasetLink]
    model: str
    model_source: str  # "the job at train.py:12" or "default-model"
    exact_tokens: bool
    price: ModelPrice | None
    prices_as_of: str
    currency: str
    eval_split: str | None  # what holds the evaluation set, in words; None if nothing
    docs_indexed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def is_training_set(self) -> bool:
        return not is_eval_name(self.facts.path) and not any(l.role == "validation" for l in self.links if l.role)

    def cost_per_epoch(self) -> float | None:
        if self.price is None or self.price.training_per_mtok is None:
            return None
        return self.facts.tokens * self.price.training_per_mtok / 1_000_000

    def cost_phrase(self) -> str:
        cost = self.cost_per_epoch()
        if cost is None:
            return f"no training price known for {self.model}"
        return f"≈ {format_money(cost, self.currency)} per epoch on {self.model} (training price as of {self.prices_as_of})"

    def tokens_phrase(self) -> str:
        label = self.facts.encoding if self.exact_tokens else f"{self.facts.encoding}, approximate"
        return f"{self.facts.tokens:,} tokens ({label})"

    def stores_knowledge(self, share_threshold: float) -> bool:
        """RAG101's verdict: a judged share of examples storing facts at the threshold."""
        return self.facts.classified > 0 and self.facts.knowledge_share >= share_threshold

    @property
    def duplicate_count(self) -> int:
        return self.facts.duplicates.exact + self.facts.duplicates.near

    def profile_phrase(self, share_threshold: float) -> str:
        """What the dataset holds, as RAG101 and DS300 state it."""
        f = self.facts
        dups = self.duplicate_count
        return (
            f"{f.examples:,} examples, {self.tokens_phrase()}, {self.cost_phrase()}; "
            f"{f.knowledge:,} of {f.classified:,} judged examples store facts ({f.knowledge_share:.0%}, threshold {share_threshold:.0%}); "
            f"{dups:,} duplicate{'s' if dups != 1 else ''}; {f.malformed_count:,} malformed line{'s' if f.malformed_count != 1 else ''}"
        )

    def copies_phrases(self) -> list[str]:
        """'4 answers are copied from docs/pricing.md', per document, in the facts' order."""
        return [f"{n:,} answer{'s are' if n != 1 else ' is'} copied from {doc}" for doc, n in self.facts.doc_copies.items()]

    def figures(self, share_threshold: float) -> dict[str, float | int | str]:
        f = self.facts
        out: dict[str, float | int | str] = {
            "examples": f.examples,
            "tokens": f.tokens,
            "encoding": f.encoding,
            "knowledge_examples": f.knowledge,
            "classified_examples": f.classified,
            "knowledge_share": round(f.knowledge_share, 4),
            "threshold_share": share_threshold,
            "duplicates": self.duplicate_count,
            "malformed": f.malformed_count,
            "model": self.model,
            "prices_as_of": self.prices_as_of,
        }
        cost = self.cost_per_epoch()
        if cost is not None:
            out["cost_per_epoch"] = round(cost, 4)
        return out


def _docs_index(ctx) -> tuple[DocsIndex | None, int]:
    root = str(ctx.workspace.root)
    documents = find_documents(root)
    if not documents:
        return None, 0
    fingerprint = "\n".join(f"{p}\t{s}\t{m}" for p, s, m in documents)
    index = ctx.workspace.memo("dataset-docs-index", root, fingerprint, lambda: build_docs_index(root, documents))
    return index, len(documents)


def _eval_split(path: str, links: list[DatasetLink], workspace_root: Path) -> str | None:
    for link in links:
        if link.has_validation:
            return f"a validation set passed by {link.kind} at {_rel(link.code_path, workspace_root)}:{link.line + 1}"
    folder = Path(path).parent
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    own = Path(path).name
    for name in names:
        if name != own and name.lower().endswith(_DATA_SUFFIXES) and is_eval_name(name):
            return f"{name} beside it"
    return None


def _rel(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path


def analyse_dataset(ctx) -> DatasetAnalysis | None:
    """Scan the dataset of ``ctx`` (a FileContext of kind "dataset").

    None when the file cannot be read; the reason is added to ``ctx.errors`` (RT002).
    """
    settings = ctx.settings
    t = settings.thresholds
    enabled = enabled_codes(settings.select, settings.ignore, settings.extend_select)
    root = Path(ctx.workspace.root)
    try:
        links = links_by_dataset(ctx.workspace).get(str(Path(ctx.path).resolve()), [])
    except (OSError, ValueError):
        links = []
    linked = next((l for l in links if l.model), None)
    if linked is not None:
        model = linked.model
        model_source = f"the model of {linked.kind} at {_rel(linked.code_path, root)}:{linked.line + 1}"
    else:
        model = settings.default_model
        model_source = "default-model"
    tokenizer = tokenizer_for_model(model)
    price = ctx.prices.lookup(model)
    classify = "RAG101" in enabled
    docs, n_docs = _docs_index(ctx) if classify else (None, 0)
    try:
        size = len(ctx.text.encode("utf-8", "surrogatepass")) if ctx.text else os.path.getsize(ctx.path)
    except OSError as exc:
        ctx.errors.append((Range.of(0, 0, 0, 0), f"Skipped: {exc.strerror or exc}"))
        return None
    opts = ScanOptions(
        encoding=tokenizer.encoding,
        context_limit=price.context_window if price else None,
        classify=classify,
        near_threshold=t.near_duplicate_similarity,
        keep=t.dataset_findings_per_rule,
        docs=docs,
        keep_knowledge_lines=classify and size <= FIX_MAX_BYTES,
    )
    try:
        facts = scan_dataset(ctx.path, opts, text=ctx.text or None)
    except OSError as exc:
        ctx.errors.append((Range.of(0, 0, 0, 0), f"Skipped: {exc.strerror or exc}"))
        return None
    return DatasetAnalysis(
        facts=facts,
        links=links,
        model=model,
        model_source=model_source,
        exact_tokens=tokenizer.exact,
        price=price,
        prices_as_of=ctx.prices.as_of,
        currency=ctx.prices.currency,
        eval_split=_eval_split(ctx.path, links, root),
        docs_indexed=n_docs,
    )


def dataset_of(ctx) -> DatasetAnalysis | None:
    """The analysis rules read; None unless ``ctx`` is a fine-tuning dataset."""
    if ctx.kind != "dataset":
        return None
    analysis = ctx.facts.get("dataset")
    if analysis is None:
        return None
    if not analysis.facts.is_dataset and not analysis.links:
        return None
    return analysis


def linked_evidence(analysis: DatasetAnalysis, root: Path):
    """'trained by the job at train.py:12' as evidence pointing at the call."""
    from ..models import Evidence, Location, Range

    out = []
    seen = set()
    for link in analysis.links:
        key = (link.code_path, link.line)
        if key in seen:
            continue
        seen.add(key)
        what = "validated by" if link.role == "validation" else "trained by"
        out.append(
            Evidence(
                message=f"{what} {link.kind} at {_rel(link.code_path, root)}:{link.line + 1}",
                location=Location(path=link.code_path, range=Range.of(link.line, 0, link.line, 0)),
            )
        )
    return out[:8]


__all__ = ["DatasetAnalysis", "analyse_dataset", "dataset_of", "linked_evidence", "scan_dataset", "ScanOptions"]
