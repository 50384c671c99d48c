"""Configuration: ``[tool.ragtune]`` in pyproject.toml or a ``ragtune.toml``.

Found upward from each analysed file, like ruff: in one folder ``ragtune.toml`` wins
over ``pyproject.toml``; a pyproject.toml without ``[tool.ragtune]`` is passed over.
Keys are kebab-case.  An unknown key or a bad value is a ``ConfigError`` whose message
names the key and the file; it is never silently replaced by a default.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError  # noqa: F401  (re-exported: ragtune.analyzers.config.ConfigError)
from .rules.registry import known_selector


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True)


class Thresholds(_Strict):
    """Defaults are the seeds' figures (see each rule's doc for the citation)."""

    # FT201 — seed 003: "System prompts longer than 4,000 tokens."
    system_prompt_tokens: int = Field(4000, ge=1)
    # FT202 — seed 003: "twenty examples just to get the format right";
    # "8,000 tokens of few-shot examples"; DESIGN §2: warn at 20 examples or 3,000 tokens.
    few_shot_examples: int = Field(20, ge=1)
    few_shot_tokens: int = Field(3000, ge=1)
    # FT202 may hint earlier: a block this big is shown as information, not a warning.
    few_shot_hint_examples: int = Field(10, ge=1)
    # RAG104 — a prompt this long that is mostly knowledge is a document pasted in.
    # ragtune's own default: the seeds give no figure for it (see the rule's doc).
    knowledge_dump_tokens: int = Field(800, ge=1)
    # Share of classified lines that must be knowledge for a prompt to be a knowledge
    # dump (RAG104) rather than an oversized behaviour prompt (FT201).
    knowledge_share: float = Field(0.6, gt=0, le=1)
    # RAG102 — volatile facts (prices, dates, versions, limits) in one prompt.
    volatile_facts: int = Field(3, ge=1)
    # FT206 — seed 003: "Classify support tickets into our 47 internal categories".
    classifier_labels: int = Field(15, ge=2)
    # FT205 — tokens a prompt spends describing its output JSON format before the
    # schema is better passed as structured outputs.  ragtune's own default (the seeds
    # give no figure): about a dozen described fields.
    schema_prompt_tokens: int = Field(150, ge=1)
    # DS301 — seed 003: "For style/format/tone: 200-2,000 examples is usually enough";
    # below this a dataset is too small (warning).
    dataset_min_examples: int = Field(200, ge=1)
    # DS301 — seed 001: "Fewer than 500 examples rarely produces meaningful
    # improvement"; below this (and above the minimum) a hint.
    dataset_hint_examples: int = Field(500, ge=1)
    # RAG101 — share of classified examples that store facts for the dataset verdict
    # "stores knowledge".  ragtune's own default: the seeds give no share.
    knowledge_examples_share: float = Field(0.3, gt=0, le=1)
    # DS302 — estimated Jaccard similarity of two examples' text (3-token shingles)
    # from which they are near-duplicates.  ragtune's own default.
    near_duplicate_similarity: float = Field(0.8, gt=0, le=1)
    # Per-line dataset findings shown per rule; the dataset summary counts them all.
    dataset_findings_per_rule: int = Field(200, ge=1)


class JsonlIgnore(_Strict):
    """A suppression for a file that cannot hold comments (JSONL datasets)."""

    path: str
    codes: list[str] = Field(default_factory=list)  # empty: every code
    lines: list[int] = Field(default_factory=list)  # 1-based; empty: the whole file


class Settings(_Strict):
    select: list[str] = Field(default_factory=lambda: ["ALL"])
    extend_select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict)
    prompt_dirs: list[str] = Field(default_factory=lambda: ["prompts"])
    default_model: str = "gpt-4o"
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    respect_gitignore: bool = True
    # For cost estimates beyond "per 1,000 requests": requests per day, when known.
    requests_per_day: int | None = Field(None, ge=1)
    prices_file: str | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    jsonl_ignores: list[JsonlIgnore] = Field(default_factory=list)

    @field_validator("select", "extend_select", "ignore")
    @classmethod
    def _known_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not known_selector(code):
                raise ValueError(f"unknown rule code or prefix {code!r}")
        return [c.upper() for c in value]

    @field_validator("per_file_ignores")
    @classmethod
    def _known_per_file_codes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for codes in value.values():
            for code in codes:
                if not known_selector(code):
                    raise ValueError(f"unknown rule code or prefix {code!r}")
        return {glob: [c.upper() for c in codes] for glob, codes in value.items()}


class LoadedConfig(BaseModel):
    settings: Settings
    path: str | None  # the file it came from; None for defaults
    root: str  # folder relative globs are resolved against


def _format_validation_error(exc: ValidationError, origin: str, section: str) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{section}.{key}'")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"'{section}.{key}': {msg}")
    return f"{origin}: " + "; ".join(problems)


def parse_settings(data: dict[str, Any], origin: str, section: str = "tool.ragtune") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, origin, section)) from None
    except RecursionError:
        raise ConfigError(f"{origin}: the settings nest too deeply to read") from None


def load_config_file(path: Path) -> LoadedConfig | None:
    """Settings from one file; None when it is a pyproject.toml without [tool.ragtune]."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML (it nests too deeply to read)") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "ragtune" not in tool:
            return None
        section, body = "tool.ragtune", tool["ragtune"]
    else:
        section, body = "ragtune.toml", data
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: '{section}' must be a table")
    settings = parse_settings(body, str(path), section if path.name == "pyproject.toml" else "")
    _check_paths_stay_inside(settings, path.parent, path)
    return LoadedConfig(settings=settings, path=str(path), root=str(path.parent))


def _check_paths_stay_inside(settings: Settings, root: Path, origin: Path) -> None:
    if settings.prices_file:
        target = (root / settings.prices_file).resolve()
        if not target.is_relative_to(root.resolve()):
            raise ConfigError(f"{origin}: 'prices-file' must stay inside {root} (got {settings.prices_file!r})")


@lru_cache(maxsize=1024)
def _config_for_dir(directory: str) -> LoadedConfig | None:
    here = Path(directory)
    for name in ("ragtune.toml", "pyproject.toml"):
        candidate = here / name
        if candidate.is_file():
            loaded = load_config_file(candidate)
            if loaded is not None:
                return loaded
    parent = here.parent
    if parent == here:
        return None
    return _config_for_dir(str(parent))


def find_config(start: Path) -> LoadedConfig:
    """The nearest configuration above ``start`` (a file or a folder), or defaults."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    found = _config_for_dir(str(directory))
    if found is not None:
        return found
    return LoadedConfig(settings=_default_settings(), path=None, root=str(directory))


@lru_cache(maxsize=1)
def _default_settings() -> Settings:
    return Settings()


def find_config_in(directory: str) -> LoadedConfig:
    """``find_config`` for a folder already absolute and resolved (a walked one): no
    system call but the memoised search upward."""
    found = _config_for_dir(directory)
    return found if found is not None else _defaults_at(directory)


@lru_cache(maxsize=4096)
def _defaults_at(directory: str) -> LoadedConfig:
    return LoadedConfig(settings=_default_settings(), path=None, root=directory)


def clear_config_cache() -> None:
    _config_for_dir.cache_clear()
    _defaults_at.cache_clear()


def merge_overrides(settings: Settings, overrides: dict[str, Any], origin: str) -> Settings:
    """Layer client or command-line settings over file settings (same keys)."""
    data = settings.model_dump(by_alias=True, exclude_unset=True)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_settings(data, origin, "")
