"""Score ragtune on the built real-world corpus: ``score.py OUT``.

Runs ``ragtune check`` in every case's folder (built by ``build.py``), as a user would,
and compares what comes back with the labels.  Per code and per half (dev, held-back):
the cases that label the code, true positives (expectations with a finding in their
range), false positives (findings of a labelled code that land in no expectation),
false negatives, precision and recall; then one line per wrong case of the dev half (the held-back half's are only
counted, unless ``--list-held-back``: its failures must not steer the tuning).  A code a case does
not label is not scored there: its findings are counted as unlabelled.

``--code`` and ``--case`` narrow the run, ``--json`` prints the same for machines,
``--record`` saves the scores as ``scores.json`` and ``--compare FILE`` lists every case
whose outcome differs from a recorded run (exit 1 if any).  It never edits labels.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import corpus

RECORDED = corpus.HERE / "scores.json"
HALVES = ("dev", "held-back", "unsplit")
# A dataset rule judges a file; its per-line findings are that judgment's evidence.  A
# wrong judgment of a dataset is one false positive, however many lines it flags, as a
# right one is one true positive.  Other rules' false positives count one per place.
DATASET_CODES = frozenset({"RAG101", "DS301", "DS302", "DS303", "DS304", "DS305"})
SHOWN_PLACES = 6


@dataclass
class Finding:
    code: str
    path: str
    line: int
    severity: str


@dataclass
class Outcome:
    """One code in one case."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    missed: list[str] = field(default_factory=list)  # expectations with no finding
    unexpected: list[str] = field(default_factory=list)  # findings outside every expectation

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fn": self.fn, "fp": self.fp, "missed": self.missed,
                "unexpected": sorted(self.unexpected, key=_place_key)}


def _place_key(place: str) -> tuple[str, int]:
    path, _, line = place.rpartition(":")
    return path, int(line)


@dataclass
class CaseResult:
    case: corpus.Case
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    unlabelled: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)  # RT002: files ragtune skipped
    error: str | None = None

    @property
    def wrong(self) -> bool:
        return self.error is not None or any(o.fn or o.fp for o in self.outcomes.values())


def ragtune_command(targets: list[str]) -> list[str]:
    # -P: the case folder is never put on sys.path; ragtune must not import what it reads.
    return [sys.executable, "-P", "-m", "ragtune.server.cli", "check", "--output-format", "json",
            "--no-cache", "--exit-zero", "--jobs", "1", *targets]


def run_ragtune(folder: Path, targets: list[str]) -> tuple[list[Finding] | None, str | None]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    try:
        proc = subprocess.run(ragtune_command(targets), cwd=folder, capture_output=True, env=env, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "ragtune check did not finish in 600 s"
    if proc.returncode not in (0, 1):
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        return None, f"ragtune check exited {proc.returncode}: " + " | ".join(tail)
    try:
        raw = json.loads(proc.stdout)
    except ValueError:
        return None, "ragtune check printed no JSON report"
    return [Finding(f["code"], os.path.normpath(f["path"]), int(f["line"]), f["severity"]) for f in raw], None


def judge(case: corpus.Case, findings: list[Finding], codes: set[str]) -> CaseResult:
    result = CaseResult(case)
    for f in findings:
        if f.code == "RT002":
            result.unreadable.append(f.path)
    for code in sorted(codes):
        of_code = [f for f in findings if f.code == code]
        if not case.labels(code):
            if of_code:
                result.unlabelled[code] = len(of_code)
            continue
        expectations = [e for e in case.expect if e.code == code]
        outcome = Outcome()
        hit = [False] * len(expectations)
        wrong_places: set[tuple[str, int | None]] = set()
        for f in of_code:
            landed = [i for i, e in enumerate(expectations) if any(s.holds(f.path, f.line) for s in e.spans)]
            for i in landed:
                hit[i] = True
            if not landed:
                wrong_places.add((f.path, None if code in DATASET_CODES else f.line))
                if f"{f.path}:{f.line}" not in outcome.unexpected:
                    outcome.unexpected.append(f"{f.path}:{f.line}")
        outcome.fp = len(wrong_places)
        for e, found in zip(expectations, hit):
            if found:
                outcome.tp += 1
            else:
                outcome.fn += 1
                outcome.missed.append(" | ".join(str(s) for s in e.spans))
        result.outcomes[code] = outcome
    return result


def score_case(case: corpus.Case, out: Path, codes: set[str]) -> CaseResult:
    folder = out / case.id
    if not folder.is_dir():
        result = CaseResult(case)
        result.error = f"not built: {folder} is missing (run build.py)"
        return result
    findings, error = run_ragtune(folder, list(case.check) or ["."])
    if error:
        result = CaseResult(case)
        result.error = error
        return result
    return judge(case, findings, codes)


@dataclass
class Tally:
    cases: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def as_dict(self) -> dict:
        return {"cases": self.cases, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": self.precision, "recall": self.recall}


def tallies(results: list[CaseResult], codes: list[str]) -> dict[str, dict[str, Tally]]:
    out = {half: {code: Tally() for code in codes} for half in (*HALVES, "all")}
    for r in results:
        for code, o in r.outcomes.items():
            for half in (r.case.half, "all"):
                t = out[half][code]
                t.cases += 1
                t.tp += o.tp
                t.fp += o.fp
                t.fn += o.fn
    return out


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def render_table(title: str, table: dict[str, Tally]) -> str:
    lines = [title, f"{'code':<8}{'cases':>6}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}"]
    total = Tally()
    for code, t in table.items():
        if not t.cases:
            continue
        lines.append(f"{code:<8}{t.cases:>6}{t.tp:>5}{t.fp:>5}{t.fn:>5}{_ratio(t.precision):>11}{_ratio(t.recall):>8}")
        total.tp += t.tp
        total.fp += t.fp
        total.fn += t.fn
    lines.append(f"{'all':<8}{'':>6}{total.tp:>5}{total.fp:>5}{total.fn:>5}{_ratio(total.precision):>11}{_ratio(total.recall):>8}")
    return "\n".join(lines)


def describe_wrong(r: CaseResult) -> str:
    if r.error:
        return f"{r.case.id} [{r.case.half}]: {r.error}"
    parts = []
    for code, o in r.outcomes.items():
        if o.missed:
            parts.append(f"{code} expected at {'; '.join(o.missed)}, not reported")
        if o.unexpected:
            where = "must stay silent" if r.case.is_silent(code) else "outside every expectation"
            shown = ", ".join(o.unexpected[:SHOWN_PLACES])
            more = f" and {len(o.unexpected) - SHOWN_PLACES} more" if len(o.unexpected) > SHOWN_PLACES else ""
            parts.append(f"{code} reported at {shown}{more} ({where})")
    return f"{r.case.id} [{r.case.half}]: " + "; ".join(parts)


def as_json(results: list[CaseResult], table: dict[str, dict[str, Tally]]) -> dict:
    return {
        "halves": {half: {code: t.as_dict() for code, t in codes.items() if t.cases} for half, codes in table.items()},
        "cases": [
            {"id": r.case.id, "half": r.case.half, "error": r.error,
             "outcomes": {code: o.as_dict() for code, o in r.outcomes.items()},
             "unlabelled": r.unlabelled, "unreadable": r.unreadable}
            for r in results
        ],
    }


def compare(current: dict, recorded: dict, list_held_back: bool = False) -> list[str]:
    """Every case whose outcome differs between two runs' JSON; the held-back half's
    differences are only counted unless ``list_held_back``."""
    before = {c["id"]: c for c in recorded["cases"]}
    changes = []
    held_back = 0
    for c in current["cases"]:
        old = before.get(c["id"])
        if old is None:
            changes.append(f"{c['id']}: not in the recorded scores")
            continue
        if c["half"] == "held-back" and not list_held_back:
            held_back += old["outcomes"] != c["outcomes"] or c["error"] != old["error"]
            continue
        for code in sorted(set(c["outcomes"]) | set(old["outcomes"])):
            now, then = c["outcomes"].get(code), old["outcomes"].get(code)
            if now != then:
                def brief(o):
                    return "not scored" if o is None else f"TP {o['tp']} FP {o['fp']} FN {o['fn']}"
                changes.append(f"{c['id']} {code}: recorded {brief(then)}, now {brief(now)}")
        if c["error"] != old["error"]:
            changes.append(f"{c['id']}: error recorded {old['error']!r}, now {c['error']!r}")
    if held_back:
        changes.append(f"{held_back} held-back case{'s' if held_back != 1 else ''} (not listed; --list-held-back lists them)")
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder build.py built the corpus into")
    parser.add_argument("--manifest", type=Path, default=corpus.MANIFEST)
    parser.add_argument("--code", action="append", default=[], help="score only this code (repeatable)")
    parser.add_argument("--case", action="append", default=[], metavar="ID", help="score only this case (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cases checked at once")
    parser.add_argument("--list-held-back", action="store_true", help="list the held-back half's wrong cases too")
    parser.add_argument("--record", action="store_true", help=f"save the scores to {RECORDED.name}")
    parser.add_argument("--compare", type=Path, metavar="FILE", help="list cases whose outcome differs from FILE")
    args = parser.parse_args(argv)
    cases = corpus.load_or_report(args.manifest)
    if cases is None:
        return 2
    unknown_codes = set(args.code) - set(corpus.SCORED_CODES)
    unknown_cases = set(args.case) - {c.id for c in cases}
    if unknown_codes or unknown_cases:
        print(f"error: unknown {', '.join(sorted(unknown_codes | unknown_cases))}", file=sys.stderr)
        return 2
    if (args.record or args.compare) and (args.code or args.case):
        print("error: --record and --compare take the whole corpus", file=sys.stderr)
        return 2
    if not args.out.is_dir():
        print(f"error: {args.out} is not a built corpus (run build.py MIRRORS {args.out})", file=sys.stderr)
        return 2
    codes = list(args.code or corpus.SCORED_CODES)
    if args.case:
        cases = [c for c in cases if c.id in args.case]
    if args.code:
        cases = [c for c in cases if any(c.labels(code) for code in codes)]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda c: score_case(c, args.out.resolve(), set(codes)), cases))
    table = tallies(results, codes)
    data = as_json(results, table)
    if args.record:
        RECORDED.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    if args.json:
        print(json.dumps(data, indent=1, ensure_ascii=False))
    else:
        tables = []
        for half in HALVES:
            n = sum(r.case.half == half for r in results)
            if n or half != "unsplit":
                tables.append(render_table(f"{half} half ({n} cases)" if half != "unsplit" else f"unsplit ({n} cases)", table[half]))
        print("\n\n".join(tables))
        wrong = [r for r in results if r.wrong]
        shown = [r for r in wrong if args.list_held_back or r.case.half != "held-back" or r.error]
        if shown:
            print(f"\n{len(shown)} wrong cases:")
            print("\n".join(describe_wrong(r) for r in shown))
        if len(shown) < len(wrong):
            print(f"\n{len(wrong) - len(shown)} wrong held-back cases, not listed: tune on the dev half only "
                  "(--list-held-back shows them, to review labels, never to decide what to change)")
        unlabelled: dict[str, int] = {}
        for r in results:
            for code, n in r.unlabelled.items():
                unlabelled[code] = unlabelled.get(code, 0) + n
        if unlabelled:
            print("\nunlabelled findings (codes a case does not label; not scored): "
                  + ", ".join(f"{code} {n}" for code, n in sorted(unlabelled.items())))
        skipped = [f"{r.case.id}: {p}" for r in results for p in r.unreadable]
        if skipped:
            print("\nfiles ragtune skipped (RT002):\n  " + "\n  ".join(skipped))
    failed = any(r.error for r in results)
    if args.compare:
        try:
            recorded = json.loads(args.compare.read_text("utf-8"))
        except (OSError, ValueError) as err:
            print(f"error: cannot read {args.compare}: {err}", file=sys.stderr)
            return 2
        changes = compare(data, recorded, args.list_held_back)
        if changes:
            print(f"\n{len(changes)} outcomes differ from {args.compare}:\n  " + "\n  ".join(changes), file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
