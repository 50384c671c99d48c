"""The one place positions change units.

The engine counts columns in code points (Python ``str`` indices).  LSP counts them in
the negotiated ``positionEncoding``: UTF-16 code units unless the client offered UTF-8
or UTF-32 at initialize.  ``to_client`` and ``from_client`` are the boundary; every
range that crosses it goes through them, with the text of the line it is on.
"""

from __future__ import annotations

from collections.abc import Sequence

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == UTF16:
        return 2 if cp > 0xFFFF else 1
    if encoding == UTF8:
        return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    return 1


def to_client(line_text: str, character: int, encoding: str) -> int:
    """Code-point column ``character`` in ``line_text`` → column in ``encoding`` units.

    Past the end of the line it clamps to the line's length (a range may end after the
    last character, e.g. on the line break)."""
    character = max(0, min(character, len(line_text)))
    if encoding == UTF32 or line_text.isascii():
        return character
    return sum(_units(ch, encoding) for ch in line_text[:character])


def from_client(line_text: str, column: int, encoding: str) -> int:
    """Column in ``encoding`` units → code-point column; a column inside a character
    (half a surrogate pair, a byte of a UTF-8 sequence) lands on that character."""
    if column <= 0:
        return 0
    if encoding == UTF32 or line_text.isascii():
        return min(column, len(line_text))
    used = 0
    for index, ch in enumerate(line_text):
        used += _units(ch, encoding)
        if used > column:
            return index
        if used == column:
            return index + 1
    return len(line_text)


def line_at(lines: Sequence[str], line: int) -> str:
    if 0 <= line < len(lines):
        return lines[line].rstrip("\r\n")
    return ""


def range_to_client(lines: Sequence[str], rng: Sequence[int], encoding: str) -> tuple[int, int, int, int]:
    """``[line, char, end_line, end_char]`` in code points → the same in client units."""
    sl, sc, el, ec = rng
    return sl, to_client(line_at(lines, sl), sc, encoding), el, to_client(line_at(lines, el), ec, encoding)


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them (``\\n``, ``\\r\\n`` and ``\\r`` all end a line)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
