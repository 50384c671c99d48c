"""The one place where tree-sitter byte columns become code-point columns.

tree-sitter reports (row, byte column) in the UTF-8 encoding of a line; ragtune's
models use code-point columns (Python ``str`` indices).  Everything in this package
converts through ``byte_column_to_code_point`` (via ``LineIndex``).
"""

from __future__ import annotations

from ...models import Position, Range


def byte_column_to_code_point(line: str, byte_column: int) -> int:
    """Code-point column of ``byte_column`` bytes into ``line`` (UTF-8).

    A column that falls inside a multi-byte character counts that character as not
    yet reached; a column past the end of the line clamps to its length.
    """
    if byte_column <= 0:
        return 0
    if line.isascii():
        return min(byte_column, len(line))
    prefix = line.encode("utf-8", "surrogatepass")[:byte_column]
    return len(prefix.decode("utf-8", "ignore"))


class LineIndex:
    """Lines of one source text, converting tree-sitter points lazily per line."""

    __slots__ = ("_lines",)

    def __init__(self, text: str):
        # tree-sitter counts rows by "\n" only, so split the same way
        self._lines = text.split("\n")

    def position(self, row: int, byte_column: int) -> Position:
        line = self._lines[row] if 0 <= row < len(self._lines) else ""
        return Position(line=row, character=byte_column_to_code_point(line, byte_column))

    def node_range(self, node) -> Range:
        s, e = node.start_point, node.end_point
        return Range(start=self.position(s[0], s[1]), end=self.position(e[0], e[1]))

    def lazy_range(self, node) -> "LazyRange":
        """``node_range`` computed when first asked for."""
        s, e = node.start_point, node.end_point
        return LazyRange(self, s[0], s[1], e[0], e[1])

    def line(self, row: int) -> str:
        return self._lines[row] if 0 <= row < len(self._lines) else ""


class LazyRange:
    """A node's range in tree-sitter points, converted to a ``Range`` on demand."""

    __slots__ = ("_index", "_points")

    def __init__(self, index: LineIndex, start_row: int, start_byte_column: int, end_row: int, end_byte_column: int):
        self._index = index
        self._points = (start_row, start_byte_column, end_row, end_byte_column)

    def resolve(self) -> Range:
        sr, sc, er, ec = self._points
        return Range(start=self._index.position(sr, sc), end=self._index.position(er, ec))
