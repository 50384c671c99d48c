"""Jupyter notebooks: code cells analysed as one Python text, positions mapped back.

Each cell's source is a list of JSON strings (usually one per line).  The strings are
found again in the .ipynb text, in order, so every character of the joined Python
text knows its line and column in the notebook file itself.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel

from ...models import Location, Position, Range
from ...workspace import Workspace
from .facts import CodeFacts, extract_code_facts

_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _decoded_positions(token: str, line: int, column: int) -> list[tuple[int, int]]:
    """Notebook position of each decoded character of a JSON string token (without quotes)."""
    positions: list[tuple[int, int]] = []
    i = 1
    end = len(token) - 1
    while i < end:
        if token[i] == "\\":
            if token[i + 1] == "u":
                code = int(token[i + 2:i + 6], 16)
                if 0xD800 <= code < 0xDC00 and token[i + 6:i + 8] == "\\u":
                    positions.append((line, column + i))
                    i += 12
                    continue
                positions.append((line, column + i))
                i += 6
                continue
            positions.append((line, column + i))
            i += 2
            continue
        positions.append((line, column + i))
        i += 1
    positions.append((line, column + end))  # the closing quote: end of this string
    return positions


class _LineMap:
    def __init__(self):
        self.lines: list[list[tuple[int, int]]] = [[]]

    def add(self, text: str, positions: list[tuple[int, int]]) -> None:
        for ch, pos in zip(text, positions):
            self.lines[-1].append(pos)
            if ch == "\n":
                self.lines.append([])

    def newline(self, pos: tuple[int, int]) -> None:
        self.lines[-1].append(pos)
        self.lines.append([])

    def map(self, position: Position) -> Position:
        if not self.lines:
            return position
        row = min(max(position.line, 0), len(self.lines) - 1)
        cols = self.lines[row]
        if not cols:
            for earlier in range(row - 1, -1, -1):
                if self.lines[earlier]:
                    line, col = self.lines[earlier][-1]
                    return Position(line=line, character=col)
            return Position(line=0, character=0)
        if position.character < len(cols):
            line, col = cols[position.character]
        else:
            line, col = cols[-1]
            col += 1
        return Position(line=line, character=col)

    def range(self, rng: Range) -> Range:
        return Range(start=self.map(rng.start), end=self.map(rng.end))


def notebook_to_python(text: str) -> tuple[str, _LineMap]:
    """The code cells as one Python text, and the map back to notebook positions.

    Raises ValueError (json.JSONDecodeError) for malformed JSON.
    """
    data = json.loads(text)
    cells = data.get("cells", []) if isinstance(data, dict) else []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    cursor = 0
    chunks: list[str] = []
    mapping = _LineMap()

    def locate(piece: str) -> list[tuple[int, int]] | None:
        nonlocal cursor
        for match in _JSON_STRING.finditer(text, cursor):
            try:
                decoded = json.loads(match.group(0))
            except ValueError:
                continue
            if decoded == piece:
                cursor = match.end()
                line = _line_of(line_starts, match.start())
                return _decoded_positions(match.group(0), line, match.start() - line_starts[line])
        return None

    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", [])
        pieces = [source] if isinstance(source, str) else [p for p in source if isinstance(p, str)]
        if cell.get("cell_type") != "code":
            for piece in pieces:
                locate(piece)  # keep the cursor moving past markdown text
            continue
        if chunks and not chunks[-1].endswith("\n"):
            chunks.append("\n")
            mapping.newline(mapping.lines[-1][-1] if mapping.lines[-1] else (0, 0))
        for piece in pieces:
            positions = locate(piece)
            if positions is None:
                positions = [(0, 0)] * (len(piece) + 1)
            code = _neutralise_magics(piece)
            chunks.append(code)
            mapping.add(code, positions)
    return "".join(chunks), mapping


def _neutralise_magics(piece: str) -> str:
    # IPython magics and shell escapes are not Python: comment them out, same length
    stripped = piece.lstrip()
    if stripped.startswith(("%", "!")):
        at = len(piece) - len(stripped)
        return piece[:at] + "#" + piece[at + 1:]
    return piece


def _line_of(line_starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(line_starts, offset) - 1


def extract_notebook_facts(path: str, text: str, workspace: Workspace, default_model: str | None) -> CodeFacts:
    try:
        python, mapping = notebook_to_python(text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", 1) - 1, getattr(exc, "colno", 1) - 1
        message = f"malformed notebook JSON: {getattr(exc, 'msg', str(exc))}"
        return CodeFacts(path=path, language="notebook", errors=[(Range.of(line, column, line, column + 1), message)], default_model=default_model)
    facts = extract_code_facts(path, python, "python", workspace, default_model)
    remapped = _remap(facts, path, mapping)
    view = (python, list(facts.sites), lambda value: _remap(value, path, mapping))
    return remapped.model_copy(update={"language": "notebook", "python_view": view})


def _remap(value, path: str, mapping: _LineMap):
    if isinstance(value, Location):
        return Location(path=value.path, range=mapping.range(value.range)) if value.path == path else value
    if isinstance(value, Range):
        return mapping.range(value)
    if isinstance(value, BaseModel):
        update = {}
        for name in type(value).model_fields:
            current = getattr(value, name)
            new = _remap(current, path, mapping)
            if new is not current:
                update[name] = new
        return value.model_copy(update=update) if update else value
    if isinstance(value, list):
        return [_remap(v, path, mapping) for v in value]
    if isinstance(value, tuple):
        return tuple(_remap(v, path, mapping) for v in value)
    if isinstance(value, dict):
        return {k: _remap(v, path, mapping) for k, v in value.items()}
    return value
