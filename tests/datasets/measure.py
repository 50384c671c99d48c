"""Precision and recall of RAG101's per-example judgment and of the DS3xx checks on
the labelled fixture datasets.  Run: ``python tests/datasets/measure.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dataset_harness import checked_codes, dataset_file, expectations, fixture_datasets, run_judged  # noqa: E402
from near_duplicates import generate, run_scan, score, true_jaccard  # noqa: E402


def main() -> int:
    tp = fp = fn = tn = 0
    ds_tp = ds_fp = ds_fn = 0
    misjudged = []
    for stem in fixture_datasets():
        path = dataset_file(stem)
        exp = expectations(stem)
        findings, flagged = run_judged(path)
        for line, label in exp["labels"].items():
            if label == "knowledge":
                if line in flagged:
                    tp += 1
                else:
                    fn += 1
                    misjudged.append(f"{path.name}:{line} knowledge judged behaviour")
            else:
                if line in flagged:
                    fp += 1
                    misjudged.append(f"{path.name}:{line} behaviour judged knowledge")
                else:
                    tn += 1
        got = {(line, c) for line, codes in checked_codes(findings).items() for c in codes if c not in ("RAG101", "DS300")}
        want = {(line, c) for line, codes in exp["findings"].items() for c in codes if c not in ("RAG101", "DS300")}
        ds_tp += len(got & want)
        ds_fp += len(got - want)
        ds_fn += len(want - got)
        for line, c in sorted(got ^ want):
            misjudged.append(f"{path.name}:{line} {c} {'unexpected' if (line, c) in got else 'missing'}")
    def ratio(a: int, b: int) -> str:
        return f"{a / b:.3f}" if b else "n/a"
    print(f"RAG101 per example: {tp + fn} knowledge, {fp + tn} behaviour examples")
    print(f"  precision {ratio(tp, tp + fp)}  recall {ratio(tp, tp + fn)}  (tp {tp}, fp {fp}, fn {fn}, tn {tn})")
    print(f"DS3xx per line: precision {ratio(ds_tp, ds_tp + ds_fp)}  recall {ratio(ds_tp, ds_tp + ds_fn)}  (tp {ds_tp}, fp {ds_fp}, fn {ds_fn})")
    for m in misjudged:
        print("  " + m)
    measure_near_duplicates()
    return 0


def measure_near_duplicates() -> None:
    import tempfile

    data = generate()
    with tempfile.TemporaryDirectory() as folder:
        report = run_scan(data, folder)
    s = score(report.pairs, data)
    # the copies whose true similarity is at or above the threshold: the ones DS302 must find
    above = {line for line, of in data.copies.items() if true_jaccard(data.lines[of], data.lines[line]) >= 0.8}
    found = {line for line, of, _, _ in report.pairs if data.copies.get(line) == of}
    print(f"DS302 near duplicates (generated, {len(data.lines)} examples, {s['positives']} edited copies, {s['negatives_similar']} similar non-copies):")
    print(f"  precision {s['precision']:.3f}  recall {s['recall']:.3f}  (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")
    print(f"  recall on the {len(above)} copies with true Jaccard >= 0.8: {len(found & above) / len(above) if above else 1:.3f}; "
          f"flagged below it: {len(found - above)}")


if __name__ == "__main__":
    raise SystemExit(main())
