"""Reading files that code loads into prompts: text, templates, JSON and YAML data.

Data files keep the location of every string, so a few-shot example loaded from
``few_shot.json`` points at its own line in that file.
"""

from __future__ import annotations

import json
import re

import yaml

from ...models import Location, PromptPart, Range
from ..yaml_loading import safe_loader_for
from .values import ConstV, DictV, ListV, StrV

MAX_DATA_BYTES = 2 * 1024 * 1024
_JINJA = re.compile(r"\{\{(.{0,500}?)\}\}|\{%(.{0,500}?)%\}|\{#.{0,2000}?#\}", re.S)
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{([^{}\n]{0,200})\}")


def whole_text(text: str, path: str) -> StrV:
    lines = text.split("\n")
    rng = Range.of(0, 0, len(lines) - 1, len(lines[-1]))
    return StrV([PromptPart(kind="text", text=text, location=Location(path=path, range=rng))], whole_file=path)


def split_holes(parts: list[PromptPart], pattern: str) -> list[PromptPart]:
    """Turn template syntax inside text parts into holes: "jinja" or "format" ({name})."""
    out: list[PromptPart] = []
    regex = _JINJA if pattern == "jinja" else _FORMAT_FIELD
    for part in parts:
        if part.kind != "text":
            out.append(part)
            continue
        last = 0
        text = part.text
        for match in regex.finditer(text):
            if match.start() > last:
                out.append(PromptPart(kind="text", text=text[last:match.start()], location=part.location))
            token = match.group(0)
            if pattern == "format" and token in ("{{", "}}"):
                out.append(PromptPart(kind="text", text=token[0], location=part.location))
            elif pattern == "jinja" and token.startswith("{#"):
                pass  # template comments are not sent
            else:
                expr = next((g for g in match.groups() if g is not None), "").strip()
                out.append(PromptPart(kind="hole", text=expr, location=part.location))
            last = match.end()
        if last < len(text):
            out.append(PromptPart(kind="text", text=text[last:], location=part.location))
    return _merge_text(out)


def _merge_text(parts: list[PromptPart]) -> list[PromptPart]:
    merged: list[PromptPart] = []
    for part in parts:
        if merged and part.kind == "text" and merged[-1].kind == "text" and merged[-1].location == part.location:
            merged[-1] = PromptPart(kind="text", text=merged[-1].text + part.text, location=part.location)
        elif part.kind == "text" and not part.text:
            continue
        else:
            merged.append(part)
    return merged


def parse_data(text: str, path: str):
    """JSON or YAML text -> values with per-string locations; None when unparsable."""
    if len(text) > MAX_DATA_BYTES:
        return None
    try:
        node = yaml.compose(text, Loader=safe_loader_for(text))  # libyaml's: 10x faster
    except yaml.YAMLError:
        node = None
    except RecursionError:
        return None  # nested past what can be read (JSON's reader would fail the same)
    if node is not None:
        return _from_yaml_node(node, path)
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return _from_plain(data, path)


def _from_yaml_node(node, path: str):
    if isinstance(node, yaml.ScalarNode):
        if node.tag.endswith(":str"):
            s, e = node.start_mark, node.end_mark
            rng = Range.of(s.line, s.column, e.line, e.column)
            return StrV([PromptPart(kind="text", text=node.value, location=Location(path=path, range=rng))])
        return ConstV(node.value)
    if isinstance(node, yaml.SequenceNode):
        return ListV([_from_yaml_node(n, path) for n in node.value])
    if isinstance(node, yaml.MappingNode):
        entries = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                entries[str(key.value)] = _from_yaml_node(value, path)
        return DictV(entries)
    return ConstV(None)


def _from_plain(data, path: str):
    whole = Location(path=path, range=Range.of(0, 0, 0, 0))
    if isinstance(data, str):
        return StrV([PromptPart(kind="text", text=data, location=whole)])
    if isinstance(data, list):
        return ListV([_from_plain(d, path) for d in data])
    if isinstance(data, dict):
        return DictV({str(k): _from_plain(v, path) for k, v in data.items()})
    return ConstV(data)
