"""Prompt files read into ``PromptSite``s: the text a file sends, turn by turn, with holes.

Formats, chosen by file name:

- ``.prompt`` (dotprompt): YAML front matter, Handlebars body.  ``{{role "system"}}``
  (or ``{{#role "system"}}``) starts a turn; ``{{history}}`` stands for earlier turns
  (a turn of role ``unknown`` holding one hole) and, as in dotprompt, the text after
  it is the model's turn; text before the first marker is the user's turn.  Every
  other tag is a hole; block helpers keep their inner text; ``{{! }}`` comments are
  dropped.
- ``.prompty``: YAML front matter, Jinja2 body; a line holding only ``system:``,
  ``user:``, ``assistant:`` (also ``developer``, ``tool``, ``function``, with an
  optional leading ``#``) starts a turn; text before the first one is the system turn.
- ``*.prompt.md`` (VS Code / GitHub prompt files): optional front matter; the markdown
  body is the prompt; ``${...}`` variables and ``#file:`` references are holes.
- ``*.prompt.yml`` / ``*.prompt.yaml`` (GitHub Models): ``messages``, ``model``,
  ``responseFormat`` / ``jsonSchema``; ``{{var}}`` holes.
- other ``.yaml`` / ``.yml`` / ``.json`` prompt files: a ``messages`` list, a top-level
  list of messages, a ``system`` / ``system_prompt`` / ``instructions`` string (with
  ``prompt`` / ``template`` / ``user`` as the user turn), or ``prompt`` / ``template``
  alone as the system prompt; a mapping of such prompts gives one site per entry.
  Anything else: the whole text is the system prompt.
- ``.j2`` / ``.jinja`` / ``.jinja2``: ``{{ }}`` and ``{% %}`` tags are holes, the
  literal text between them is kept (``{% raw %}`` blocks are literal), ``{# #}``
  comments are not prompt text.
- ``.txt`` / ``.md`` / anything else: the whole text is the system prompt, with the
  placeholders of the rule below as holes (``.md`` may carry front matter).

Placeholders in plain text, chosen so that JSON examples stay text: a hole is
``{identifier}`` (dotted or indexed: ``{user.name}``, ``{items[0]}``), ``{{ expr }}``
whose expression starts with a letter, ``_`` or a Mustache sigil (``# / ^ > & ! . @``)
and holds no brace or line break, ``${name}``, or ``<<name>>``.  So ``{"a": 1}``,
``{{"a": 1}}``, ``{ }`` and ``{}`` stay text.

A file with role markers gives those turns: a leading system (or developer) turn is
``PromptSite.system``, the rest ``messages``.  A file without them is one system
prompt.  Each turn's text is stripped of surrounding white space (layout around the
markers, not prompt), line breaks are sent as ``\\n`` whatever the file uses, and every
part carries the ``Location`` it was read from: 0-based lines (``\\n``, ``\\r\\n`` and
``\\r`` end lines, as in LSP) and code-point columns into the text as given (a leading
BOM, if the caller kept it, is column 0 of line 0).  Text decoded from a YAML or JSON
string is located exactly where its lines appear verbatim in the file, and otherwise
(escapes, folded lines) at the whole string.

Nothing here raises on bad input: broken front matter, invalid YAML or JSON, an
unterminated tag and binary-looking text are reported in ``PromptFileFacts.errors``
and the rest is read as far as it can be.  All scanning is linear in the file size.
"""

from __future__ import annotations

import bisect
import gc
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from ..models import Location, Message, Position, Prompt, PromptPart, PromptSite, Range, Role
from .yaml_loading import safe_loader_for

FileFormat = Literal["dotprompt", "prompty", "vscode-prompt", "github-models", "yaml", "json", "jinja", "markdown", "text"]


class PromptFileFacts(BaseModel):
    """What one prompt file says: its prompt sites, the model it names, its problems."""

    format: FileFormat
    sites: list[PromptSite] = Field(default_factory=list)
    errors: list[tuple[Range, str]] = Field(default_factory=list)
    model: str | None = None


def prompt_file_format(path: str) -> FileFormat:
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name.endswith(".prompt.md"):
        return "vscode-prompt"
    if name.endswith((".prompt.yml", ".prompt.yaml")):
        return "github-models"
    suffix = name[name.rfind(".") :] if "." in name else ""
    return _FORMAT_BY_SUFFIX.get(suffix, "text")


_FORMAT_BY_SUFFIX: dict[str, FileFormat] = {
    ".prompt": "dotprompt",
    ".prompty": "prompty",
    ".j2": "jinja",
    ".jinja": "jinja",
    ".jinja2": "jinja",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".md": "markdown",
}


def read_prompt_file(path: str, text: str) -> PromptFileFacts:
    """Read one prompt file into prompt sites; problems go to ``errors``, never raised."""
    file_format = prompt_file_format(path)
    facts = PromptFileFacts(format=file_format)
    if _looks_binary(text):
        facts.errors.append((Range.of(0, 0, 0, 0), "file looks binary (control characters); not read as a prompt"))
        return facts
    reader = _FileReader(path, text, facts)
    try:
        with _collector_paused() if len(text) > _LARGE_FILE_CHARS else nullcontext():
            if file_format in ("github-models", "yaml", "json"):
                reader.read_structured()
            else:
                reader.read_template()
    except RecursionError:
        facts.sites = []
        facts.errors.append((Range.of(0, 0, 0, 0), "file is nested too deeply to read"))
    return facts


_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:8192]
    return len(_BINARY_CONTROLS.findall(sample)) * 10 > len(sample)


# ---------------------------------------------------------------------------
# Positions


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NEWLINE = re.compile(r"\n")


class _LineIndex:
    """Offsets of line starts, so an offset turns into a position in O(log n)."""

    def __init__(self, text: str):
        self.text = text
        breaks = _LINE_BREAK if "\r" in text else _NEWLINE
        self.starts = [0, *(m.end() for m in breaks.finditer(text))]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def position(self, offset: int) -> Position:
        line = self.line_of(offset)
        return Position(line=line, character=offset - self.starts[line])

    def range(self, start: int, end: int) -> Range:
        return Range(start=self.position(start), end=self.position(end))

    def line_end(self, line: int) -> int:
        """Offset where the line's text ends, before its line break."""
        if line + 1 >= len(self.starts):
            return len(self.text)
        end = self.starts[line + 1]
        if self.text[end - 1] == "\n":
            end -= 1
        if end > self.starts[line] and self.text[end - 1] == "\r":
            end -= 1
        return end

    def whole_line(self, line: int) -> Range:
        return Range.of(line, 0, line, self.line_end(line) - self.starts[line])


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


# ---------------------------------------------------------------------------
# Text a prompt is cut from, and pieces of it


@dataclass
class _Source:
    """A string prompt text is cut from, and how its offsets map back into the file.

    For a template the string is the file itself.  For a YAML or JSON string it is the
    decoded value; ``anchors`` then holds (offset in value, offset in file) at each
    line found verbatim in the file, or is None when the value cannot be aligned and
    every piece is located at the whole string (``span``).
    """

    text: str
    anchors: list[tuple[int, int]] | None
    span: tuple[int, int]
    verbatim: bool = False  # the file's own text: line breaks are normalised when sent
    _keys: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.anchors is not None:
            self._keys = [value_offset for value_offset, _ in self.anchors]

    @classmethod
    def whole_file(cls, text: str) -> "_Source":
        return cls(text, [(0, 0)], (0, len(text)), verbatim=True)

    def file_span(self, start: int, end: int) -> tuple[int, int]:
        if self.anchors is None:
            return self.span
        first = self.anchors[max(bisect.bisect_right(self._keys, start) - 1, 0)]
        # an end that falls on a line start belongs to the line before it
        last = self.anchors[max(bisect.bisect_left(self._keys, end) - 1, 0)] if end > start else first
        return first[1] + start - first[0], last[1] + end - last[0]


@dataclass
class _Piece:
    kind: Literal["text", "hole", "role", "history"]
    source: _Source
    start: int
    end: int
    value: str = ""  # a hole's expression, or a role name


_NON_SPACE = re.compile(r"\S")


def _append_text(pieces: list[_Piece], source: _Source, start: int, end: int, trim_start: bool = False, trim_end: bool = False) -> None:
    """Add the literal text source[start:end], trimmed of white space where a tag asks."""
    if trim_start:
        found = _NON_SPACE.search(source.text, start, end)
        start = found.start() if found else end
    if trim_end and start < end:
        end = start + len(source.text[start:end].rstrip())
    if start < end:
        pieces.append(_Piece("text", source, start, end))


# ---------------------------------------------------------------------------
# Template syntaxes


def _next_closer(text: str, closer: str, after: int, end: int, cache: dict[str, int]) -> int:
    """First ``closer`` at or after ``after``, remembering the last answer.

    Searches never cover the same text twice, so scanning a file full of openers
    without closers stays linear.
    """
    found = cache.get(closer)
    if found is None or (found != -1 and found < after):
        found = text.find(closer, after, end)
        cache[closer] = found
    return found


_HANDLEBARS_ROLE = re.compile(r"""#?role\s+(?:"([A-Za-z]+)"|'([A-Za-z]+)')\s*""")


def _handlebars_pieces(source: _Source, start: int, end: int, report: _Reporter) -> list[_Piece]:
    text = source.text
    pieces: list[_Piece] = []
    cache: dict[str, int] = {}
    text_start = pos = start
    trim_next = False
    while True:
        opener = text.find("{{", pos, end)
        if opener < 0:
            break
        if opener > start and text[opener - 1] == "\\":
            # \{{ is a literal {{ in Handlebars: keep it as text
            _append_text(pieces, source, text_start, opener - 1, trim_next)
            trim_next = False
            text_start, pos = opener, opener + 2
            continue
        if text.startswith("{{!--", opener):
            closer = "--}}"
        elif text.startswith("{{{", opener):
            closer = "}}}"
        else:
            closer = "}}"
        close = _next_closer(text, closer, opener + 2, end, cache)
        if close < 0:
            report.at(opener, opener + 2, "unterminated `{{` tag: the template engine will reject this file")
            break
        tag_end = close + len(closer)
        inner = text[opener + 2 : close].strip("{}")
        trim_before = inner.startswith("~")
        trim_after = inner.endswith("~")
        expression = inner.strip("~").strip()
        _append_text(pieces, source, text_start, opener, trim_next, trim_before)
        role = _HANDLEBARS_ROLE.fullmatch(expression)
        if expression.startswith("!") or expression == "/role":
            pass
        elif role:
            pieces.append(_Piece("role", source, opener, tag_end, _role_name(role.group(1) or role.group(2))))
        elif expression == "history":
            pieces.append(_Piece("history", source, opener, tag_end, "history"))
        else:
            pieces.append(_Piece("hole", source, opener, tag_end, _normalize_newlines(expression)))
        text_start = pos = tag_end
        trim_next = trim_after
    _append_text(pieces, source, text_start, end, trim_next)
    return pieces


_JINJA_OPENER = re.compile(r"\{[{%#]")
_JINJA_CLOSERS = {"{": "}}", "%": "%}", "#": "#}"}
_JINJA_ENDRAW = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")


def _jinja_pieces(source: _Source, start: int, end: int, report: _Reporter) -> list[_Piece]:
    text = source.text
    pieces: list[_Piece] = []
    cache: dict[str, int] = {}
    text_start = pos = start
    trim_next = False
    while True:
        opener_match = _JINJA_OPENER.search(text, pos, end)
        if opener_match is None:
            break
        opener = opener_match.start()
        delimiter = text[opener + 1]
        closer = _JINJA_CLOSERS[delimiter]
        close = _next_closer(text, closer, opener + 2, end, cache)
        if close < 0:
            report.at(opener, opener + 2, f"unterminated `{text[opener:opener + 2]}` tag: the template engine will reject this file")
            break
        tag_end = close + 2
        inner = text[opener + 2 : close]
        trim_before = inner.startswith("-")
        trim_after = inner.endswith("-")
        expression = _normalize_newlines(inner.strip("-+").strip())
        _append_text(pieces, source, text_start, opener, trim_next, trim_before)
        trim_next = trim_after
        text_start = pos = tag_end
        if delimiter == "#":
            continue
        if delimiter == "%" and expression == "raw":
            endraw = _JINJA_ENDRAW.search(text, tag_end, end)
            raw_end = endraw.start() if endraw else end
            _append_text(pieces, source, tag_end, raw_end, trim_next, bool(endraw) and text[endraw.start() + 2] == "-")
            trim_next = bool(endraw) and text[endraw.end() - 3] == "-"
            text_start = pos = endraw.end() if endraw else end
            continue
        hole = expression if delimiter == "{" else f"% {expression} %"
        pieces.append(_Piece("hole", source, opener, tag_end, hole))
    _append_text(pieces, source, text_start, end, trim_next)
    return pieces


# Linear-time: every alternative starts with a fixed character, bounded or possessive
# repetitions only.
_TEXT_PLACEHOLDER = re.compile(
    r"\{\{[ \t]*(?P<mustache>[A-Za-z_#/^>&!.@][^{}\r\n]{0,200}?)[ \t]*\}\}"
    r"|\$\{[ \t]*(?P<dollar>[A-Za-z_][^{}\r\n]{0,200}?)[ \t]*\}"
    r"|\{(?P<format>[A-Za-z_]\w*+(?:\.[A-Za-z_]\w*+|\[\w++\])*+)\}"
    r"|<<[ \t]*(?P<angle>[A-Za-z_][\w.]{0,100}+)[ \t]*>>"
)
_MUSTACHE_PLACEHOLDER = re.compile(r"\{\{[ \t]*(?P<mustache>[A-Za-z_#/^>&!.@][^{}\r\n]{0,200}?)[ \t]*\}\}")
_VSCODE_PLACEHOLDER = re.compile(
    r"\$\{(?P<variable>[^{}\r\n]{1,200}?)\}"
    r"|(?P<file>#file:(?:'[^'\r\n]{1,300}'|\"[^\"\r\n]{1,300}\"|[^\s'\"`<>()\[\]{},;]++))"
)


def _placeholder_pieces(source: _Source, start: int, end: int, pattern: re.Pattern[str]) -> list[_Piece]:
    text = source.text
    pieces: list[_Piece] = []
    text_start = start
    for match in pattern.finditer(text, start, end):
        hole_end = match.end()
        if match.lastgroup == "file" and text[hole_end - 1] not in "'\"":
            # a reference at the end of a sentence: the full stop is prose
            while text[hole_end - 1] in ".:" and hole_end - match.start() > len("#file:"):
                hole_end -= 1
        if text_start < match.start():
            _append_text(pieces, source, text_start, match.start())
        expression = text[match.start() : hole_end] if match.lastgroup == "file" else (match.group(match.lastgroup) or "").strip()
        pieces.append(_Piece("hole", source, match.start(), hole_end, expression))
        text_start = hole_end
    _append_text(pieces, source, text_start, end)
    return pieces


# A line holding only a role name and a colon; never inside a line.
_PROMPTY_ROLE_LINE = re.compile(
    r"(?<![^\r\n\ufeff])[ \t]*+#?[ \t]*+(system|user|assistant|developer|function|tool)[ \t]*+:[ \t]*+(?![^\r\n])",
    re.IGNORECASE,
)


def _split_role_lines(pieces: list[_Piece], source: _Source, start: int, end: int) -> list[_Piece]:
    """Turn role lines that sit wholly in literal text into role markers."""
    matches = list(_PROMPTY_ROLE_LINE.finditer(source.text, start, end))
    if not matches:
        return pieces
    result: list[_Piece] = []
    index = 0
    for piece in pieces:
        if piece.kind != "text":
            result.append(piece)
            continue
        text_start = piece.start
        while index < len(matches) and matches[index].start() < piece.end:
            match = matches[index]
            index += 1
            if match.start() < piece.start or match.end() > piece.end:
                continue
            _append_text(result, source, text_start, match.start())
            result.append(_Piece("role", source, match.start(), match.end(), _role_name(match.group(1))))
            text_start = match.end()
        _append_text(result, source, text_start, piece.end)
    return result


_ROLE_NAMES: dict[str, Role] = {
    "system": "system",
    "developer": "developer",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "model": "assistant",
    "ai": "assistant",
    "tool": "tool",
    "function": "tool",
}


def _role_name(name: str) -> Role:
    return _ROLE_NAMES.get(name.strip().lower(), "unknown")


# ---------------------------------------------------------------------------
# Turns and sites


@dataclass
class _Turn:
    role: Role
    pieces: list[_Piece] = field(default_factory=list)


def _turns_from_pieces(pieces: list[_Piece], default_role: Role) -> list[_Turn]:
    """Split pieces at role markers; a marker before any text only names the turn."""
    turns: list[_Turn] = []
    current = _Turn(default_role)
    for piece in pieces:
        if piece.kind == "role":
            if _has_content(current):
                turns.append(current)
                current = _Turn(piece.value)  # type: ignore[arg-type]
            else:
                current.role = piece.value  # type: ignore[assignment]
        elif piece.kind == "history":
            if _has_content(current):
                turns.append(current)
            turns.append(_Turn("unknown", [_Piece("hole", piece.source, piece.start, piece.end, "history")]))
            current = _Turn("assistant")
        else:
            current.pieces.append(piece)
    if _has_content(current):
        turns.append(current)
    return turns


def _has_content(turn: _Turn) -> bool:
    return any(p.kind == "hole" or _NON_SPACE.search(p.source.text, p.start, p.end) for p in turn.pieces)


def _strip_turn(turn: _Turn) -> _Turn:
    pieces = list(turn.pieces)
    first = 0
    while first < len(pieces) and pieces[first].kind == "text":
        piece = pieces[first]
        found = _NON_SPACE.search(piece.source.text, piece.start, piece.end)
        if found:
            pieces[first] = _Piece("text", piece.source, found.start(), piece.end)
            break
        first += 1
    pieces = pieces[first:]
    while pieces and pieces[-1].kind == "text":
        piece = pieces[-1]
        kept = len(piece.source.text[piece.start : piece.end].rstrip())
        if kept:
            pieces[-1] = _Piece("text", piece.source, piece.start, piece.start + kept)
            break
        pieces.pop()
    return _Turn(turn.role, pieces)


class _Reporter:
    def __init__(self, facts: PromptFileFacts, lines: _LineIndex):
        self.facts = facts
        self.lines = lines

    def at(self, start: int, end: int, message: str) -> None:
        self.facts.errors.append((self.lines.range(start, end), message))

    def on_line(self, line: int, message: str) -> None:
        line = min(max(line, 0), len(self.lines.starts) - 1)
        self.facts.errors.append((self.lines.whole_line(line), message))


@dataclass
class _FrontMatter:
    data: dict[str, Any]
    start: int  # offset of the opening ---
    end: int  # offset just past the closing --- line


_DOTPROMPT_PREAMBLE = re.compile(r"(?:(?:#[^\r\n]*+|[ \t]*+)(?:\r\n|\r|\n))*+")
_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*(?:\r\n|\r|\n)")
_FRONT_MATTER_CLOSE = re.compile(r"(?<![^\r\n])---[ \t]*(?:\r\n|\r|\n|\Z)")
_LONE_OPENING = re.compile(r"---[ \t]*\Z")

_FORMATS_EXPECTING_FRONT_MATTER = ("dotprompt", "prompty", "vscode-prompt")


class _FileReader:
    def __init__(self, path: str, text: str, facts: PromptFileFacts):
        self.path = path
        self.text = text
        self.facts = facts
        self.lines = _LineIndex(text)
        self.report = _Reporter(facts, self.lines)
        self.start = 1 if text.startswith("\ufeff") else 0

    # -- templates ----------------------------------------------------------
    def read_template(self) -> None:
        file_format = self.facts.format
        front_matter = None
        if file_format in (*_FORMATS_EXPECTING_FRONT_MATTER, "markdown"):
            front_matter = self._front_matter(file_format)
        body_start = front_matter.end if front_matter else self.start
        body_end = len(self.text)
        metadata = front_matter.data if front_matter else {}
        source = _Source.whole_file(self.text)

        if file_format == "dotprompt":
            pieces = _handlebars_pieces(source, body_start, body_end, self.report)
        elif file_format == "prompty":
            pieces = _jinja_pieces(source, body_start, body_end, self.report)
            pieces = _split_role_lines(pieces, source, body_start, body_end)
        elif file_format == "jinja":
            pieces = _jinja_pieces(source, body_start, body_end, self.report)
        elif file_format == "vscode-prompt":
            pieces = _placeholder_pieces(source, body_start, body_end, _VSCODE_PLACEHOLDER)
        else:
            pieces = _placeholder_pieces(source, body_start, body_end, _TEXT_PLACEHOLDER)

        has_markers = any(p.kind in ("role", "history") for p in pieces)
        # dotprompt sends text before any role marker as the user's turn
        default_role: Role = "user" if file_format == "dotprompt" and has_markers else "system"
        turns = _turns_from_pieces(pieces, default_role)

        model = _model_name(metadata.get("model"))
        if file_format == "dotprompt":
            has_output_schema = _dotprompt_output_is_structured(metadata.get("output"))
        elif file_format == "prompty":
            has_output_schema = _prompty_output_is_structured(metadata.get("model"))
        else:
            has_output_schema = _declares_output_schema(metadata)
        site_range = self._first_text_line(body_start, body_end)
        self.facts.model = model
        self.facts.sites.append(self._site(turns, site_range, model, has_output_schema))

    def _front_matter(self, file_format: str) -> _FrontMatter | None:
        text = self.text
        position = self.start
        if file_format == "dotprompt":
            position = _DOTPROMPT_PREAMBLE.match(text, position).end()  # type: ignore[union-attr]
        opening = _FRONT_MATTER_OPEN.match(text, position)
        if opening is None:
            if file_format in _FORMATS_EXPECTING_FRONT_MATTER and _LONE_OPENING.match(text, position):
                self.report.at(position, len(text), "front matter has no closing `---` line; the whole file is read as the prompt")
            return None
        closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
        if closing is None:
            if file_format in _FORMATS_EXPECTING_FRONT_MATTER:
                self.report.at(position, position + 3, "front matter has no closing `---` line; the whole file is read as the prompt")
            return None
        yaml_text = text[opening.end() : closing.start()]
        front_matter = _FrontMatter({}, position, closing.end())
        where = (position, self.lines.line_end(self.lines.line_of(closing.start())))
        try:
            data = yaml.load(yaml_text, Loader=safe_loader_for(yaml_text))  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            self.report.at(*where, f"front matter is not valid YAML: {_yaml_problem(exc, self.lines.line_of(opening.end()))}")
            return front_matter
        except RecursionError:
            self.report.at(*where, "front matter is nested too deeply to read")
            return front_matter
        except (ValueError, TypeError, OverflowError) as exc:
            # values YAML can spell but Python cannot hold, such as 2024-13-45
            self.report.at(*where, f"front matter could not be read: {exc}")
            return front_matter
        if isinstance(data, dict):
            front_matter.data = data
        elif data is not None:
            kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
            self.report.at(*where, f"front matter is {kind}, not a mapping of settings; its settings are ignored")
        return front_matter

    def _first_text_line(self, start: int, end: int) -> Range:
        found = _NON_SPACE.search(self.text, start, end)
        if found is None:
            return Range.of(0, 0, 0, 0)
        return self.lines.whole_line(self.lines.line_of(found.start()))

    # -- YAML and JSON ------------------------------------------------------
    def read_structured(self) -> None:
        if _NON_SPACE.search(self.text, self.start) is None:
            self._read_whole_text()
            return
        documents = self._parse_documents()
        model: str | None = None
        if documents:
            for document in documents:
                for site in self._sites_from_document(document):
                    self.facts.sites.append(site)
                    model = model or site.model
        if not self.facts.sites:
            self._read_whole_text()
            return
        self.facts.model = model

    def _parse_documents(self) -> list[yaml.Node] | None:
        is_json = self.facts.format == "json"
        if is_json:
            try:
                json.loads(self.text[self.start :])
            except json.JSONDecodeError as exc:
                self.report.on_line(self.lines.line_of(self.start + exc.pos), f"not valid JSON: {exc.msg}")
                return None
            except RecursionError:
                self.report.on_line(0, "JSON is nested too deeply to read")
                return None
        # JSON forbids raw tabs inside strings, so turning them into spaces keeps every
        # position and value while sparing YAML's refusal of tab indentation.
        yaml_text = self.text.replace("\t", " ") if is_json else self.text
        # a safe loader, as yaml.safe_load uses; composing nodes keeps their positions
        # (libyaml's when the nesting allows: see yaml_loading)
        loader = None
        try:
            loader = safe_loader_for(yaml_text)(yaml_text)
            documents: list[yaml.Node] = []
            while loader.check_node():
                node = loader.get_node()
                if node is not None:
                    documents.append(node)
            return documents
        except yaml.YAMLError as exc:
            if is_json:
                return self._documents_from_json()
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = self.lines.line_of(mark.index) if mark is not None else 0
            self.report.on_line(line, f"not valid YAML: {_yaml_problem(exc, None)}")
            return None
        except RecursionError:
            self.report.on_line(0, "YAML is nested too deeply to read")
            return None
        finally:
            if loader is not None:
                loader.dispose()

    def _documents_from_json(self) -> list[yaml.Node] | None:
        """Valid JSON that YAML cannot compose: its values, located at the whole file."""
        try:
            return [_node_from_value(json.loads(self.text[self.start :]), budget=[_JSON_NODE_BUDGET])]
        except (RecursionError, ValueError):
            return None

    def _sites_from_document(self, document: yaml.Node) -> list[PromptSite]:
        if isinstance(document, yaml.SequenceNode):
            turns = self._turns_from_messages(document)
            return [self._structured_site(document, {}, turns)] if turns else []
        if not isinstance(document, yaml.MappingNode):
            return []
        fields = _mapping_fields(document)
        turns = self._turns_from_fields(fields)
        if turns:
            return [self._structured_site(document, fields, turns)]
        sites = []
        for value in fields.values():
            if isinstance(value, yaml.MappingNode):
                entry_fields = _mapping_fields(value)
                entry_turns = self._turns_from_fields(entry_fields)
                if entry_turns:
                    sites.append(self._structured_site(value, {**fields, **entry_fields}, entry_turns))
        return sites

    def _turns_from_fields(self, fields: dict[str, yaml.Node]) -> list[_Turn]:
        messages = fields.get("messages")
        if isinstance(messages, yaml.SequenceNode):
            turns = self._turns_from_messages(messages)
            if turns:
                return turns
        system = _first_string(fields, _SYSTEM_KEYS)
        template = _first_string(fields, _TEMPLATE_KEYS)
        user = _first_string(fields, _USER_KEYS)
        if system is None and template is not None:
            # a lone prompt or template is the instructions the file exists for
            system, template = template, None
        turns = [_Turn(role, self._pieces_of_string(node)) for role, node in (("system", system), ("user", template), ("user", user)) if node is not None]
        return turns  # type: ignore[return-value]

    def _turns_from_messages(self, messages: yaml.SequenceNode) -> list[_Turn]:
        turns = []
        for item in messages.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            fields = _mapping_fields(item)
            role_node = fields.get("role")
            if not _string_node(role_node):
                continue
            turn = _Turn(_role_name(role_node.value))  # type: ignore[union-attr]
            content = fields.get("content")
            if _string_node(content):
                turn.pieces = self._pieces_of_string(content)  # type: ignore[arg-type]
            elif isinstance(content, yaml.SequenceNode):
                # content parts: [{type: text, text: ...}, ...]
                for part in content.value:
                    text_node = _mapping_fields(part).get("text") if isinstance(part, yaml.MappingNode) else part
                    if _string_node(text_node):
                        turn.pieces.extend(self._pieces_of_string(text_node))  # type: ignore[arg-type]
            turns.append(turn)
        return turns

    def _pieces_of_string(self, node: yaml.ScalarNode) -> list[_Piece]:
        source = _source_of_scalar(node, self.text)
        pattern = _MUSTACHE_PLACEHOLDER if self.facts.format == "github-models" else _TEXT_PLACEHOLDER
        return _placeholder_pieces(source, 0, len(source.text), pattern)

    def _structured_site(self, node: yaml.Node, fields: dict[str, yaml.Node], turns: list[_Turn]) -> PromptSite:
        metadata = {key: _value_of_node(fields[key], [_NODE_BUDGET]) for key in _METADATA_KEYS if key in fields}
        model = _model_name(metadata.get("model"))
        span = _node_span(node)
        site_range = self._first_text_line(span[0], span[1]) if span else Range.of(0, 0, 0, 0)
        return self._site(turns, site_range, model, _declares_output_schema(metadata))

    def _read_whole_text(self) -> None:
        """Nothing recognised: the file's text is the prompt."""
        source = _Source.whole_file(self.text)
        pattern = _MUSTACHE_PLACEHOLDER if self.facts.format == "github-models" else _TEXT_PLACEHOLDER
        pieces = _placeholder_pieces(source, self.start, len(self.text), pattern)
        self.facts.sites = [self._site(_turns_from_pieces(pieces, "system"), self._first_text_line(self.start, len(self.text)), None, False)]

    # -- sites --------------------------------------------------------------
    def _site(self, turns: list[_Turn], site_range: Range, model: str | None, has_output_schema: bool) -> PromptSite:
        turns = [t for t in (_strip_turn(t) for t in turns) if t.pieces]
        site = PromptSite(kind="prompt-file", path=self.path, range=site_range, model=model, has_output_schema=has_output_schema)
        if turns and turns[0].role in ("system", "developer"):
            system_turn = turns.pop(0)
            site.system = self._prompt(system_turn)
            site.system_range = self._turn_range(system_turn)
        site.messages = [Message(role=t.role, prompt=self._prompt(t), location=Location(path=self.path, range=self._turn_range(t))) for t in turns]
        return site

    def _prompt(self, turn: _Turn) -> Prompt:
        parts = []
        for piece in turn.pieces:
            location = Location(path=self.path, range=self.lines.range(*piece.source.file_span(piece.start, piece.end)))
            if piece.kind == "text":
                text = piece.source.text[piece.start : piece.end]
                parts.append(PromptPart(kind="text", text=_normalize_newlines(text) if piece.source.verbatim else text, location=location))
            else:
                parts.append(PromptPart(kind="hole", text=piece.value, location=location))
        return Prompt(parts=parts)

    def _turn_range(self, turn: _Turn) -> Range:
        first, last = turn.pieces[0], turn.pieces[-1]
        start = first.source.file_span(first.start, first.end)[0]
        end = last.source.file_span(last.start, last.end)[1]
        return self.lines.range(start, max(start, end))


# In a file this large there may be hundreds of thousands of pieces and parts, and the
# cyclic garbage collector's repeated passes over them cost several times building
# them; none of them is garbage.
_LARGE_FILE_CHARS = 1_000_000


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ---------------------------------------------------------------------------
# Metadata


def _model_name(value: Any) -> str | None:
    """A model named as a string, or in Prompty's ``configuration`` mapping."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        configuration = value.get("configuration")
        if isinstance(configuration, dict):
            for key in ("azure_deployment", "model", "name", "deployment"):
                if isinstance(configuration.get(key), str) and configuration[key].strip():
                    return configuration[key].strip()
        for key in ("id", "name", "model"):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key].strip()
    return None


def _response_format_is_structured(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "text")
    if isinstance(value, dict):
        kind = value.get("type")
        return not (isinstance(kind, str) and kind.strip().lower() == "text")
    return False


def _declares_output_schema(metadata: dict[str, Any]) -> bool:
    for key in ("response_format", "responseFormat"):
        if key in metadata and _response_format_is_structured(metadata[key]):
            return True
    if any(metadata.get(key) for key in ("jsonSchema", "json_schema", "output_schema", "outputSchema")):
        return True
    for key in ("modelParameters", "parameters"):
        parameters = metadata.get(key)
        if isinstance(parameters, dict) and any(
            k in parameters and _response_format_is_structured(parameters[k]) for k in ("response_format", "responseFormat")
        ):
            return True
    return False


# dotprompt output formats that constrain the reply to a shape
_DOTPROMPT_STRUCTURED_FORMATS = {"json", "jsonl", "array", "enum"}


def _dotprompt_output_is_structured(output: Any) -> bool:
    if not isinstance(output, dict):
        return False
    output_format = output.get("format")
    return bool(output.get("schema") or output.get("jsonSchema")) or (
        isinstance(output_format, str) and output_format.strip().lower() in _DOTPROMPT_STRUCTURED_FORMATS
    )


def _prompty_output_is_structured(model: Any) -> bool:
    if not isinstance(model, dict):
        return False
    parameters = model.get("parameters")
    return isinstance(parameters, dict) and _response_format_is_structured(parameters.get("response_format"))


def _yaml_problem(exc: yaml.YAMLError, first_line: int | None) -> str:
    """The parser's complaint, with the 1-based file line it points at."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return problem
    return f"{problem} (line {(first_line or 0) + mark.line + 1})" if first_line is not None else f"{problem} (line {mark.line + 1})"


# ---------------------------------------------------------------------------
# YAML nodes


_METADATA_KEYS = ("model", "modelParameters", "parameters", "response_format", "responseFormat", "jsonSchema", "json_schema", "output_schema", "outputSchema")
# Aliases let a small YAML file describe an exponentially large value; metadata is
# read through a budget of nodes.
_NODE_BUDGET = 10_000
_JSON_NODE_BUDGET = 1_000_000
_STR_TAG = "tag:yaml.org,2002:str"


def _string_node(node: yaml.Node | None) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG


_SYSTEM_KEYS = ("system", "system_prompt", "systemPrompt", "instructions")
_TEMPLATE_KEYS = ("prompt", "template")
_USER_KEYS = ("user", "user_prompt", "userPrompt")


def _first_string(fields: dict[str, yaml.Node], keys: tuple[str, ...]) -> yaml.ScalarNode | None:
    return next((fields[k] for k in keys if _string_node(fields.get(k))), None)  # type: ignore[misc]


def _mapping_fields(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    """String keys to value nodes; a repeated key keeps its last value, as YAML loaders do."""
    return {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _value_of_node(node: yaml.Node, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        return None
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag.endswith(":null") else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_value_of_node(item, budget) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {key.value: _value_of_node(value, budget) for key, value in node.value if isinstance(key, yaml.ScalarNode)}
    return None


def _node_from_value(value: Any, budget: list[int]) -> yaml.Node:
    """A JSON value as position-less YAML nodes."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("too many values")
    if isinstance(value, dict):
        return yaml.MappingNode("tag:yaml.org,2002:map", [(yaml.ScalarNode(_STR_TAG, str(k)), _node_from_value(v, budget)) for k, v in value.items()])
    if isinstance(value, list):
        return yaml.SequenceNode("tag:yaml.org,2002:seq", [_node_from_value(v, budget) for v in value])
    if isinstance(value, str):
        return yaml.ScalarNode(_STR_TAG, value)
    return yaml.ScalarNode("tag:yaml.org,2002:null" if value is None else "tag:yaml.org,2002:json", json.dumps(value))


def _node_span(node: yaml.Node) -> tuple[int, int] | None:
    if node.start_mark is None or node.end_mark is None:
        return None
    return node.start_mark.index, node.end_mark.index


def _source_of_scalar(node: yaml.ScalarNode, file_text: str) -> _Source:
    """The string's value, aligned with the file line by line where it appears verbatim."""
    value = node.value
    span = _node_span(node)
    if span is None:
        return _Source(value, None, (0, len(file_text)))
    start, end = span
    if node.style in ("|", ">"):
        header_end = file_text.find("\n", start, end)
        cursor = header_end + 1 if header_end >= 0 else end
    else:
        cursor = start + (1 if node.style in ("'", '"') else 0)
    anchors: list[tuple[int, int]] = []
    value_offset = 0
    for line in value.split("\n"):
        if line:
            found = file_text.find(line, cursor, end)
            if found < 0:
                return _Source(value, None, span)
            anchors.append((value_offset, found))
            cursor = found + len(line)
        value_offset += len(line) + 1
    return _Source(value, anchors or [(0, cursor)], span)
