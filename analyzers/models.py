"""Plain data that flows through the engine: prompts, call sites, findings, fixes.

Positions are 0-based lines and 0-based *code point* columns within the line (Python
``str`` indices).  Front-ends convert at their boundary: the CLI prints 1-based
columns, the language server converts to UTF-16 or UTF-8 code units.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


class Remedy(str, Enum):
    RAG = "rag"
    FINE_TUNE = "fine-tune"
    HYBRID = "hybrid"
    STRUCTURED_OUTPUT = "structured-output"
    DATA_HYGIENE = "data-hygiene"
    NONE = "none"  # ragtune's own findings (RT0xx)


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class Position(BaseModel):
    model_config = ConfigDict(frozen=True)
    line: int
    character: int


class Range(BaseModel):
    model_config = ConfigDict(frozen=True)
    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, character: int, end_line: int, end_character: int) -> "Range":
        return cls(
            start=Position(line=line, character=character),
            end=Position(line=end_line, character=end_character),
        )

    @classmethod
    def whole_line(cls, line: int, length: int = 0) -> "Range":
        return cls.of(line, 0, line, length)


class Location(BaseModel):
    model_config = ConfigDict(frozen=True)
    path: str
    range: Range


class Evidence(BaseModel):
    """One reason behind a finding, optionally pointing at where it comes from."""

    message: str
    location: Location | None = None


class TextEdit(BaseModel):
    range: Range
    new_text: str


class FileEdit(BaseModel):
    """Edits to one existing file; ``path`` is absolute."""

    path: str
    edits: list[TextEdit]


class NewFile(BaseModel):
    """A file a fix creates.  Fixes never overwrite: an existing path is refused."""

    path: str
    content: str


class Fix(BaseModel):
    title: str
    applicability: Applicability
    file_edits: list[FileEdit] = Field(default_factory=list)
    new_files: list[NewFile] = Field(default_factory=list)


class Finding(BaseModel):
    code: str
    name: str
    message: str
    severity: Severity
    remedy: Remedy
    path: str
    range: Range
    evidence: list[Evidence] = Field(default_factory=list)
    fix: Fix | None = None
    # Computed figures behind the message (tokens, cost, shares...), for hover,
    # code lens and machine-readable output.
    figures: dict[str, float | int | str] = Field(default_factory=dict)


# ---------------------------------------------------------------------------
# Prompts as reconstructed from code and prompt files


class PromptPart(BaseModel):
    """A run of literal text, or a template hole whose value is unknown statically."""

    kind: Literal["text", "hole"]
    text: str  # for a hole: its expression as written (``name``, ``user.id``)
    location: Location | None = None


class Prompt(BaseModel):
    parts: list[PromptPart] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """The literal text with holes shown as ``{expr}``."""
        return "".join(p.text if p.kind == "text" else "{" + p.text + "}" for p in self.parts)

    @property
    def literal_text(self) -> str:
        """Only the text that is certainly sent (holes dropped): what gets counted."""
        return "".join(p.text for p in self.parts if p.kind == "text")

    @property
    def holes(self) -> list[str]:
        return [p.text for p in self.parts if p.kind == "hole"]

    @property
    def sources(self) -> list[Location]:
        """Distinct places the text was assembled from, in order."""
        seen: list[Location] = []
        for p in self.parts:
            if p.location is not None and p.location not in seen:
                seen.append(p.location)
        return seen

    @classmethod
    def from_text(cls, text: str, location: Location | None = None) -> "Prompt":
        return cls(parts=[PromptPart(kind="text", text=text, location=location)])


Role = Literal["system", "developer", "user", "assistant", "tool", "unknown"]


class Message(BaseModel):
    role: Role
    prompt: Prompt
    location: Location | None = None


class PromptSite(BaseModel):
    """A place where a prompt is sent or defined: an LLM call site or a prompt file.

    ``range`` is where findings about it are reported (the call expression, or the
    start of a prompt file).  ``system`` is the system/developer/instructions prompt;
    ``messages`` the other turns in order, few-shot pairs included.
    """

    kind: Literal["call-site", "prompt-file"]
    path: str
    range: Range
    sdk: str | None = None  # "openai", "anthropic", ... (a row of the SDK table)
    api: str | None = None  # the matched call pattern, e.g. "chat.completions.create"
    model: str | None = None
    system: Prompt | None = None
    system_range: Range | None = None  # where the system prompt is written in this file
    messages: list[Message] = Field(default_factory=list)
    has_output_schema: bool = False  # response_format / tools / output_type passed
    # Retrieval feeding this call: vector store, retriever, search tool, embeddings,
    # or a search-backed model.  Empty means none was seen.
    retrieval: list[Evidence] = Field(default_factory=list)
    # Files the prompt text was read from (prompt files loaded by code).
    loaded_files: list[str] = Field(default_factory=list)


class LineEvidence(BaseModel):
    line: int  # 0-based line within the classified text
    text: str
    label: Literal["knowledge", "behaviour"]
    reason: str


class Classification(BaseModel):
    """Share of knowledge and behaviour in a text, with the lines that decided it."""

    knowledge: float  # 0..1
    behaviour: float  # 0..1, knowledge + behaviour == 1 when anything was scored
    verdict: Literal["knowledge", "behaviour", "mixed", "empty"]
    evidence: list[LineEvidence] = Field(default_factory=list)

    def describe(self) -> str:
        return f"knowledge {round(self.knowledge * 100)} % · behaviour {round(self.behaviour * 100)} %"


class VolatileFact(BaseModel):
    """A fact in prompt text that goes stale: a price, a date, a version, a limit."""

    kind: Literal["price", "date", "version", "limit", "policy", "contact"]
    start: int  # offset in the text
    end: int
    text: str
