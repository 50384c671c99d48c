"""Values that expressions evaluate to during prompt reconstruction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...models import Location, PromptPart
from .expressions import Call


@dataclass(slots=True)
class StrV:
    parts: list[PromptPart]
    whole_file: str | None = None  # set when the value is exactly a file's text

    def is_literal(self) -> bool:
        return all(p.kind == "text" for p in self.parts)

    @property
    def literal(self) -> str:
        return "".join(p.text for p in self.parts if p.kind == "text")


@dataclass(slots=True)
class ListV:
    items: list[Any]


@dataclass(slots=True)
class DictV:
    entries: dict[str, Any]


@dataclass(slots=True)
class CallV:
    """A call left unevaluated: a constructor (SystemMessage, ChatOpenAI) or unknown."""

    chain: list[str]
    call: Call
    env: Any
    location: Location | None = None
    alias: str | None = None  # the variable it was read through, the hole's name
    alias_location: Location | None = None


@dataclass(slots=True)
class PathV:
    path: str
    anchored: bool  # absolute (built from __file__ / __dirname), else relative to cwd or file


@dataclass(slots=True)
class FileV:
    path: PathV  # an open(...) handle


@dataclass(slots=True)
class ModuleV:
    context: Any


@dataclass(slots=True)
class ConstV:
    value: Any


@dataclass(slots=True)
class UnknownV:
    text: str
    location: Location | None = None
    fallback: Any = None  # a default written in code: os.getenv("M", "gpt-4o")


@dataclass(slots=True)
class Trace:
    """What one reconstruction touched: files read, message constructors consumed."""

    loaded_files: list[str] = field(default_factory=list)
    consumed_calls: set[tuple[str, int, int, int, int]] = field(default_factory=set)

    def loaded(self, path: str) -> None:
        if path not in self.loaded_files:
            self.loaded_files.append(path)
