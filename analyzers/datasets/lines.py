"""Line-by-line reading of JSONL with bounded memory, over a byte range of a file.

A JSONL line is a line: a record's diagnostics land on it.  Splitting a file for a
process pool happens at newlines, so every worker starts on a whole line.  A line
longer than ``MAX_LINE_BYTES`` is skipped in chunks (never held whole) and reported.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# Far above any example a provider accepts (the 20 MB single line of the bad-input
# fixtures is still read), small enough that one line cannot exhaust memory.
MAX_LINE_BYTES = 64 * 1024 * 1024
_SKIP_CHUNK = 1024 * 1024


@dataclass(slots=True)
class RawLine:
    number: int  # 0-based, relative to the start of the range
    data: bytes | None  # None when the line was too long to hold
    size: int  # bytes, newline excluded
    last_without_newline: bool


def split_ranges(f: BinaryIO, size: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges covering [0, size), each starting at a line start."""
    if parts <= 1 or size == 0:
        return [(0, size)]
    starts = [0]
    for i in range(1, parts):
        target = size * i // parts
        if target <= starts[-1]:
            continue
        f.seek(target - 1)
        while True:
            chunk = f.read(65536)
            if not chunk:
                target = size
                break
            nl = chunk.find(b"\n")
            if nl >= 0:
                target = f.tell() - len(chunk) + nl + 1
                break
        if starts[-1] < target < size:
            starts.append(target)
    ends = starts[1:] + [size]
    return list(zip(starts, ends))


def iter_lines(f: BinaryIO, start: int, end: int) -> Iterator[RawLine]:
    """Lines starting in [start, end); ``f`` must be a buffered binary file."""
    f.seek(start)
    pos = start
    number = 0
    readline = f.readline
    while pos < end:
        data = readline(MAX_LINE_BYTES + 1)
        if not data:
            return
        if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
            skipped = len(data)
            del data
            ended = False
            while True:
                chunk = readline(_SKIP_CHUNK)
                if not chunk:
                    break
                skipped += len(chunk)
                if chunk.endswith(b"\n"):
                    ended = True
                    break
            pos += skipped
            yield RawLine(number, None, skipped - ended, not ended)
            number += 1
            continue
        pos += len(data)
        has_nl = data.endswith(b"\n")
        yield RawLine(number, data, len(data) - has_nl, not has_nl)
        number += 1


def iter_parsed_lines(f: BinaryIO, start: int, end: int) -> Iterator[tuple[int, "ParsedLine"]]:
    """``(number, parse_line(raw))`` for each line of ``iter_lines(f, start, end)``.

    A whole line with no NUL byte that parses as JSON is yielded from here; every other
    line goes through ``iter_lines`` and ``parse_line`` semantics (reported the same
    way).  This saves two objects and a generator step per line of a large file.
    """
    f.seek(start)
    pos = start
    number = 0
    readline = f.readline
    loads = json.loads
    while pos < end:
        data = readline(MAX_LINE_BYTES + 1)
        if not data:
            return
        size = len(data)
        if data[-1:] == b"\n" and b"\x00" not in data:
            pos += size
            try:
                parsed = ParsedLine(loads(data))
            except (ValueError, RecursionError):  # JSON and UTF-8 errors are ValueErrors
                parsed = parse_line(RawLine(number, data, size - 1, False))
            yield number, parsed
            number += 1
            continue
        # the last line without a newline, a NUL byte, or a line over the limit
        f.seek(pos)
        for raw in iter_lines(f, pos, pos + 1):
            pos += raw.size + (not raw.last_without_newline)
            yield number, parse_line(raw)
            number += 1


def iter_text_lines(text: str) -> Iterator[RawLine]:
    """The same for an editor buffer held in memory."""
    lines = text.split("\n")
    last = len(lines) - 1
    for n, line in enumerate(lines):
        if n == last and line == "":
            return
        data = line.encode("utf-8", "surrogatepass")
        yield RawLine(n, data, len(data), n == last)


@dataclass(slots=True)
class ParsedLine:
    value: object = None
    problem: str | None = None  # why the line is not a JSON value
    blank: bool = False


def parse_line(raw: RawLine) -> ParsedLine:
    if raw.data is None:
        return ParsedLine(problem=f"the line is {raw.size / 1024 / 1024:.0f} MB, over the {MAX_LINE_BYTES // (1024 * 1024)} MB limit for one example; not analysed")
    data = raw.data
    if not data.strip():
        return ParsedLine(blank=True)
    nul = data.find(b"\x00")
    if nul >= 0:
        return ParsedLine(problem=f"the line contains NUL bytes (first at column {nul + 1}): binary data, not JSON")
    try:
        return ParsedLine(json.loads(data))
    except UnicodeDecodeError as exc:
        return ParsedLine(problem=f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {exc.start + 1})")
    except RecursionError:
        return ParsedLine(problem="the JSON nests too deeply to read")
    except json.JSONDecodeError as exc:
        if raw.last_without_newline and (exc.pos >= len(data.rstrip()) - 1 or exc.msg.startswith("Unterminated")):
            return ParsedLine(problem=f"the last line is cut off: the JSON ends early ({_json_message(exc)} at column {exc.colno})")
        if exc.msg.startswith("Extra data"):
            return ParsedLine(problem=f"more than one JSON value on the line (extra data at column {exc.colno}); JSONL holds one record per line")
        return ParsedLine(problem=f"not valid JSON: {_json_message(exc)} at column {exc.colno}")
    except ValueError as exc:  # a number too long for Python's int conversion, and the like
        return ParsedLine(problem=unreadable_value(exc))


def unreadable_value(exc: ValueError) -> str:
    """What a reader says of valid JSON syntax it cannot turn into values."""
    if "integer string conversion" in str(exc):
        return f"a number of over {sys.get_int_max_str_digits():,} digits, more than JSON readers accept"
    return f"not readable as JSON: {exc}"


def _json_message(exc: json.JSONDecodeError) -> str:
    # some of json's messages end in "at" ("Unterminated string starting at"): the
    # column follows here, after an "at" of its own
    return exc.msg.removesuffix(" at")
