"""Exact and near-duplicate examples in bounded memory.

Near-duplicates are found with MinHash in its one-permutation form (Li, Owen and
Zhang 2012): the shingles of an example (three consecutive tokens of its normalised
text) are hashed once, spread over 64 bins by the low bits, and the minimum of each
bin is kept.  Two examples agree on a bin with probability equal to their Jaccard
similarity.  The first 32 bins are grouped into 8 bands of 4; examples sharing a band
are candidates, confirmed when at least ``similarity`` of all 64 bins agree (64 rather
than 32 halves the variance of that estimate: on the generated set of
``tests/datasets/near_duplicates.py`` it took recall from 0.96 to 0.97 and left
precision at 1.0).

The shingles are built from the token ids the tokenizer already produced (token
counting is paid anyway), mapped through a per-vocabulary table to a case-, space-
and punctuation-insensitive id, so "Hello,  World" and "hello world" shingle alike.
Only the non-system turns take part: a shared system prompt is not duplication.

The sketches are computed a batch of examples at a time with numpy: the scan only
appends each example's token ids to a flat array, and one pass of array operations
maps, shingles, hashes and takes the per-bin minima of a thousand examples at once
(about 5 µs an example, against about 70 µs for the same sketch built per example in
Python, which was the largest cost of the whole pass).

Memory does not grow with the file: each example adds one exact key and up to eight
band keys to partition files on disk, and 256 bytes of signature to a signature file;
partitions are grouped one at a time at the end.  A batch holds at most
``_BATCH_TOKENS`` ids.  A MinHash library (datasketch) was measured and rejected: it
hashes per example in Python, costs tens of microseconds per example, and keeps its
LSH index in memory.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from array import array
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np

from ..tokens import derived_cache_file, vocabulary
from ..userdirs import read_checked, write_checked

BINS = 64
BANDS = 8
ROWS = 4  # bins per band; the bands cover the first BANDS * ROWS bins, the check all of them
SIG_BYTES = BINS * 4
_ZERO_SIG = bytes(SIG_BYTES)
_BIN_MASK = BINS - 1
_BIN_BITS = _BIN_MASK.bit_length()
# A key's low 4 bits say its band (0: the exact key, 1..8: MinHash bands).
_BAND_MASK = 15
MIN_SHINGLE_TOKENS = 8  # shorter texts are compared exactly only
# Keys held before they are sorted by partition and written out as one run (~6 MB).
_SPILL_KEYS = 1 << 18
# Examples and token ids held before a batch is sketched (the ids: 1 MB of uint32).
_BATCH_EXAMPLES = 1024
_BATCH_TOKENS = 1 << 18
# Canonical ids fit in 21 bits, so a shingle packs three of them into one uint64.
_ID_BITS = 21
_EMPTY_BIN = np.uint64(1 << 40)  # above any 32-bit bin value

_tables: dict[str, np.ndarray] = {}
_ALNUM = re.compile(r"[^\W_]")  # a letter or digit (categories L and N)
# The table's format and folding rules: bump when either changes, so a table kept in
# the user's cache by an older ragtune is not read.
_TABLE_VERSION = 1
_tables_lock = threading.Lock()


def canonical_token_table(encoding) -> np.ndarray:
    """token id → canonical id (0: whitespace/punctuation, ignored), as uint64.

    Case and surrounding spaces are folded: " Hello", "hello" and "HELLO" share an id.
    Built once per machine (0.17 s for o200k_base) and kept in the user's cache (800 KB,
    read back in about a millisecond); worker processes are handed it.
    """
    name = encoding.name
    table = _tables.get(name)
    if table is not None:
        return table
    with _tables_lock:
        table = _tables.get(name)
        if table is not None:
            return table
        cached = derived_cache_file(name, f"canonical-v{_TABLE_VERSION}-ucd{unicodedata.unidata_version}.u32")
        payload = read_checked(cached) if cached is not None else None
        if payload is not None and len(payload) == 4 * encoding.n_vocab:
            table = np.frombuffer(payload, dtype="<u4").astype(np.uint64)
            _tables[name] = table
            return table
        ranks, special = vocabulary(name)
        tokens = sorted(ranks.items(), key=itemgetter(1))  # in id order (already, as a rule)
        tokens.extend(sorted(((text.encode("utf-8"), tok) for text, tok in special.items()), key=itemgetter(1)))
        ids: dict[str, int] = {}
        canonical = array("I", bytes(4 * encoding.n_vocab))
        has_alnum = _ALNUM.search
        for raw, tok in tokens:
            text = raw.decode("utf-8", "ignore").strip().lower()
            # a letter or digit settles it at C speed; only the rest (punctuation, marks)
            # is looked at character by character (0.37 s -> 0.17 s for o200k_base)
            if not text or (has_alnum(text) is None and all(unicodedata.category(c)[0] in "PZSC" for c in text)):
                continue
            canonical[tok] = ids.setdefault(text, len(ids) + 1)
        if len(ids) >= 1 << _ID_BITS:
            raise ValueError(f"{name}: {len(ids)} canonical tokens do not fit in {_ID_BITS} bits")
        ids32 = np.frombuffer(canonical, dtype=np.uint32)
        if cached is not None:
            write_checked(cached, ids32.astype("<u4").tobytes())
        table = ids32.astype(np.uint64)
        _tables[name] = table
    return table


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit (wraps mod 2**64)."""
    x = x ^ (x >> _S30)
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


_BAND_SALT = _mix(np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))


def signatures(table: np.ndarray, ids: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bin minima of a batch of examples: (n, BINS) uint32, 0 for an empty bin, and
    whether each example is long enough to have a signature.

    ``ids`` holds the examples' token ids one after the other; example i ends at
    ``ends[i]``.
    """
    n = len(ends)
    lengths = np.diff(ends, prepend=0)
    canon = table[ids]
    kept = canon != 0
    example = np.repeat(np.arange(n, dtype=np.intp), lengths)[kept]
    canon = canon[kept]
    has_signature = np.bincount(example, minlength=n) >= MIN_SHINGLE_TOKENS
    # one slot past the end takes the shingles that straddle two examples
    minima = np.full(n * BINS + 1, _EMPTY_BIN, dtype=np.uint64)
    if len(canon) >= 3:
        shingles = canon[:-2] | (canon[1:-1] << np.uint64(_ID_BITS))
        shingles |= canon[2:] << np.uint64(2 * _ID_BITS)
        shingles = _mix(shingles)
        where = (shingles & np.uint64(_BIN_MASK)).astype(np.intp)
        first = example[:-2]
        where += first * BINS
        where[first != example[2:]] = n * BINS
        shingles >>= np.uint64(_BIN_BITS)
        shingles &= np.uint64(0xFFFFFFFF)
        shingles |= np.uint64(1)  # 0 marks an empty bin
        np.minimum.at(minima, where, shingles)
    minima = minima[:-1]
    minima[minima == _EMPTY_BIN] = 0
    return minima.astype(np.uint32).reshape(n, BINS), has_signature


def band_keys(sigs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 8) int64 band keys (low 4 bits: the band, 1..8) and which bands hold a value."""
    halves = sigs.view(np.uint64)[:, : BANDS * ROWS // 2].reshape(len(sigs), BANDS, ROWS // 2)
    h = _mix(halves[:, :, 0] ^ _mix(halves[:, :, 1] ^ _BAND_SALT))
    keys = (h & ~np.uint64(_BAND_MASK)) | np.arange(1, BANDS + 1, dtype=np.uint64)
    present = (halves[:, :, 0] | halves[:, :, 1]) != 0
    return keys.view(np.int64), present


def similarity(a: bytes, b: bytes) -> float:
    va = np.frombuffer(a, dtype="<u4")
    vb = np.frombuffer(b, dtype="<u4")
    used = int(np.count_nonzero(va | vb))
    return int(np.count_nonzero((va == vb) & (va != 0))) / used if used else 0.0


class SpillWriter:
    """One worker's keys, partitioned by key and appended to files in ``folder``.

    The scan appends an example's token ids to ``ids`` and then calls
    ``end_example``; keys and signatures are computed and spilled a batch at a time.
    """

    def __init__(self, folder: str, worker: int, partitions: int, table: np.ndarray):
        self.folder = folder
        self.worker = worker
        self.partitions = partitions
        self._table = table  # canonical_token_table() of the encoding
        # exact keys and band keys go to separate partitions: exact ones are grouped first
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_keys = 0
        self._runs = 0
        self._sig = open(os.path.join(folder, f"sig-{worker}.bin"), "wb")
        self.ids = array("I")
        self._ends = array("q")
        self._lines = array("q")
        self._exact = array("q")

    def end_example(self, local_line: int, exact_hash: int) -> None:
        """The ids appended since the last call are the example on ``local_line``."""
        self._ends.append(len(self.ids))
        self._lines.append(local_line)
        self._exact.append(exact_hash & ~_BAND_MASK)  # band 0: the exact key
        if len(self._ends) >= _BATCH_EXAMPLES or len(self.ids) >= _BATCH_TOKENS:
            self._sketch_batch()

    def _sketch_batch(self) -> None:
        if not self._ends:
            return
        n = len(self._ends)
        lines = np.frombuffer(self._lines, dtype=np.int64)
        sigs, has_signature = signatures(self._table, np.frombuffer(self.ids, dtype=np.uint32), np.frombuffer(self._ends, dtype=np.int64))
        bands, present = band_keys(sigs)
        present &= has_signature[:, None]
        values = (np.int64(self.worker) << np.int64(40)) | lines
        keys = np.concatenate((np.frombuffer(self._exact, dtype=np.int64), bands[present]))
        owners = np.concatenate((values, np.broadcast_to(values[:, None], (n, BANDS))[present]))
        slots = (keys >> np.int64(4)) % self.partitions
        slots[n:] += self.partitions
        self._spill(keys, owners, slots)
        self._write_signatures(lines[has_signature], sigs[has_signature])
        self.ids = array("I")
        self._ends = array("q")
        self._lines = array("q")
        self._exact = array("q")

    def _spill(self, keys: np.ndarray, owners: np.ndarray, slots: np.ndarray) -> None:
        self._pending.append((keys, owners, slots))
        self._pending_keys += len(keys)
        if self._pending_keys >= _SPILL_KEYS:
            self._flush()

    def _flush(self) -> None:
        """Write the pending keys as one run: (key, line) pairs sorted by partition, after
        a header of each partition's offset.  One file per run, not one per partition:
        opening a file costs far more than writing a few KB to it."""
        if not self._pending:
            return
        keys, owners, slots = (np.concatenate(parts) for parts in zip(*self._pending))
        self._pending = []
        self._pending_keys = 0
        order = np.argsort(slots, kind="stable")
        pairs = np.empty((len(keys), 2), dtype=np.int64)
        pairs[:, 0] = keys[order]
        pairs[:, 1] = owners[order]
        offsets = np.zeros(2 * self.partitions + 1, dtype=np.int64)
        np.cumsum(np.bincount(slots, minlength=2 * self.partitions), out=offsets[1:])
        with open(os.path.join(self.folder, f"run-{self.worker}-{self._runs}.bin"), "wb") as f:
            f.write(offsets.tobytes())
            f.write(pairs.tobytes())
        self._runs += 1

    def _write_signatures(self, lines: np.ndarray, sigs: np.ndarray) -> None:
        """Row ``line`` of the signature file holds that line's signature; rows of lines
        without one read as zeros (written, or a hole in the file)."""
        if not len(lines):
            return
        first = int(lines[0])
        span = int(lines[-1]) - first + 1
        packed = sigs.astype("<u4")
        if span <= 4 * len(lines) + 1024:
            block = np.zeros((span, BINS), dtype="<u4")
            block[lines - first] = packed
            self._sig.seek(first * SIG_BYTES)
            self._sig.write(block.tobytes())
        else:  # examples far apart: one row at a time
            for line, row in zip(lines.tolist(), packed):
                self._sig.seek(line * SIG_BYTES)
                self._sig.write(row.tobytes())

    def close(self) -> None:
        self._sketch_batch()
        self._flush()
        self._sig.close()


@dataclass
class DuplicateReport:
    exact: int = 0
    near: int = 0
    # (line, line it duplicates, kind, similarity) for the first ones, in line order
    pairs: list[tuple[int, int, str, float]] = field(default_factory=list)


def find_duplicates(folder: str, workers: int, partitions: int, line_offsets: list[int], total_lines: int, threshold: float, keep: int) -> DuplicateReport:
    """Group the spilled keys partition by partition; count and list duplicates.

    In each partition the keys are sorted with their lines, so each member of a group is
    paired with the group's first line; only the pairs whose later line is not already
    a duplicate are looked at one by one (near ones: their signatures are compared).
    """
    marked = np.zeros(total_lines // 8 + 1, dtype=np.uint8)  # a bit per line
    offsets = np.asarray(line_offsets, dtype=np.int64)
    local_mask = np.int64((1 << 40) - 1)
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

    header = 8 * (2 * partitions + 1)  # a run starts with each partition's offset
    runs: list[tuple] = []
    report = DuplicateReport()
    found: list[tuple[int, int, str, float]] = []
    try:
        for name in sorted(os.listdir(folder)):
            if name.startswith("run-"):
                f = open(os.path.join(folder, name), "rb")
                runs.append((f, np.frombuffer(f.read(header), dtype=np.int64).tolist()))
        # slots [0, partitions) hold exact keys, the rest band keys: exact ones first, so
        # a line that is an exact copy is never counted as a near one
        for slot in range(2 * partitions):
            chunks = []
            for f, bounds in runs:
                start, end = bounds[slot], bounds[slot + 1]
                if end > start:
                    f.seek(header + 16 * start)
                    chunks.append(np.frombuffer(f.read(16 * (end - start)), dtype=np.int64))
            if not chunks:
                continue
            pairs = np.concatenate(chunks).reshape(-1, 2)
            del chunks
            keys, values = pairs[:, 0], pairs[:, 1]
            lines = offsets[values >> 40] + (values & local_mask)
            order = np.lexsort((lines, keys))
            keys, values, lines = keys[order], values[order], lines[order]
            starts_group = np.empty(len(keys), dtype=bool)
            starts_group[0] = True
            np.not_equal(keys[1:], keys[:-1], out=starts_group[1:])
            later = np.flatnonzero(~starts_group)
            if not len(later):
                continue
            first = np.maximum.accumulate(np.where(starts_group, np.arange(len(keys)), 0))[later]
            b = lines[later]
            fresh = ((marked[b >> 3] >> (b & 7).astype(np.uint8)) & 1) == 0
            later, first, b = later[fresh], first[fresh], b[fresh]
            a = lines[first]
            if slot < partitions:
                # one exact key per line: no line appears twice here
                np.bitwise_or.at(marked, b >> 3, np.left_shift(1, b & 7).astype(np.uint8))
                report.exact += len(b)
                shown = np.argsort(b, kind="stable")[:keep]
                found.extend((line, of, "exact", 1.0) for line, of in zip(b[shown].tolist(), a[shown].tolist()))
            else:
                for line, of, rep, value in zip(b.tolist(), a.tolist(), values[first].tolist(), values[later].tolist()):
                    if marked[line >> 3] & (1 << (line & 7)):
                        continue  # confirmed by an earlier pair
                    sa, sb = sig_of(rep), sig_of(value)
                    if sa is None or sb is None:
                        continue
                    sim = similarity(sa, sb)
                    if sim < threshold:
                        continue
                    marked[line >> 3] |= 1 << (line & 7)
                    report.near += 1
                    found.append((line, of, "near", sim))
            if len(found) > 4 * keep:
                found.sort()
                del found[keep:]
    finally:
        for f in sig_files.values():
            f.close()
        for f, _ in runs:
            f.close()
    found.sort()
    report.pairs = found[:keep]
    return report
