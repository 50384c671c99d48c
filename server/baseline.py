"""Fingerprints that survive moved lines, and baselines built from them.

A fingerprint is a hash of the rule code, the file's path relative to the workspace,
the normalised text the finding flags (its first non-blank line: for a prompt file
reported at its start, the prompt's first line) and the finding's index among equal
keys.  No line or column goes in, so inserting code above a finding keeps its
fingerprint; code scanning and ``--baseline`` rely on that.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

from ragtune.analyzers.models import Finding

from .output.common import relative_posix, resolved_path

BASELINE_FORMAT = 1
_SPACE = re.compile(r"\s+")
# Lines looked at past the start of an empty span to find the text it stands for.
_LOOKAHEAD_LINES = 20
_MAX_KEY_CHARS = 200
_MAX_LINE_BYTES = 64 * 1024


class BaselineError(ValueError):
    """A baseline file that cannot be used, with the reason in words."""


@functools.lru_cache(maxsize=8192)
def _relative(path: str, root: str) -> str:
    """``path`` relative to the (resolved) ``root``, with forward slashes; memoised, as
    a report asks for each file's once per finding."""
    shown = relative_posix(resolved_path(path), root)
    return Path(path).as_posix() if shown is None else shown


def _read_lines(path: str, wanted: set[int]) -> dict[int, str]:
    """The wanted lines (0-based) of a file, streamed: a multi-gigabyte dataset or a
    huge single-line file costs bounded memory."""
    out: dict[int, str] = {}
    if not wanted:
        return out
    last = max(wanted)
    try:
        with open(path, "rb") as f:
            for number in range(last + 1):
                head = f.readline(_MAX_LINE_BYTES)
                if not head:
                    break
                complete = head.endswith(b"\n")
                while not complete:  # skip the rest of an over-long line
                    more = f.readline(_MAX_LINE_BYTES)
                    if not more:
                        break
                    complete = more.endswith(b"\n")
                if number in wanted:
                    if number == 0 and head.startswith(b"\xef\xbb\xbf"):
                        head = head[3:]
                    out[number] = head.decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        pass
    return out


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip()[:_MAX_KEY_CHARS]


def _flagged_text(f: Finding, lines: dict[int, str]) -> str:
    start, end = f.range.start, f.range.end
    first = lines.get(start.line, "")
    stop = end.character if end.line == start.line else len(first)
    text = _normalise(first[start.character : max(stop, start.character)])
    if text:
        return text
    last = max(end.line, start.line + _LOOKAHEAD_LINES)
    for number in range(start.line, last + 1):
        text = _normalise(lines.get(number, ""))
        if text:
            return text
    return ""


def flagged_texts(findings: list[Finding], buffers: dict[str, str] | None = None) -> list[str]:
    """The normalised text each finding flags (the file-dependent part of its
    fingerprint), read from disk or from ``buffers``; in the findings' order.  A scan
    computes it where the file was analysed, so reporting reads no file again."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for f in findings:
        s, e = f.range.start.line, f.range.end.line
        wanted[f.path].update(range(s, max(e, s + _LOOKAHEAD_LINES) + 1))
    buffers = buffers or {}
    texts = {
        path: dict(enumerate(buffers[path].removeprefix("\ufeff").splitlines())) if path in buffers else _read_lines(path, lines)
        for path, lines in wanted.items()
    }
    return [_flagged_text(f, texts[f.path]) for f in findings]


def fingerprints(
    findings: list[Finding],
    root: Path,
    buffers: dict[str, str] | None = None,
    flagged: dict[int, str] | None = None,
    known: dict[int, str] | None = None,
) -> list[str]:
    """One fingerprint per finding, in the same order; ``buffers`` are texts that are
    not on disk (an editor's buffer on stdin); ``flagged`` the flagged texts already
    known, by ``id`` of the finding; ``known`` fingerprints already computed, by ``id``,
    for every finding of their files (a finding's index among equal keys counts only
    findings of its own file, so a file's fingerprints can be computed apart)."""
    if known:
        todo_paths = {f.path for f in findings if id(f) not in known}
        if not todo_paths:
            return [known[id(f)] for f in findings]
        rest = [f for f in findings if f.path in todo_paths]
        computed = dict(zip(map(id, rest), fingerprints(rest, root, buffers, flagged)))
        return [computed[id(f)] if f.path in todo_paths else known[id(f)] for f in findings]
    resolved_root = resolved_path(str(root))
    flagged = flagged or {}
    missing = [f for f in findings if id(f) not in flagged]
    if missing:
        flagged = {**flagged, **{id(f): t for f, t in zip(missing, flagged_texts(missing, buffers))}}
    relative: dict[str, str] = {}
    order = sorted(range(len(findings)), key=lambda i: (findings[i].path, findings[i].range.start.line, findings[i].range.start.character, findings[i].code))
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    result = [""] * len(findings)
    for i in order:
        f = findings[i]
        rel = relative.get(f.path)
        if rel is None:
            rel = relative[f.path] = _relative(f.path, resolved_root)
        key = (f.code, rel, flagged[id(f)])
        index = seen[key]
        seen[key] += 1
        raw = "\0".join((*key, str(index)))
        result[i] = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return result


def write_baseline(path: str, findings: list[Finding], prints: list[str], root: Path) -> None:
    """Save the findings' fingerprints (with where they were, for people reading it)."""
    rows = sorted(
        (
            {"fingerprint": fp, "code": f.code, "path": _relative(f.path, resolved_path(str(root))), "line": f.range.start.line + 1, "message": f.message}
            for f, fp in zip(findings, prints)
        ),
        key=lambda r: (r["path"], r["line"], r["code"], r["fingerprint"]),
    )
    payload = json.dumps({"ragtune_baseline": BASELINE_FORMAT, "findings": rows}, indent=2, ensure_ascii=False) + "\n"
    from .atomic import write_atomically

    try:
        write_atomically(Path(path), payload.encode("utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None


def load_baseline(path: str) -> set[str]:
    try:
        raw = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} does not exist (create it with --write-baseline {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(raw)
        if data.get("ragtune_baseline") != BASELINE_FORMAT:
            raise ValueError
        return {str(row["fingerprint"]) for row in data["findings"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BaselineError(f"{path} is not a ragtune baseline (write one with --write-baseline)") from None


def filter_baseline(findings: list[Finding], prints: list[str], known: set[str]) -> tuple[list[Finding], list[str], int]:
    """Findings not in the baseline, their fingerprints, and how many were hidden."""
    kept = [(f, fp) for f, fp in zip(findings, prints) if fp not in known]
    return [f for f, _ in kept], [fp for _, fp in kept], len(findings) - len(kept)

