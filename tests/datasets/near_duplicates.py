"""A generated, labelled set for DS302's near-duplicate detection, shared by
``measure.py`` (which prints precision and recall) and a test (which holds a floor).

Support-chat examples are written from a word list; some are then copied with light
edits, as real datasets get them (a word swapped, case, spacing and punctuation
changed): those copies are the positives.  Others reuse the question with a rewritten
answer, or share a long system prompt: similar, but not duplicates.  Each positive is
also scored by its true Jaccard similarity over the sketch's own shingles, so a miss can
be told apart from a pair the threshold is right to leave out.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

WORDS = (
    "account address after again agent answer app archive backup billing browser cache "
    "calendar card cancel change charge check client cloud code customer dashboard data "
    "date delete delivery device download email error export feature file folder form "
    "help history import invoice issue key language limit link list login mobile month "
    "network note order page password payment plan printer profile project receipt "
    "refund release report request reset restart role save schedule screen search "
    "service session setting share shipping sign storage subscription support sync "
    "table team ticket time token update upload user version warehouse week window"
).split()
SYSTEM = "You are a support assistant for a small software company. Be brief and kind. " * 4


@dataclass
class NearDuplicateSet:
    lines: list[str]
    copies: dict[int, int]  # 0-based line of an edited copy → line it copies
    similar: set[int]  # lines that resemble another but are not copies


def _sentence(rng: random.Random, n: int) -> str:
    words = rng.choices(WORDS, k=n)
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice([".", ".", "?", "!"])


def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, rng.randint(6, 16)) for _ in range(sentences))


def _edit(rng: random.Random, text: str, swaps: int) -> str:
    """Light edits: ``swaps`` words replaced, plus case, spacing and punctuation noise."""
    words = text.split(" ")
    for _ in range(swaps):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    for _ in range(3):
        i = rng.randrange(len(words))
        words[i] = rng.choice([words[i].upper(), words[i].lower(), words[i] + ",", words[i] + "  "])
    return " ".join(words)


def _chat(user: str, answer: str, system: str | None = None) -> str:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages})


def generate(seed: int = 11, bases: int = 2000) -> NearDuplicateSet:
    rng = random.Random(seed)
    originals = []
    for _ in range(bases):
        system = SYSTEM if rng.random() < 0.5 else None
        originals.append((_text(rng, rng.randint(1, 3)), _text(rng, rng.randint(3, 12)), system))
    lines = [_chat(*o) for o in originals]
    copies: dict[int, int] = {}
    similar: set[int] = set()
    for i, (user, answer, system) in enumerate(originals):
        roll = rng.random()
        if roll < 0.3:
            # an edited copy: about one word in 40-120 swapped
            swaps = rng.randint(0, max(1, len(answer.split()) // rng.randint(40, 120)))
            copies[len(lines)] = i
            lines.append(_chat(_edit(rng, user, 0), _edit(rng, answer, swaps), system))
        elif roll < 0.5:
            # the same question, a different answer
            similar.add(len(lines))
            lines.append(_chat(user, _text(rng, rng.randint(3, 12)), system))
        elif roll < 0.6:
            # half of the answer kept, half rewritten
            half = answer.split(" ")
            keep = len(half) // 2
            similar.add(len(lines))
            lines.append(_chat(user, " ".join(half[:keep]) + " " + _text(rng, max(1, len(half[keep:]) // 10)), system))
    return NearDuplicateSet(lines, copies, similar)


def score(found: list[tuple[int, int, str, float]], data: NearDuplicateSet) -> dict:
    """Precision and recall of the duplicate pairs (line, duplicate of line, kind, similarity).

    A copy whose edits happened to leave its text unchanged is found as exact: still found.
    """
    near = {(line, of) for line, of, _, _ in found}
    tp = sum(1 for line, of in near if data.copies.get(line) == of)
    fp = len(near) - tp
    fn = len(data.copies) - tp
    return {"tp": tp, "fp": fp, "fn": fn, "positives": len(data.copies), "negatives_similar": len(data.similar),
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def run_scan(data: NearDuplicateSet, folder: str, threshold: float = 0.8):
    """Scan the set as a JSONL file with every pair kept; the duplicate report."""
    import os

    from ragtune.analyzers.datasets.scan import ScanOptions, scan_dataset

    path = os.path.join(folder, "near.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(data.lines) + "\n")
    keep = len(data.lines)
    return scan_dataset(path, ScanOptions(near_threshold=threshold, keep=keep), workers=1).duplicates


def true_jaccard(a: str, b: str) -> float:
    """Jaccard similarity of two lines' shingle sets, computed exactly: what the sketch estimates."""
    from ragtune.analyzers.datasets.duplicates import canonical_token_table
    from ragtune.analyzers.tokens import get_encoding

    enc = get_encoding("o200k_base")
    table = canonical_token_table(enc).tolist()

    def shingles(line: str) -> set[tuple[int, int, int]]:
        ids = [table[t] for m in json.loads(line)["messages"] if m["role"] != "system" for t in enc.encode_ordinary(m["content"])]
        ids = [t for t in ids if t]
        return set(zip(ids, ids[1:], ids[2:]))

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0
