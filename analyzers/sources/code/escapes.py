"""Decoding string-literal escapes of Python and JavaScript (linear-time regexes)."""

from __future__ import annotations

import re
import unicodedata

_PY_ESCAPE = re.compile(r"\\(N\{[^}\n]{1,100}\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\r\n|[\s\S])")
_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|0(?![0-9])|\r\n|[\s\S])")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\x07", "b": "\b", "f": "\f", "v": "\v", "\n": "", "\r\n": ""}


def _code_point(value: int) -> str:
    try:
        return chr(value)
    except (ValueError, OverflowError):
        return "\ufffd"


def _python_escape(match: re.Match[str]) -> str:
    body = match.group(1)
    if body in _SIMPLE:
        return _SIMPLE[body]
    head = body[0]
    if head == "N" and len(body) > 1:
        try:
            return unicodedata.lookup(body[2:-1])
        except KeyError:
            return match.group(0)
    if head in "xuU" and len(body) > 1:
        return _code_point(int(body[1:], 16))
    if head in "01234567":
        return _code_point(int(body, 8))
    return match.group(0)  # Python keeps unknown escapes as written


def decode_python_string(raw: str) -> str:
    return _PY_ESCAPE.sub(_python_escape, raw) if "\\" in raw else raw


def _js_escape(match: re.Match[str]) -> str:
    body = match.group(1)
    if body in _SIMPLE:
        return _SIMPLE[body]
    if body == "0":
        return "\0"
    if body.startswith("u{"):
        return _code_point(int(body[2:-1], 16))
    if body[0] in "ux" and len(body) > 1:
        return _code_point(int(body[1:], 16))
    return body  # JS drops the backslash of unknown escapes


def decode_js_string(raw: str) -> str:
    if "\\" not in raw:
        return raw
    decoded = _JS_ESCAPE.sub(_js_escape, raw)
    # "\ud83d\ude00" written as two escapes is one character
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if _has_surrogate(decoded) else decoded


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)
