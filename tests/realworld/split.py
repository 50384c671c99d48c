"""Give every case without a half its ``dev`` flag, by repository, with a fixed seed.

    python tests/realworld/split.py [--manifest FILE] [--dry-run]

The split is by repository: every case of a repository is in the same half.  A case
from a repository that already has a half takes it.  On the first split (no case has a
half yet) the repositories are put in an order drawn from the seed and filled into the
held-back half until it holds a third of the cases; a repository that is new after that
is held back when a draw from the seed and its name falls in the lower third.  Flags
already written are never changed.  The file is edited in place, a ``dev = ...`` line
added after each new case's ``id`` line; nothing else in it changes.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import Counter
from pathlib import Path

import corpus

SEED = "ragtune-realworld-2026-12"
HELD_BACK_SHARE = 1 / 3


def draw(repo: str) -> int:
    """A number in [0, 2**32) drawn from the seed and the repository's name."""
    return int.from_bytes(hashlib.sha256(f"{SEED}:{repo.lower()}".encode()).digest()[:4], "big")


def assign(cases: list[corpus.Case]) -> dict[str, bool]:
    """case id → dev flag, for the cases that have none."""
    halves: dict[str, Counter] = {}
    for c in cases:
        if c.dev is not None:
            halves.setdefault(c.repo.lower(), Counter())[c.dev] += 1
    known = {repo: count.most_common(1)[0][0] for repo, count in halves.items()}
    new_repos = sorted({c.repo.lower() for c in cases} - set(known), key=draw)
    if not known:
        per_repo = Counter(c.repo.lower() for c in cases)
        target = round(len(cases) * HELD_BACK_SHARE)
        held = 0
        for repo in new_repos:
            n = per_repo[repo]
            if abs(held + n - target) < abs(held - target):
                known[repo] = False
                held += n
            else:
                known[repo] = True
    else:
        for repo in new_repos:
            known[repo] = draw(repo) >= int(2**32 * HELD_BACK_SHARE)
    return {c.id: known[c.repo.lower()] for c in cases if c.dev is None}


def write_flags(path: Path, flags: dict[str, bool]) -> None:
    lines = path.read_text("utf-8").splitlines(keepends=True)
    out = []
    done = set()
    for line in lines:
        out.append(line)
        m = re.match(r'^id\s*=\s*"([^"]+)"\s*(#.*)?$', line.strip())
        if m and m[1] in flags:
            out.append(f"dev = {'true' if flags[m[1]] else 'false'}\n")
            done.add(m[1])
    missing = set(flags) - done
    if missing:
        raise SystemExit(f"error: no 'id = \"...\"' line found for {', '.join(sorted(missing))}")
    path.write_text("".join(out), "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=corpus.MANIFEST)
    parser.add_argument("--dry-run", action="store_true", help="print the flags, write nothing")
    args = parser.parse_args(argv)
    cases = corpus.load_or_report(args.manifest)
    if cases is None:
        return 2
    flags = assign(cases)
    if not flags:
        print("every case has its half")
        return 0
    held = sum(not v for v in flags.values())
    print(f"{len(flags)} cases without a half: {len(flags) - held} dev, {held} held back")
    if args.dry_run:
        for case_id, dev in sorted(flags.items()):
            print(f"  {case_id}: {'dev' if dev else 'held-back'}")
        return 0
    write_flags(args.manifest, flags)
    return 0


if __name__ == "__main__":
    sys.exit(main())
