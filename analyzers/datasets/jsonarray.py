"""Streaming read of a JSON array of examples: one element at a time, with its line.

The buffer holds the element being decoded plus one read chunk; an element that does
not fit is read with a doubling chunk so a large one costs linear, not quadratic,
time.  After a syntax error the position of the next element is unknowable, so the
rest of the array is reported once and not read.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import BinaryIO

from .lines import MAX_LINE_BYTES, ParsedLine, unreadable_value

_CHUNK = 1024 * 1024
_WS = " \t\r\n"


def iter_json_array(f: BinaryIO) -> Iterator[tuple[int, ParsedLine]]:
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    buf = ""
    pos = 0
    line = 0  # line of buf[pos]
    eof = False
    chunk = _CHUNK

    def more() -> str | None:
        nonlocal eof
        data = f.read(chunk)
        if not data:
            eof = True
            return utf8.decode(b"", final=True)
        return utf8.decode(data)

    def skip_ws() -> None:
        nonlocal pos, line
        while True:
            start = pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            line += buf.count("\n", start, pos)
            if pos < len(buf) or eof:
                return
            if not fill():
                return

    def fill() -> bool:
        nonlocal buf, pos
        try:
            text = more()
        except UnicodeDecodeError as exc:
            raise _Stop(f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}); the rest of the array is not read") from None
        if pos:
            buf = buf[pos:]
            pos = 0
        buf += text or ""
        return bool(text)

    try:
        fill()
        if buf.startswith("\ufeff"):
            pos = 1
        skip_ws()
        if buf[pos : pos + 1] != "[":
            yield line, ParsedLine(problem="the file is neither JSONL nor a JSON array of examples")
            return
        pos += 1
        skip_ws()
        if buf[pos : pos + 1] == "]":
            return
        while True:
            skip_ws()
            start_line = line
            while True:
                if buf[pos : pos + 1] == "\x00":
                    raise _Stop("NUL byte (binary data); the rest of the array is not read")
                try:
                    value, end = decoder.raw_decode(buf, pos)
                except json.JSONDecodeError as exc:
                    if eof or len(buf) - pos > MAX_LINE_BYTES:
                        if eof:
                            raise _Stop(f"the array is cut off: the JSON ends early ({exc.msg})") from None
                        raise _Stop("an element is over the size limit for one example; the rest of the array is not read") from None
                    if exc.pos < len(buf) - 1 and exc.msg != "Unterminated string starting at":
                        raise _Stop(f"not valid JSON: {exc.msg}; the rest of the array is not read") from None
                    chunk = min(chunk * 2, MAX_LINE_BYTES)
                    fill()
                    continue
                except RecursionError:
                    raise _Stop("the JSON nests too deeply to read") from None
                except ValueError as exc:
                    raise _Stop(unreadable_value(exc) + "; the rest of the array is not read") from None
                break
            line += buf.count("\n", pos, end)
            pos = end
            yield start_line, ParsedLine(value)
            chunk = _CHUNK
            skip_ws()
            sep = buf[pos : pos + 1]
            if sep == ",":
                pos += 1
                continue
            if sep == "]":
                return
            raise _Stop("expected ',' or ']' between examples; the rest of the array is not read")
    except _Stop as stop:
        yield line, ParsedLine(problem=str(stop))


class _Stop(Exception):
    pass
