"""Dataset pass throughput and peak memory, beside the floor measured in the same run.

Not a test: it prints figures.  ``python tests/benchmarks/bench_datasets.py --size-mb 256``
(default 1024: a 1 GB JSONL file is generated into a temporary folder and removed).

floor      read + json.loads + o200k token count of every message, nothing else
hygiene    the DS3xx pass: parse, validate, token counts, exact and near duplicates
classify   the RAG101 pass (hygiene + knowledge judgment per example), reported apart
Each measurement runs in a fresh process; peak memory is that process's maximum RSS
and, for the pool, the largest worker's.  Beside each wall time is the CPU time the
measurement used (its workers' included): on a machine shared with other work, wall
time well above CPU time means the run waited for a core.  ``--rounds N`` measures
everything N times, interleaved, and keeps each measurement's fastest round.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import tempfile
import time

WORDS = (
    "the a customer order invoice refund plan team account password reset please could you "
    "service export report billing page error login upload storage limit monthly yearly seat "
    "support agent ticket summary schedule meeting deadline project release version update "
    "network cache browser token settings restart check status payment card declined shipping "
    "warehouse delivery address change cancel subscription feature request dark mode mobile app"
).split()
SYSTEM = "You are Nova, a support assistant. Answer briefly, politely, and in the customer's language. " * 3


def generate(path: str, size_mb: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    written = 0
    previous: list[str] = []
    with open(path, "w", encoding="utf-8") as f:
        while written < target:
            if previous and rng.random() < 0.02:
                line = rng.choice(previous)  # some exact duplicates, as real data has
            else:
                user = " ".join(rng.choices(WORDS, k=rng.randint(20, 80)))
                answer = " ".join(rng.choices(WORDS, k=rng.randint(60, 200))) + f" Ticket {rng.randint(1000, 99999)}."
                line = json.dumps({"messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": answer},
                ]})
                if len(previous) < 1000:
                    previous.append(line)
            f.write(line + "\n")
            written += len(line) + 1
    return written


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _floor(path: str) -> dict:
    from ragtune.analyzers.tokens import get_encoding

    encode = get_encoding("o200k_base").encode_ordinary
    tokens = 0
    cpu = _cpu_seconds()
    start = time.perf_counter()
    with open(path, "rb", buffering=1024 * 1024) as f:
        for line in f:
            for m in json.loads(line)["messages"]:
                tokens += len(encode(m["content"]))
    return {"seconds": time.perf_counter() - start, "cpu": _cpu_seconds() - cpu, "tokens": tokens}


def _scan(path: str, workers: int, classify: bool) -> dict:
    from ragtune.analyzers.datasets.scan import ScanOptions, scan_dataset
    from ragtune.analyzers.tokens import get_encoding

    # the tokenizer loads outside the timing, as in the floor; the canonical token table
    # of the duplicate check is read from the user cache (built there by the first run,
    # 0.2 s) inside it, as in every real run
    get_encoding("o200k_base")
    cpu = _cpu_seconds()
    start = time.perf_counter()
    facts = scan_dataset(path, ScanOptions(classify=classify, context_limit=128000), workers=workers)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": _cpu_seconds() - cpu,
        "tokens": facts.tokens,
        "examples": facts.examples,
        "duplicates": facts.duplicates.exact + facts.duplicates.near,
        "knowledge": facts.knowledge,
    }


def _child(conn, fn, args):
    result = fn(*args)
    result["peak_mb"] = _peak_mb(resource.RUSAGE_SELF)
    result["worker_peak_mb"] = _peak_mb(resource.RUSAGE_CHILDREN)
    conn.send(result)
    conn.close()


def measure(fn, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def head_of(path: str, size: int, folder: str) -> str:
    out = os.path.join(folder, "head.jsonl")
    with open(path, "rb") as src, open(out, "wb") as dst:
        copied = 0
        for line in src:
            if copied >= size:
                break
            dst.write(line)
            copied += len(line)
    return out


def fastest(rounds: list[dict]) -> dict:
    best = dict(min(rounds, key=lambda r: r["seconds"]))
    best["all"] = " / ".join(f"{r['seconds']:.1f}" for r in rounds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--classify-mb", type=int, default=32, help="size of the slice the classifier pass reads")
    parser.add_argument("--rounds", type=int, default=1, help="measure floor and hygiene this many times, interleaved; keep each one's fastest")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragtune-bench-") as folder:
        path = os.path.join(folder, "train.jsonl")
        t0 = time.perf_counter()
        size = generate(path, args.size_mb)
        mb = size / 1024 / 1024
        print(f"dataset: {mb:,.0f} MB generated in {time.perf_counter() - t0:.0f} s; {os.cpu_count()} CPUs")
        runs: dict[str, list[dict]] = {"floor": [], "one": [], "two": []}
        for _ in range(max(1, args.rounds)):
            runs["floor"].append(measure(_floor, path))
            runs["one"].append(measure(_scan, path, 1, False))
            runs["two"].append(measure(_scan, path, 2, False))
        floor, one, two = (fastest(runs[k]) for k in ("floor", "one", "two"))
        rounds = f"; rounds {{}} s" if args.rounds > 1 else ""
        floor_rate = mb / floor["seconds"]
        print(
            f"floor      1 core : {floor_rate:6.1f} MB/s  ({floor['seconds']:.1f} s, CPU {floor['cpu']:.1f} s, {floor['tokens']:,} tokens, peak {floor['peak_mb']:.0f} MB"
            f"{rounds.format(floor['all'])})"
        )
        one_rate = mb / one["seconds"]
        print(
            f"hygiene    1 core : {one_rate:6.1f} MB/s  ({one_rate / floor_rate:.0%} of the floor; target ≥ 80 %)  "
            f"peak {one['peak_mb']:.0f} MB; {one['examples']:,} examples, {one['tokens']:,} tokens, {one['duplicates']:,} duplicates; "
            f"{one['seconds']:.1f} s, CPU {one['cpu']:.1f} s{rounds.format(one['all'])}"
        )
        two_rate = mb / two["seconds"]
        print(
            f"hygiene    2 procs: {two_rate:6.1f} MB/s  ({two_rate / one_rate:.2f}× one core, {two_rate / floor_rate:.2f}× the floor; target ≥ 1.6×)  "
            f"peak {two['peak_mb']:.0f} MB main, {two['worker_peak_mb']:.0f} MB largest worker; tokens agree: {two['tokens'] == one['tokens']}; "
            f"{two['seconds']:.1f} s, CPU {two['cpu']:.1f} s{rounds.format(two['all'])}"
        )
        slice_path = head_of(path, args.classify_mb * 1024 * 1024, folder) if args.classify_mb < mb else path
        slice_mb = os.path.getsize(slice_path) / 1024 / 1024
        cls = measure(_scan, slice_path, 1, True)
        print(
            f"classify   1 core : {slice_mb / cls['seconds']:6.1f} MB/s  on a {slice_mb:.0f} MB slice "
            f"(hygiene + RAG101 judgment of {cls['examples']:,} examples; {cls['knowledge']:,} judged knowledge), peak {cls['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
