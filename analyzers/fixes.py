"""Fix builders that rules or front-ends attach to findings.  No editor code here.

- ``disable_fix``: "Disable CODE for this line" — a ``ragtune: ignore[CODE]`` comment
  on a line the finding starts or ends on, in the file's own comment syntax, only where
  the comment cannot land inside a string (it would change the prompt).
- ``knowledge_file_fix``: "Move these facts to a knowledge file" (RAG102, RAG104) —
  creates a Markdown document beside the source with the lines that carry the facts,
  and puts a retrieval placeholder where they were.  Lines are moved only when they lie
  wholly inside one string literal (Python) or in a plain prompt file, so the code stays
  valid.  It changes what the model sees: unsafe.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from .models import Applicability, FileEdit, Finding, Fix, NewFile, Range, TextEdit
from .suppression import find_suppressions

_LINE_COMMENTS = {"python": ("#", ""), "javascript": ("//", ""), "typescript": ("//", ""), "tsx": ("//", "")}
_PROMPT_COMMENTS = {
    ".j2": ("{#", "#}"), ".jinja": ("{#", "#}"), ".jinja2": ("{#", "#}"),
    ".yaml": ("#", ""), ".yml": ("#", ""),
    ".md": ("<!--", "-->"),
}


def _comment_syntax(path: str, kind: str) -> tuple[str, str] | None:
    if kind in _LINE_COMMENTS:
        return _LINE_COMMENTS[kind]
    if kind == "prompt":
        name = path.lower()
        for suffix, syntax in _PROMPT_COMMENTS.items():
            if name.endswith(suffix):
                return syntax
    return None


def _python_string_lines(text: str) -> tuple[set[int], list[tuple[int, int]]] | None:
    """0-based lines whose end lies inside a multi-line string, and the line spans
    (first, last) of every multi-line string; None when the text does not tokenize."""
    inside: set[int] = set()
    spans: list[tuple[int, int]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                first, last = tok.start[0] - 1, tok.end[0] - 1
                spans.append((first, last))
                inside.update(range(first, last))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return inside, spans


def _backtick_open_lines(text: str) -> set[int]:
    """Lines of JS/TS whose end falls inside a template literal (backtick parity)."""
    inside: set[int] = set()
    open_ = False
    for number, line in enumerate(text.split("\n")):
        open_ ^= line.count("`") % 2 == 1
        if open_:
            inside.add(number)
    return inside


def disable_fix(code: str, path: str, range: Range, text: str, kind: str) -> Fix | None:
    """A fix that adds ``ragtune: ignore[CODE]`` to a line the finding (``code`` at
    ``range`` in ``path``) starts or ends on."""
    syntax = _comment_syntax(path, kind)
    if syntax is None:
        return None
    lines = text.split("\n")
    if kind == "python":
        found = _python_string_lines(text)
        if found is None:
            return None
        unsafe = found[0]
    elif kind in ("javascript", "typescript", "tsx"):
        unsafe = _backtick_open_lines(text)
    else:
        unsafe = set()
    for line in dict.fromkeys([range.end.line, range.start.line]):
        if line >= len(lines) or line in unsafe:
            continue
        content = lines[line].rstrip("\r")
        existing = [s for s in find_suppressions(content) if not s.file_level and s.codes]
        if existing:
            # add the code to the directive already on the line
            s = existing[0]
            directive = content[s.range.start.character : s.range.end.character]
            new = directive[: directive.rindex("]")] + f", {code}]"
            edit = TextEdit(range=Range.of(line, s.range.start.character, line, s.range.end.character), new_text=new)
        else:
            opener, closer = syntax
            comment = f"{opener} ragtune: ignore[{code}]" + (f" {closer}" if closer else "")
            end = len(content)
            edit = TextEdit(range=Range.of(line, end, line, end), new_text=("  " if content.strip() else "") + comment)
        return Fix(
            title=f"Disable {code} for this line",
            applicability=Applicability.SAFE,
            file_edits=[FileEdit(path=path, edits=[edit])],
        )
    return None


def _free_knowledge_path(source: Path) -> Path:
    """``knowledge/<stem>.md`` beside the source, numbered when taken."""
    folder = source.parent / "knowledge"
    stem = source.name.split(".")[0] or "prompt"
    candidate = folder / f"{stem}.md"
    n = 2
    while candidate.exists() and n < 1000:
        candidate = folder / f"{stem}-{n}.md"
        n += 1
    return candidate


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after YAML front matter (0 when there is none)."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                return i + 1
    return 0


def _movable_lines(finding: Finding, text: str, kind: str) -> list[int] | None:
    """Lines that may be moved out whole without breaking the file."""
    lines = text.split("\n")
    first, last = finding.range.start.line, finding.range.end.line
    if kind == "python":
        found = _python_string_lines(text)
        if found is None:
            return None
        # strictly inside one multi-line literal that lies within the finding's range
        spans = [(a, b) for a, b in found[1] if a >= first and b <= last] or [(a, b) for a, b in found[1] if a <= first and b >= last]
        return [n for a, b in spans for n in range(a + 1, b)]
    if kind == "prompt":
        if Path(finding.path).suffix.lower() in (".json", ".yaml", ".yml", ".prompty"):
            return None  # structured files: a moved line would break the structure
        start = _front_matter_end(lines)
        return list(range(start, len(lines)))
    return None


def knowledge_file_fix(finding: Finding, text: str, kind: str) -> Fix | None:
    """RAG102/RAG104: move the lines with facts (RAG102) or the whole pasted knowledge
    (RAG104) to ``knowledge/<stem>.md`` and leave a retrieval placeholder."""
    if finding.code not in ("RAG102", "RAG104"):
        return None
    movable = _movable_lines(finding, text, kind)
    if not movable:
        return None
    allowed = set(movable)
    if finding.code == "RAG102":
        wanted = sorted(
            {ev.location.range.start.line for ev in finding.evidence if ev.location is not None and ev.location.path == finding.path}
            & allowed
        )
    else:
        wanted = sorted(n for n in allowed if text.split("\n")[n].strip())
    if not wanted:
        return None
    lines = text.split("\n")
    source = Path(finding.path)
    target = _free_knowledge_path(source)
    rel = Path("knowledge") / target.name
    moved = [lines[n].rstrip("\r") for n in wanted]
    indent = min((len(s) - len(s.lstrip()) for s in moved if s.strip()), default=0)
    body = "\n".join(s[indent:] for s in moved).strip("\n")
    what = "facts" if finding.code == "RAG102" else "knowledge"
    content = (
        f"<!-- Moved from {source.name} by ragtune ({finding.code}): retrieve the passages a query needs "
        f"instead of sending all of them with every request. -->\n\n{body}\n"
    )
    placeholder = f"{' ' * indent}[Retrieved {what}: the passages of {rel.as_posix()} relevant to the question are inserted here per query.]"
    # one edit per run of consecutive moved lines; the first run gets the placeholder
    edits: list[TextEdit] = []
    runs: list[list[int]] = []
    for n in wanted:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    for i, run in enumerate(runs):
        start, end = run[0], run[-1] + 1
        new_text = placeholder + "\n" if i == 0 else ""
        if end < len(lines):
            edits.append(TextEdit(range=Range.of(start, 0, end, 0), new_text=new_text))
        else:  # the run reaches the end of the file: no line break to consume
            edits.append(TextEdit(range=Range.of(start, 0, end - 1, len(lines[end - 1])), new_text=new_text.rstrip("\n")))
    count = len(wanted)
    title = f"Move {'these facts' if finding.code == 'RAG102' else 'this knowledge'} to a knowledge file ({rel.as_posix()}, {count} line{'s' if count != 1 else ''})"
    return Fix(
        title=title,
        applicability=Applicability.UNSAFE,
        file_edits=[FileEdit(path=finding.path, edits=edits)],
        new_files=[NewFile(path=str(target), content=content)],
    )
