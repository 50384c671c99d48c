"""## What it does
Judges every example of a fine-tuning dataset: does its answer teach *behaviour*
(format, tone, a decision rule, a transformation of what the prompt gives) or store
*facts* (prices, limits, policies, specifications the prompt does not give)?  The
classifier reads the trained assistant turns *given the input*: facts supplied in the
prompt and transformed are behaviour; facts that appear only in answers are
memorisation.  An answer whose point is a format (a JSON object, a label) is behaviour
even for trivia questions.  An answer copied from a document in the repository
(markdown, text or HTML under a docs-like folder) is knowledge, and the document is
named.

It fires only for a dataset that stores knowledge: a share of its judged examples at
or over `knowledge-examples-share` (default 30 %).  On line 1 it reports that verdict
with a summary: examples, tokens, training cost per epoch (dated prices), the
knowledge share, duplicates and malformed lines; the strongest knowledge examples are
also reported on their own lines.  A dataset that teaches behaviour gets no RAG101:
its profile is DS300, a hint.

## Why is this bad?
Seed 003, "The Trap of Fine-Tuning for Knowledge": a model fine-tuned on a knowledge
base cannot cite (knowledge becomes opaque), must be retrained whenever the documents
change (stale), and still hallucinates, "now with more confidence and no retrievable
source to ground it".  "You can fine-tune your way to factual accuracy. No. The model
learns patterns, not facts."

## Example
```
{"messages": [{"role": "user", "content": "How much is the Team plan?"},
              {"role": "assistant", "content": "The Team plan costs $49 per month."}]}
```

## Use instead
Put the facts in documents that are retrieved at inference time, and fine-tune only
the behaviour: "keep documents in retrieval, fine-tune only the behaviour (citation
format, response structure, tone)" (seed 003).  A behaviour example gives the facts in
the prompt and teaches what to do with them:
```
{"messages": [{"role": "system", "content": "Context: Team plan: $49/month."},
              {"role": "user", "content": "How much is the Team plan?"},
              {"role": "assistant", "content": "The Team plan is $49 per month [pricing]."}]}
```

## Fix safety
The fix splits the dataset into two new files beside it: the behaviour examples (a new
training file, lines kept byte for byte) and the knowledge examples as a markdown
corpus ready for retrieval.  The original is left untouched and existing files are
never overwritten, but which examples move is the classifier's judgment, so the fix is
unsafe.  It is offered for datasets up to 16 MB.

## Source
Seed `003_68cbcc4763a1f380.txt` (the trap of fine-tuning for knowledge; the two-question
funnel), seed `001_f7a25d54733a4259.txt` (knowledge is static once fine-tuned), seed
`004_79165fe7a78df359.txt`; DESIGN §1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ...datasets import DatasetAnalysis, dataset_of, linked_evidence
from ...datasets.jsonarray import iter_json_array
from ...datasets.lines import iter_lines, iter_text_lines, parse_line
from ...datasets.formats import read_record
from ...models import Applicability, Evidence, Finding, Fix, Location, NewFile, Range
from ..base import FileContext

_TOP_EVIDENCE = 5


def check(ctx: FileContext) -> Iterator[Finding]:
    analysis = dataset_of(ctx)
    if analysis is None or not analysis.facts.is_dataset:
        return
    threshold = ctx.settings.thresholds.knowledge_examples_share
    if not analysis.stores_knowledge(threshold):
        return  # a dataset that teaches behaviour: DS300 gives its profile
    facts = analysis.facts
    root = ctx.workspace.root
    copies = analysis.copies_phrases()
    verdict = (
        f"This dataset stores knowledge: {analysis.profile_phrase(threshold)}. "
        + (f"{'; '.join(copies[:3])}. " if copies else "")
        + "Facts learned in weights cannot be cited, go stale and are still hallucinated (seed 003): "
        "move them to retrieval and fine-tune only the behaviour."
    )
    evidence: list[Evidence] = []
    for ex in facts.top_knowledge[:_TOP_EVIDENCE]:
        evidence.append(
            Evidence(
                message=f"line {ex.line + 1}: {ex.reason}" + (f" — {ex.evidence!r}" if ex.evidence else ""),
                location=Location(path=ctx.path, range=Range.of(ex.line, 0, ex.line, 0)),
            )
        )
    for doc, phrase in list(zip(facts.doc_copies, copies))[:3]:
        evidence.append(Evidence(message=phrase, location=Location(path=str(Path(root) / doc), range=Range.of(0, 0, 0, 0))))
    evidence.extend(linked_evidence(analysis, root))
    yield ctx.finding(
        "RAG101",
        verdict,
        Range.of(0, 0, 0, 0),
        evidence=evidence,
        fix=_split_fix(ctx, analysis) if facts.knowledge else None,
        figures=analysis.figures(threshold),
    )
    for ex in sorted(facts.top_knowledge, key=lambda e: e.line):
        where = f" (copied from {ex.copied_from})" if ex.copied_from else ""
        yield ctx.finding(
            "RAG101",
            f"This example stores a fact{where}: {ex.reason}. Put the fact in a retrieved document and train on the behaviour.",
            Range.of(ex.line, 0, ex.line, 0),
            evidence=[Evidence(message=f"answer: {ex.evidence!r}")] if ex.evidence else [],
            figures={"knowledge": round(ex.score, 3)},
        )


def _taken_paths(path: Path, suffix: str):
    """The names the split fix gives its files, in order, as long as they are taken."""
    stem = path.name.split(".")[0]
    candidate = path.with_name(f"{stem}{suffix}")
    n = 2
    while candidate.exists():
        yield candidate
        candidate = path.with_name(f"{stem}-{n}{suffix}")
        n += 1


def _free_path(path: Path, suffix: str) -> Path:
    stem = path.name.split(".")[0]
    n = 1 + sum(1 for _ in _taken_paths(path, suffix))
    return path.with_name(f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")


def _written_before(path: Path, suffix: str, content: str) -> bool:
    """Whether one of the names the fix uses already holds exactly ``content``."""
    data = content.encode("utf-8")
    for taken in _taken_paths(path, suffix):
        try:
            if taken.stat().st_size == len(data) and taken.read_bytes() == data:
                return True
        except OSError:
            continue
    return False


def _items(ctx: FileContext, container: str):
    if ctx.text:
        if container == "json-array":
            import io

            yield from ((line, parsed, None) for line, parsed in iter_json_array(io.BytesIO(ctx.text.encode("utf-8", "surrogatepass"))))
        else:
            yield from ((raw.number, parse_line(raw), raw.data) for raw in iter_text_lines(ctx.text))
        return
    with open(ctx.path, "rb") as f:
        if container == "json-array":
            yield from ((line, parsed, None) for line, parsed in iter_json_array(f))
        else:
            size = Path(ctx.path).stat().st_size
            yield from ((raw.number, parse_line(raw), raw.data) for raw in iter_lines(f, 0, size))


def _split_fix(ctx: FileContext, analysis: DatasetAnalysis) -> Fix | None:
    facts = analysis.facts
    if facts.knowledge_lines is None:
        return None
    knowledge = set(facts.knowledge_lines)
    source = Path(ctx.path)
    behaviour_lines: list[str] = []
    corpus: list[str] = [f"# Knowledge from {source.name}\n\nFacts moved out of the fine-tuning data for retrieval.\n"]
    try:
        for line, parsed, raw in _items(ctx, facts.container):
            if parsed.blank or parsed.problem is not None:
                continue
            if line in knowledge:
                record = read_record(parsed.value)
                question = record.question.strip().replace("\n", " ")[:200] or f"Example on line {line + 1}"
                corpus.append(f"## {question}\n\n{record.output_text.strip()}\n\n<!-- {source.name} line {line + 1} -->\n")
            elif raw is not None:
                behaviour_lines.append(raw.decode("utf-8").rstrip("\r\n"))
            else:
                behaviour_lines.append(json.dumps(parsed.value, ensure_ascii=False))
    except (OSError, UnicodeDecodeError):
        return None
    corpus_text = "\n".join(corpus)
    behaviour_text = "\n".join(behaviour_lines) + "\n" if behaviour_lines else None
    if _written_before(source, ".knowledge.md", corpus_text) and (behaviour_text is None or _written_before(source, ".behaviour.jsonl", behaviour_text)):
        return None  # split already, by this fix: offering it again would only make copies
    behaviour_path = _free_path(source, ".behaviour.jsonl")
    corpus_path = _free_path(source, ".knowledge.md")
    moved = len(corpus) - 1
    files = [NewFile(path=str(corpus_path), content=corpus_text)]
    if behaviour_text is not None:
        files.insert(0, NewFile(path=str(behaviour_path), content=behaviour_text))
        title = f"Split into {behaviour_path.name} ({len(behaviour_lines):,} behaviour examples) and {corpus_path.name} ({moved:,} facts for retrieval)"
    else:
        title = f"Move the {moved:,} examples' facts to {corpus_path.name} for retrieval (no behaviour examples remain)"
    return Fix(title=title, applicability=Applicability.UNSAFE, new_files=files)
