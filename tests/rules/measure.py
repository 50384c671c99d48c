"""Print precision and recall of each rule on the labelled fixtures.

    python tests/rules/measure.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from expectations import per_code_scores, run_fixtures  # noqa: E402


def main() -> None:
    matched, missed, unexpected = run_fixtures()
    print(f"{'code':<8}{'precision':>10}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}")
    for code, (p, r, tp, fp, fn) in per_code_scores(matched, missed, unexpected).items():
        print(f"{code:<8}{p:>10.2f}{r:>8.2f}{tp:>5}{fp:>5}{fn:>5}")
    for m in missed:
        print(f"  missed     {m.code} {m.path}:{m.line + 1}")
    for f in unexpected:
        print(f"  unexpected {f.code} {f.path}:{f.range.start.line + 1}")


if __name__ == "__main__":
    main()
