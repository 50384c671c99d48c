"""Exact and near-duplicate examples in bounded memory.

Near-duplicates are found with MinHash in its one-permutation form (Li, Owen and
Zhang 2012): the shingles of an example (three consecutive tokens of its normalised
text) are hashed once, spread over 32 bins by the low bits, and the minimum of each
bin is kept.  Two examples agree on a bin with probability equal to their Jaccard
similarity.  Bins are grouped into 8 bands of 4; examples sharing a band are
candidates, confirmed when at least ``similarity`` of their bins agree.

The shingles are built from the token ids the tokenizer already produced (token
counting is paid anyway), mapped through a per-vocabulary table to a case-, space-
and punctuation-insensitive id, so "Hello,  World" and "hello world" shingle alike.
Only the non-system turns take part: a shared system prompt is not duplication.

Memory does not grow with the file: each example adds one exact key and up to eight
band keys to partition files on disk, and 128 bytes of signature to a signature file;
partitions are grouped one at a time at the end.  A pure-Python MinHash library
(datasketch) was measured and rejected: it needs numpy, costs tens of microseconds per
example, and keeps its LSH index in memory.
"""

from __future__ import annotations

import os
import struct
import threading
import unicodedata
from array import array
from dataclasses import dataclass, field
from operator import and_
from itertools import repeat

BINS = 32
BANDS = 8
ROWS = BINS // BANDS
SIG_BYTES = BINS * 4
_SIG = struct.Struct(f"<{BINS}I")
_ZERO_SIG = bytes(SIG_BYTES)
_BIN_MASK = BINS - 1
_BIN_BITS = _BIN_MASK.bit_length()
# A key's low 4 bits say its band (0: the exact key, 1..8: MinHash bands).
_BAND_MASK = 15
MIN_SHINGLE_TOKENS = 8  # shorter texts are compared exactly only
_FLUSH = 8192

_tables: dict[str, list[int]] = {}
_tables_lock = threading.Lock()


def canonical_token_table(encoding) -> list[int]:
    """token id → canonical id (0: whitespace/punctuation, ignored).

    Case and surrounding spaces are folded: " Hello", "hello" and "HELLO" share an id.
    """
    name = encoding.name
    table = _tables.get(name)
    if table is not None:
        return table
    with _tables_lock:
        table = _tables.get(name)
        if table is not None:
            return table
        ids: dict[str, int] = {}
        table = []
        for tok in range(encoding.n_vocab):
            try:
                raw = encoding.decode_single_token_bytes(tok)
            except KeyError:
                table.append(0)
                continue
            text = raw.decode("utf-8", "ignore").strip().lower()
            if not text or all(unicodedata.category(c)[0] in "PZSC" for c in text):
                table.append(0)
                continue
            table.append(ids.setdefault(text, len(ids) + 1))
        _tables[name] = table
    return table


def signature(canonical: list[int]) -> tuple[bytes, list[int]] | None:
    """The packed bin minima and the band keys of one example, or None if too short."""
    if len(canonical) < MIN_SHINGLE_TOKENS:
        return None
    shingles = set(map(hash, zip(canonical, canonical[1:], canonical[2:])))
    # iterate from the largest so the smallest value of each bin is written last
    ordered = sorted(shingles, reverse=True)
    minima = dict(zip(map(and_, ordered, repeat(_BIN_MASK)), ordered))
    values = [((minima[b] >> _BIN_BITS) & 0xFFFFFFFF) | 1 if b in minima else 0 for b in range(BINS)]
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS]
        if any(chunk):
            keys.append((hash((band + 1, *chunk)) & ~_BAND_MASK) | (band + 1))
    return _SIG.pack(*values), keys


def exact_key(h: int) -> int:
    return h & ~_BAND_MASK  # band 0


def similarity(a: bytes, b: bytes) -> float:
    va, vb = _SIG.unpack(a), _SIG.unpack(b)
    used = agree = 0
    for x, y in zip(va, vb):
        if x or y:
            used += 1
            agree += x == y
    return agree / used if used else 0.0


class SpillWriter:
    """One worker's keys, partitioned by key and appended to files in ``folder``."""

    def __init__(self, folder: str, worker: int, partitions: int):
        self.folder = folder
        self.worker = worker
        self.partitions = partitions
        # exact keys and band keys go to separate files: exact ones are grouped first
        self._buffers = [array("q") for _ in range(2 * partitions)]
        self._sig = open(os.path.join(folder, f"sig-{worker}.bin"), "wb")
        self._sig_next = 0

    def add(self, key: int, local_line: int) -> None:
        slot = (key >> 4) % self.partitions + (self.partitions if key & _BAND_MASK else 0)
        buf = self._buffers[slot]
        buf.append(key)
        buf.append((self.worker << 40) | local_line)
        if len(buf) >= _FLUSH:
            self._flush(slot)

    def add_signature(self, local_line: int, packed: bytes) -> None:
        gap = local_line - self._sig_next
        if gap > 1024:
            self._sig.seek(local_line * SIG_BYTES)  # a hole: lines without signature
        elif gap > 0:
            self._sig.write(_ZERO_SIG * gap)
        self._sig.write(packed)
        self._sig_next = local_line + 1

    def _flush(self, slot: int) -> None:
        buf = self._buffers[slot]
        if buf:
            with open(os.path.join(self.folder, f"part-{slot}-{self.worker}.bin"), "ab") as f:
                buf.tofile(f)
            self._buffers[slot] = array("q")

    def close(self) -> None:
        for slot in range(len(self._buffers)):
            self._flush(slot)
        self._sig.close()


@dataclass
class DuplicateReport:
    exact: int = 0
    near: int = 0
    # (line, line it duplicates, kind, similarity) for the first ones, in line order
    pairs: list[tuple[int, int, str, float]] = field(default_factory=list)


def find_duplicates(folder: str, workers: int, partitions: int, line_offsets: list[int], total_lines: int, threshold: float, keep: int) -> DuplicateReport:
    """Group the spilled keys partition by partition; count and list duplicates."""
    marked = bytearray(total_lines // 8 + 1)
    sig_files = {}
    for w in range(workers):
        path = os.path.join(folder, f"sig-{w}.bin")
        if os.path.exists(path):
            sig_files[w] = open(path, "rb")

    def sig_of(value: int) -> bytes | None:
        f = sig_files.get(value >> 40)
        if f is None:
            return None
        f.seek((value & ((1 << 40) - 1)) * SIG_BYTES)
        data = f.read(SIG_BYTES)
        return data if len(data) == SIG_BYTES and data != _ZERO_SIG else None

    def line_of(value: int) -> int:
        return line_offsets[value >> 40] + (value & ((1 << 40) - 1))

    report = DuplicateReport()
    found: list[tuple[int, int, str, float]] = []
    try:
        # slots [0, partitions) hold exact keys, the rest band keys: exact ones first, so
        # a line that is an exact copy is never counted as a near one
        for slot in range(2 * partitions):
            exact_slot = slot < partitions
            keys = array("q")
            for w in range(workers):
                path = os.path.join(folder, f"part-{slot}-{w}.bin")
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        keys.frombytes(f.read())
                    os.unlink(path)
            first: dict[int, int] = {}
            for i in range(0, len(keys), 2):
                key = keys[i]
                value = keys[i + 1]
                rep = first.setdefault(key, value)
                if rep == value:
                    continue
                a, b = line_of(rep), line_of(value)
                if a > b:
                    a, b = b, a
                    first[key] = value
                if marked[b >> 3] & (1 << (b & 7)):
                    continue
                if exact_slot:
                    kind, sim = "exact", 1.0
                else:
                    sa, sb = sig_of(rep), sig_of(value)
                    if sa is None or sb is None:
                        continue
                    sim = similarity(sa, sb)
                    if sim < threshold:
                        continue
                    kind = "near"
                marked[b >> 3] |= 1 << (b & 7)
                if kind == "exact":
                    report.exact += 1
                else:
                    report.near += 1
                found.append((b, a, kind, sim))
                if len(found) > 4 * keep:
                    found.sort()
                    del found[keep:]
            del keys, first
    finally:
        for f in sig_files.values():
            f.close()
    found.sort()
    report.pairs = found[:keep]
    return report
