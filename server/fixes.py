"""Applying fixes to files without ever losing data.

- A fix is all or nothing: every edit and every new file of it, or none.
- A file that changed since it was analysed is not touched (its content hash is
  compared, once when planning and again right before it is replaced).
- Each file is written to a temporary file beside it and renamed over it, so a reader
  sees the old bytes or the new ones, never a mix.  Across files a run is all or
  nothing too: if any step fails, files already replaced get their old bytes back.
- Only the fixed spans change: the BOM, the encoding and every line ending elsewhere
  are kept byte for byte; inserted text takes the file's line ending.
- A new file is created with a hard link from its temporary file, which fails when the
  path exists: a fix never overwrites a file, even one created a moment ago.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ragtune.analyzers.models import Applicability, Finding, Fix, TextEdit

from .atomic import _mode_of, _temp_beside, _unlink_quietly, create_exclusively, write_atomically
from .cache import content_hash

BOM = b"\xef\xbb\xbf"


class FixError(Exception):
    """Fixes could not be written; every file was left as it was."""


@dataclass
class SourceFile:
    """A file's bytes, split into what must be kept exactly: BOM, text, line ending."""

    path: str
    raw: bytes
    bom: bool
    text: str
    newline: str

    @classmethod
    def parse(cls, path: str, raw: bytes) -> "SourceFile":
        bom = raw.startswith(BOM)
        text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
        return cls(path, raw, bom, text, _dominant_newline(text))

    def encode(self, text: str) -> bytes:
        return (BOM if self.bom else b"") + text.encode("utf-8", "surrogatepass")


def _dominant_newline(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf >= lf and crlf >= cr and crlf:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


def _line_starts(text: str) -> list[tuple[int, int]]:
    """(start, end without its line break) of every line; breaks are \\n, \\r\\n, \\r."""
    lines = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n" or c == "\r":
            lines.append((start, i))
            if c == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
            start = i + 1
        i += 1
    lines.append((start, n))
    return lines


def _offset(lines: list[tuple[int, int]], line: int, character: int) -> int:
    if line >= len(lines):
        return lines[-1][1]
    start, end = lines[line]
    return min(start + max(character, 0), end)


def apply_edits(source: SourceFile, edits: list[TextEdit]) -> str:
    """The text with non-overlapping ``edits`` applied (raises ValueError on overlap)."""
    lines = _line_starts(source.text)
    spans = sorted(
        (_offset(lines, e.range.start.line, e.range.start.character), _offset(lines, e.range.end.line, e.range.end.character), e.new_text)
        for e in edits
    )
    out = []
    cursor = 0
    for start, end, new_text in spans:
        if start < cursor or end < start:
            raise ValueError("overlapping edits")
        out.append(source.text[cursor:start])
        out.append(_with_newline(new_text, source.newline))
        cursor = end
    out.append(source.text[cursor:])
    return "".join(out)


def _with_newline(text: str, newline: str) -> str:
    if newline == "\n" or "\n" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\n", newline)


def wanted(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None:
        return False
    if fix.applicability == Applicability.SAFE:
        return True
    return unsafe and fix.applicability == Applicability.UNSAFE


@dataclass
class FixPlan:
    originals: dict[str, SourceFile] = field(default_factory=dict)
    edits: dict[str, list[tuple[int, int, TextEdit]]] = field(default_factory=dict)  # path → (start, end, edit)
    new_files: dict[str, str] = field(default_factory=dict)
    applied: list[Finding] = field(default_factory=list)
    refused: list[tuple[Finding, str]] = field(default_factory=list)
    conflicts: int = 0  # fixes left for a next round because they overlap one taken

    def new_texts(self) -> dict[str, str]:
        return {path: apply_edits(self.originals[path], [e for _, _, e in spans]) for path, spans in self.edits.items()}

    @property
    def empty(self) -> bool:
        return not self.edits and not self.new_files


def plan_fixes(findings: list[Finding], contents: dict[str, str], *, unsafe: bool, root: Path, buffers: dict[str, str] | None = None) -> FixPlan:
    """Choose the fixes to apply: wanted, non-overlapping, on files unchanged since
    analysis, creating no file that exists.  ``buffers`` are texts not on disk
    (``--stdin-filename``)."""
    plan = FixPlan()
    root = root.resolve()
    for f in findings:
        if not wanted(f.fix, unsafe):
            continue
        fix = f.fix
        reason = _check_fix(fix, plan, contents, root, buffers or {})
        if reason == "conflict":
            plan.conflicts += 1
            continue
        if reason is not None:
            plan.refused.append((f, reason))
            continue
        for fe in fix.file_edits:
            source = plan.originals[fe.path]
            lines = _line_starts(source.text)
            spans = plan.edits.setdefault(fe.path, [])
            for e in fe.edits:
                spans.append((_offset(lines, e.range.start.line, e.range.start.character), _offset(lines, e.range.end.line, e.range.end.character), e))
        for nf in fix.new_files:
            plan.new_files[nf.path] = nf.content
        plan.applied.append(f)
    return plan


def _check_fix(fix: Fix, plan: FixPlan, contents: dict[str, str], root: Path, buffers: dict[str, str]) -> str | None:
    for nf in fix.new_files:
        target = Path(nf.path).resolve()
        if not target.is_relative_to(root):
            return f"it would create {nf.path}, outside the workspace"
        if os.path.lexists(nf.path) or nf.path in plan.new_files:
            return f"{nf.path} exists; a fix never overwrites a file"
    for fe in fix.file_edits:
        if fe.path not in plan.originals:
            reason = _load_original(fe.path, contents, buffers, plan)
            if reason is not None:
                return reason
        source = plan.originals[fe.path]
        lines = _line_starts(source.text)
        taken = plan.edits.get(fe.path, [])
        mine = sorted((_offset(lines, e.range.start.line, e.range.start.character), _offset(lines, e.range.end.line, e.range.end.character)) for e in fe.edits)
        for (s1, e1), (s2, e2) in zip(mine, mine[1:]):
            if s2 < e1 or (s1 == s2 == e1 == e2):
                return "its edits overlap each other"
        for s, e in mine:
            for ts, te, _ in taken:
                if (s < te and ts < e) or (s == ts and (s == e or ts == te)):
                    return "conflict"
    return None


def _load_original(path: str, contents: dict[str, str], buffers: dict[str, str], plan: FixPlan) -> str | None:
    if path in buffers:
        text = buffers[path]
        plan.originals[path] = SourceFile(path, text.encode("utf-8", "surrogatepass"), False, text, _dominant_newline(text))
        return None
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    expected = contents.get(str(Path(path).resolve()))
    if expected is None or content_hash(raw) != expected:
        return f"{path} changed since it was analysed"
    try:
        plan.originals[path] = SourceFile.parse(path, raw)
    except UnicodeDecodeError:
        return f"{path} is not valid UTF-8"
    return None


# -- writing -------------------------------------------------------------------
def apply_plan(plan: FixPlan) -> list[str]:
    """Write every planned change, all or nothing.  Returns the paths written."""
    texts = plan.new_texts()
    staged: list[tuple[Path, Path, SourceFile]] = []
    new_staged: list[tuple[Path, bytes]] = []
    try:
        for path, text in texts.items():
            source = plan.originals[path]
            staged.append((Path(path), _temp_beside(Path(path), source.encode(text), _mode_of(Path(path))), source))
        for path, content in plan.new_files.items():
            new_staged.append((Path(path), content.encode("utf-8")))
    except OSError as exc:
        for _, tmp, _ in staged:
            _unlink_quietly(tmp)
        raise FixError(f"could not prepare the fixes ({exc.strerror or exc}); no file was changed") from None

    replaced: list[tuple[Path, SourceFile]] = []
    created: list[Path] = []
    try:
        for path, tmp, source in staged:
            if content_hash(path.read_bytes()) != content_hash(source.raw):
                raise FixError(f"{path} changed while fixes were being written")
            os.replace(tmp, path)
            replaced.append((path, source))
        for path, data in new_staged:
            create_exclusively(path, data)
            created.append(path)
    except (OSError, FixError) as exc:
        _roll_back(replaced, created)  # raises FixError itself if a restore fails
        for _, tmp, _ in staged:
            _unlink_quietly(tmp)
        if isinstance(exc, FixError):
            raise FixError(f"{exc}; no file was changed") from None
        raise FixError(f"could not write the fixes ({exc.strerror or exc}); no file was changed") from None
    return [str(p) for p, _, _ in staged] + [str(p) for p in created]


def _roll_back(replaced: list[tuple[Path, SourceFile]], created: list[Path]) -> None:
    failed = []
    for path in created:
        _unlink_quietly(path)
    for path, source in replaced:
        try:
            write_atomically(path, source.raw)
        except OSError:
            failed.append(str(path))
    if failed:
        raise FixError(f"writing fixes failed and these files could not be restored: {', '.join(failed)}")


def render_diff(plan: FixPlan, display) -> str:
    """A unified diff of the planned changes; ``display`` maps a path to its label."""
    chunks = []
    for path, text in sorted(plan.new_texts().items()):
        old = plan.originals[path].text
        label = display(path)
        chunks.extend(difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True), f"a/{label}", f"b/{label}"))
    for path, content in sorted(plan.new_files.items()):
        label = display(path)
        chunks.extend(difflib.unified_diff([], content.splitlines(keepends=True), "/dev/null", f"b/{label}"))
    out = []
    for chunk in chunks:
        out.append(chunk if chunk.endswith(("\n", "\r")) else chunk + "\n\\ No newline at end of file\n")
    return "".join(out)
