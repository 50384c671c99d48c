"""One streaming pass over a dataset: parse, validate, count tokens, key duplicates,
and (when RAG101 is on) judge each example.  The result is bounded-size facts.

Big JSONL files are split at newlines into byte ranges, one per worker process; each
worker keeps only counters, the first few lines of each kind, and its duplicate keys
on disk, so memory does not grow with the file.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
import multiprocessing

from ..tokens import PIECE_CHARS, get_encoding, pieces
from .formats import CHAT, FORMAT_LABELS, UNKNOWN, read_record
from .jsonarray import iter_json_array
from .knowledge import DocsIndex, judge_example
from .lines import ParsedLine, iter_parsed_lines, iter_text_lines, parse_line, split_ranges

if TYPE_CHECKING:
    # imported where a scan runs: it brings numpy (0.08 s), which every run that loads
    # the dataset rules would otherwise pay, datasets or not
    from . import duplicates as dup

# OpenAI's chat framing: a few tokens per message and for the reply's start.
TOKENS_PER_TURN = 3
TOKENS_PER_EXAMPLE = 3
# Files at least this big are split over worker processes (smaller: not worth a start).
PARALLEL_MIN_BYTES = 64 * 1024 * 1024
PARTITION_BYTES = 4 * 1024 * 1024
# The split fix carries whole files; past this size it is not offered.
FIX_MAX_BYTES = 16 * 1024 * 1024
# Near-duplicate shingles use at most this many tokens of an example.
_SHINGLE_TOKENS = 20000
# System prompts repeat across the examples of a dataset, often word for word, and take
# no part in duplicate shingles: their token counts are remembered, for this many
# distinct prompts of up to this many characters (a few MB at most).
_SYSTEM_MEMO_ENTRIES = 128
_SYSTEM_MEMO_CHARS = 32 * 1024


@dataclass
class ScanOptions:
    encoding: str = "o200k_base"
    context_limit: int | None = None
    classify: bool = False
    near_threshold: float = 0.8
    keep: int = 200  # per-line items kept per kind (findings shown per rule)
    docs: DocsIndex | None = None
    keep_knowledge_lines: bool = False


@dataclass
class KnowledgeExample:
    line: int
    score: float
    reason: str
    evidence: str
    question: str
    copied_from: str | None = None


@dataclass
class ChunkResult:
    lines: int = 0
    examples: int = 0
    tokens: int = 0
    trained_tokens: int = 0
    max_tokens: int = 0
    max_tokens_line: int = -1
    formats: Counter = field(default_factory=Counter)
    format_lines: dict[str, list[int]] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    problem_count: int = 0
    problem_formats: Counter = field(default_factory=Counter)  # records with problems, by format
    unknown: list[tuple[int, str]] = field(default_factory=list)
    unknown_count: int = 0
    over_context: list[tuple[int, int]] = field(default_factory=list)
    over_context_count: int = 0
    classified: int = 0
    knowledge: int = 0
    top_knowledge: list[tuple[float, int, int, KnowledgeExample]] = field(default_factory=list)
    doc_copies: Counter = field(default_factory=Counter)
    knowledge_lines: list[int] | None = None


@dataclass
class DatasetFacts:
    """What the rules read about one dataset file."""

    path: str
    is_dataset: bool
    container: str  # "jsonl" or "json-array"
    format: str  # dominant record format
    formats: dict[str, int]
    lines: int
    examples: int
    tokens: int
    trained_tokens: int
    max_tokens: int
    max_tokens_line: int
    encoding: str
    context_limit: int | None
    malformed: list[tuple[int, str]]  # (0-based line, why), first ones
    malformed_count: int
    over_context: list[tuple[int, int]]
    over_context_count: int
    duplicates: dup.DuplicateReport
    classified: int
    knowledge: int
    top_knowledge: list[KnowledgeExample]
    doc_copies: dict[str, int]
    knowledge_lines: list[int] | None
    size_bytes: int
    workers: int

    @property
    def knowledge_share(self) -> float:
        return self.knowledge / self.classified if self.classified else 0.0


def _exact_hash(turns) -> int:
    """64 bits of SHA-256 over the roles and stripped texts (stable across processes,
    unlike ``hash`` of a str).  SHA-256 rather than blake2b: CPUs of the last years
    compute it in hardware, 1.3 µs for a 1.6 KB example here against 2.1 µs."""
    parts = []
    for t in turns:
        parts.append(t.role)
        parts.append(t.text.strip())
    data = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(data, usedforsecurity=False).digest()[:8], "little", signed=True)


def _token_ids(encode, text: str) -> tuple[int, list[int]]:
    """Token count of ``text`` and its first ids (for duplicate shingles).

    Texts over ``PIECE_CHARS`` characters are counted in pieces (``tokens.pieces``), so a
    20 MB answer never becomes a list of millions of ints at once.
    """
    if len(text) <= PIECE_CHARS:
        ids = encode(text)
        return len(ids), ids
    total = 0
    first: list[int] = []
    for piece in pieces(text):
        ids = encode(piece)
        total += len(ids)
        if not first:
            first = ids[:_SHINGLE_TOKENS]
    return total, first


def scan_parsed(items: Iterable[tuple[int, ParsedLine]], opts: ScanOptions, spill: dup.SpillWriter | None) -> ChunkResult:
    """The per-line work, shared by every reader and by each worker."""
    enc = get_encoding(opts.encoding)
    encode = enc.encode_ordinary
    keep = opts.keep
    limit = opts.context_limit
    sketch_ids = spill.ids if spill is not None else None
    system_counts: dict[str, int] = {}
    r = ChunkResult()
    if opts.keep_knowledge_lines:
        r.knowledge_lines = []
    seq = 0
    classify = opts.classify
    # hot counters live in locals and are stored in ``r`` once the lines are done
    lines = examples = total_tokens = total_trained = max_tokens = 0
    max_line = -1
    for line, parsed in items:
        lines = line + 1
        if parsed.blank:
            continue
        if parsed.problem is not None:
            r.problem_count += 1
            if len(r.problems) < keep:
                r.problems.append((line, parsed.problem))
            continue
        record = read_record(parsed.value)
        fmt = record.format
        if fmt == UNKNOWN:
            r.unknown_count += 1
            if len(r.unknown) < keep:
                r.unknown.append((line, record.problems[0]))
            continue
        r.formats[fmt] += 1
        lines_of = r.format_lines.setdefault(fmt, [])
        if len(lines_of) < keep:
            lines_of.append(line)
        if record.problems:
            r.problem_count += 1
            r.problem_formats[fmt] += 1
            if len(r.problems) < keep:
                r.problems.append((line, "; ".join(record.problems[:3])))
        examples += 1
        tokens = TOKENS_PER_EXAMPLE
        trained = 0
        if sketch_ids is not None:
            sketch_start = len(sketch_ids)
        for turn in record.turns:
            text = turn.text
            if not text:
                n = TOKENS_PER_TURN
            elif turn.role == "system":
                count = system_counts.get(text)
                if count is None:
                    count = _token_ids(encode, text)[0]
                    if len(text) <= _SYSTEM_MEMO_CHARS:
                        if len(system_counts) >= _SYSTEM_MEMO_ENTRIES:
                            system_counts.clear()
                        system_counts[text] = count
                n = count + TOKENS_PER_TURN
            else:
                if len(text) <= PIECE_CHARS:
                    ids = encode(text)
                    n = len(ids) + TOKENS_PER_TURN
                else:
                    count, ids = _token_ids(encode, text)
                    n = count + TOKENS_PER_TURN
                if sketch_ids is not None:
                    room = _SHINGLE_TOKENS - (len(sketch_ids) - sketch_start)
                    if room > 0:
                        sketch_ids.extend(ids if len(ids) <= room else ids[:room])
            if turn.extra:
                n += len(encode(turn.extra))
            tokens += n
            if turn.trained:
                trained += n
        total_tokens += tokens
        total_trained += trained
        if tokens > max_tokens:
            max_tokens, max_line = tokens, line
        if limit is not None and tokens > limit:
            r.over_context_count += 1
            if len(r.over_context) < keep:
                r.over_context.append((line, tokens))
        if spill is not None and record.turns:
            spill.end_example(line, _exact_hash(record.turns))
            sketch_ids = spill.ids  # a new array once a batch has been sketched
        if classify and not record.problems:
            judgment = judge_example(record, opts.docs)
            if judgment.verdict == "empty":
                continue
            r.classified += 1
            if judgment.verdict == "knowledge":
                r.knowledge += 1
                doc = opts.docs.names[judgment.copied_from] if judgment.copied_from is not None and opts.docs else None
                if doc:
                    r.doc_copies[doc] += 1
                if r.knowledge_lines is not None:
                    r.knowledge_lines.append(line)
                seq += 1
                item = (judgment.knowledge, -line, seq, KnowledgeExample(line, judgment.knowledge, judgment.reason, judgment.evidence, record.question[:160], doc))
                if len(r.top_knowledge) < keep:
                    heapq.heappush(r.top_knowledge, item)
                else:
                    heapq.heappushpop(r.top_knowledge, item)
    r.lines = lines
    r.examples = examples
    r.tokens = total_tokens
    r.trained_tokens = total_trained
    r.max_tokens, r.max_tokens_line = max_tokens, max_line
    return r


def _worker(path: str, start: int, end: int, worker: int, opts: ScanOptions, folder: str, partitions: int, table) -> ChunkResult:
    from . import duplicates as dup

    spill = dup.SpillWriter(folder, worker, partitions, table)
    try:
        with open(path, "rb", buffering=1024 * 1024) as f:
            return scan_parsed(iter_parsed_lines(f, start, end), opts, spill)
    finally:
        spill.close()


def _container(path: str, text: str | None) -> str:
    """'json-array' when the content is a JSON array, else 'jsonl' (by content)."""
    if text is not None:
        head = text[:4096]
    else:
        with open(path, "rb") as f:
            head = f.read(4096).decode("utf-8", "ignore")
    return "json-array" if head.lstrip("\ufeff \t\r\n")[:1] == "[" else "jsonl"


def scan_dataset(path: str, opts: ScanOptions, *, text: str | None = None, workers: int | None = None) -> DatasetFacts:
    """Facts of the dataset at ``path`` (or of ``text``, an editor buffer)."""
    from . import duplicates as dup

    size = len(text.encode("utf-8", "surrogatepass")) if text is not None else os.path.getsize(path)
    container = _container(path, text)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if size >= PARALLEL_MIN_BYTES else 1
    if container != "jsonl" or text is not None or multiprocessing.current_process().daemon:
        # a daemonic process (a worker of the CLI's pool) may not start processes
        workers = 1
    partitions = max(1, min(256, size // PARTITION_BYTES))
    with tempfile.TemporaryDirectory(prefix="ragtune-ds-") as folder:
        if workers <= 1:
            spill = dup.SpillWriter(folder, 0, partitions, dup.canonical_token_table(get_encoding(opts.encoding)))
            try:
                if text is not None:
                    items: Iterator = ((raw.number, parse_line(raw)) for raw in iter_text_lines(text))
                    if container == "json-array":
                        import io

                        items = iter_json_array(io.BytesIO(text.encode("utf-8", "surrogatepass")))
                    results = [scan_parsed(items, opts, spill)]
                elif container == "json-array":
                    with open(path, "rb") as f:
                        results = [scan_parsed(iter_json_array(f), opts, spill)]
                else:
                    with open(path, "rb", buffering=1024 * 1024) as f:
                        results = [scan_parsed(iter_parsed_lines(f, 0, size), opts, spill)]
            finally:
                spill.close()
        else:
            with open(path, "rb") as f:
                ranges = split_ranges(f, size, workers)
            # fork when it is safe (no other thread that a child could inherit mid-lock,
            # as in the language server): the workers then start with the engine and
            # the tokenizer already loaded (~1 s each to load again under spawn)
            safe_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
            ctx = multiprocessing.get_context("fork" if safe_fork else "spawn")
            # the canonical table is built once here and handed over, not built in every worker
            table = dup.canonical_token_table(get_encoding(opts.encoding))
            with ProcessPoolExecutor(max_workers=len(ranges), mp_context=ctx) as pool:
                futures = [pool.submit(_worker, path, s, e, w, opts, folder, partitions, table) for w, (s, e) in enumerate(ranges)]
                results = [fut.result() for fut in futures]
        offsets = []
        total = 0
        for res in results:
            offsets.append(total)
            total += res.lines
        report = dup.find_duplicates(folder, len(results), partitions, offsets, total, opts.near_threshold, opts.keep)
    return _merge(path, container, results, offsets, total, report, opts, size, len(results))


def _merge(path, container, results, offsets, total, report, opts, size, workers) -> DatasetFacts:
    formats: Counter = Counter()
    for res in results:
        formats.update(res.formats)
    dominant = formats.most_common(1)[0][0] if formats else UNKNOWN
    keep = opts.keep
    by_line: dict[int, list[str]] = {}
    malformed_count = 0
    for off, res in zip(offsets, results):
        for line, why in res.problems:
            by_line.setdefault(off + line, []).append(why)
        malformed_count += res.problem_count
        if dominant != UNKNOWN:
            for line, why in res.unknown:
                by_line.setdefault(off + line, []).append(why)
            malformed_count += res.unknown_count
            for fmt, lines in res.format_lines.items():
                if fmt != dominant:
                    why = f"this record is {FORMAT_LABELS[fmt]} while the file is {FORMAT_LABELS[dominant]}: a trainer reads one format per file"
                    for line in lines:
                        by_line.setdefault(off + line, []).append(why)
            # mixed-format records not already counted for another problem
            malformed_count += sum(n - res.problem_formats[fmt] for fmt, n in res.formats.items() if fmt != dominant)
    malformed = sorted((line, "; ".join(whys)) for line, whys in by_line.items())
    top: list[tuple[float, int, int, KnowledgeExample]] = []
    for off, res in zip(offsets, results):
        for item in res.top_knowledge:
            item[3].line += off
            top.append(item)
    top.sort(key=lambda it: (-it[0], it[3].line))
    over = sorted((off + line, n) for off, res in zip(offsets, results) for line, n in res.over_context)
    doc_copies: Counter = Counter()
    for res in results:
        doc_copies.update(res.doc_copies)
    knowledge_lines = None
    if opts.keep_knowledge_lines:
        knowledge_lines = [off + line for off, res in zip(offsets, results) for line in (res.knowledge_lines or [])]
    max_res = max(results, key=lambda r: r.max_tokens)
    max_off = offsets[results.index(max_res)]
    return DatasetFacts(
        path=path,
        is_dataset=dominant != UNKNOWN,
        container=container,
        format=dominant,
        formats=dict(formats),
        lines=total,
        examples=sum(r.examples for r in results),
        tokens=sum(r.tokens for r in results),
        trained_tokens=sum(r.trained_tokens for r in results),
        max_tokens=max_res.max_tokens,
        max_tokens_line=max_off + max_res.max_tokens_line if max_res.max_tokens_line >= 0 else -1,
        encoding=opts.encoding,
        context_limit=opts.context_limit,
        malformed=malformed[:keep],
        malformed_count=malformed_count,
        over_context=over[:keep],
        over_context_count=sum(r.over_context_count for r in results),
        duplicates=report,
        classified=sum(r.classified for r in results),
        knowledge=sum(r.knowledge for r in results),
        top_knowledge=[it[3] for it in top[:keep]],
        doc_copies=dict(doc_copies.most_common()),
        knowledge_lines=knowledge_lines,
        size_bytes=size,
        workers=workers,
    )


__all__ = ["DatasetFacts", "KnowledgeExample", "ScanOptions", "scan_dataset", "scan_parsed", "CHAT"]
