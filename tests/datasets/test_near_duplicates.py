"""DS302's near-duplicate detection holds its measured quality on the generated set
(``measure.py`` prints the figures; here they are held above a floor)."""

from __future__ import annotations

from near_duplicates import generate, run_scan, score, true_jaccard


def test_near_duplicates_found_without_false_pairs(tmp_path):
    data = generate()
    report = run_scan(data, str(tmp_path))
    s = score(report.pairs, data)
    assert s["precision"] >= 0.99
    above = {line for line, of in data.copies.items() if true_jaccard(data.lines[of], data.lines[line]) >= 0.8}
    found = {line for line, of, _, _ in report.pairs if data.copies.get(line) == of}
    assert len(found & above) / len(above) >= 0.95
    assert report.exact + report.near == len(report.pairs)


def test_canonical_ids_fold_case_and_spaces_and_drop_punctuation():
    from ragtune.analyzers.datasets.duplicates import canonical_token_table
    from ragtune.analyzers.tokens import get_encoding

    enc = get_encoding("o200k_base")
    table = canonical_token_table(enc)
    (hello,) = enc.encode_ordinary(" Hello")
    (lower,) = enc.encode_ordinary("hello")
    (comma,) = enc.encode_ordinary(",")
    (tokyo,) = enc.encode_ordinary("東京")
    assert table[hello] == table[lower] != 0
    assert table[comma] == 0  # punctuation takes no part in shingles
    assert table[tokyo] not in (0, table[hello])
    assert len(table) == enc.n_vocab
    # every token is looked at, the special ones included (by id, past the BPE ranks)
    assert table[enc.eot_token] != 0


def test_canonical_table_is_kept_in_the_user_cache_and_read_back_identical(tmp_path, monkeypatch):
    from ragtune.analyzers.datasets import duplicates
    from ragtune.analyzers.tokens import get_encoding

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(duplicates, "_tables", {})
    enc = get_encoding("o200k_base")
    built = duplicates.canonical_token_table(enc)
    (kept,) = (tmp_path / "ragtune" / "tokenizer").glob("o200k_base-*-canonical-*.u32")
    assert kept.stat().st_size == 32 + 4 * enc.n_vocab

    monkeypatch.setattr(duplicates, "_tables", {})
    monkeypatch.setattr(duplicates, "vocabulary", lambda name: (_ for _ in ()).throw(AssertionError("rebuilt")))
    assert (duplicates.canonical_token_table(enc) == built).all()

    data = bytearray(kept.read_bytes())
    data[-1] ^= 0xFF  # a damaged table is a miss: built again, not trusted
    kept.write_bytes(bytes(data))
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(duplicates, "_tables", {})
    assert (duplicates.canonical_token_table(enc) == built).all()
