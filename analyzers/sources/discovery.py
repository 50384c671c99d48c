"""Which files ragtune reads, and as what.

Walking a tree honours ``.gitignore`` files (every level, git's own semantics via
pathspec), the default excludes and the configured include/exclude globs.  A file
named explicitly is analysed wherever it sits.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pathspec

from ..config import Settings

DEFAULT_EXCLUDE_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ragtune_cache", "site-packages",
        "dist", "build", ".next", ".nuxt", "coverage", ".eggs",
    }
)

CODE_SUFFIXES = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".ipynb": "notebook",
}
TEMPLATE_SUFFIXES = {".prompt", ".prompty", ".j2", ".jinja", ".jinja2"}
COMPOUND_PROMPT_SUFFIXES = (".prompt.md", ".prompt.yml", ".prompt.yaml", ".prompt.txt", ".prompt.json")
PROMPT_DIR_SUFFIXES = {".txt", ".md", ".yaml", ".yml", ".json", ".xml"}
DATASET_SUFFIXES = {".jsonl"}


def file_kind(path: str | Path, settings: Settings, explicit: bool = False) -> str | None:
    """'python', 'javascript', 'typescript', 'tsx', 'notebook', 'prompt', 'dataset', or None."""
    # string operations only: this runs for every file of a walk
    text = os.fspath(path)
    folder, name = os.path.split(text)
    name = name.lower()
    if name.endswith(COMPOUND_PROMPT_SUFFIXES):
        return "prompt"
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # as pathlib: none for ".env" or "a."
    if suffix in CODE_SUFFIXES:
        return CODE_SUFFIXES[suffix]
    if suffix in TEMPLATE_SUFFIXES:
        return "prompt"
    if suffix in DATASET_SUFFIXES:
        return "dataset"
    if suffix in PROMPT_DIR_SUFFIXES:
        prompt_dirs = {d.lower() for d in settings.prompt_dirs}
        if any(part.lower() in prompt_dirs for part in folder.split(os.sep)):
            return "prompt"
        if explicit and suffix in {".txt", ".md"}:
            return "prompt"
    if suffix == ".json" and looks_like_dataset(text):  # a JSON array of examples, or JSONL saved as .json
        return "dataset"
    return None


_DATASET_HEAD_BYTES = 4096
_DATASET_KEYS = re.compile(r'"(messages|conversations|instruction|prompt|completion)"\s*:')


def looks_like_dataset(path: str | Path) -> bool:
    """Whether a ``.json`` file is a fine-tuning dataset, by its first 4 KB: a JSON array
    whose first element has fine-tuning keys, or JSON Lines saved as ``.json``.  Here,
    not in the datasets package: a walk asks it of every ``package.json`` and
    ``tsconfig.json``, and that package loads the whole dataset pass (numpy with it)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_DATASET_HEAD_BYTES).decode("utf-8", "ignore")
    except OSError:
        return False
    body = head.lstrip("\ufeff \t\r\n")
    if body.startswith("["):
        first = body[1:].lstrip(" \t\r\n")
        return first.startswith("{") and bool(_DATASET_KEYS.search(first[:2000]))
    if body.startswith("{"):
        first_line, _, rest = body.partition("\n")
        return bool(_DATASET_KEYS.search(first_line)) and rest.lstrip(" \t\r\n").startswith("{")
    return False


class _IgnoreStack:
    """The .gitignore files in force for one folder, outermost first."""

    def __init__(self, entries: tuple[tuple[str, pathspec.PathSpec], ...] = ()):
        self.entries = entries  # (folder with a trailing separator, its patterns)

    def push(self, directory: str | Path) -> "_IgnoreStack":
        directory = os.fspath(directory)
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return self
        base = directory if directory.endswith(os.sep) else directory + os.sep
        return _IgnoreStack((*self.entries, (base, pathspec.PathSpec.from_lines("gitignore", lines))))

    def ignored(self, path: str, is_dir: bool) -> bool:
        """git's rule: the deepest .gitignore with a matching pattern decides."""
        result = False
        for base, spec in self.entries:
            rel = path[len(base):].replace(os.sep, "/") + ("/" if is_dir else "")
            verdict = spec.check_file(rel).include
            if verdict is not None:
                result = verdict
        return result


def _glob_spec(globs: list[str]) -> pathspec.PathSpec | None:
    return pathspec.PathSpec.from_lines("gitignore", globs) if globs else None


@dataclass
class WalkLog:
    """What a walk looked at: every folder listed and every regular file seen in them
    (analysed or not), for a caller that must later tell whether the walk would still
    find the same files."""

    dirs: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def iter_files(roots: list[Path], settings: Settings, config_root: Path, log: WalkLog | None = None) -> Iterator[tuple[Path, str, bool]]:
    """Yield (path, kind, explicit) for every file to analyse under ``roots``."""
    exclude = _glob_spec(settings.exclude)
    include = _glob_spec(settings.include)

    config_prefix = str(config_root.resolve()) + os.sep

    def rel_to_config(text: str) -> str:
        # walked paths are already resolved: a string prefix check avoids a
        # resolve() system call per file, which dominated warm runs
        if text.startswith(config_prefix):
            text = text[len(config_prefix):]
        return text.replace(os.sep, "/")

    seen: set[str] = set()
    for root in roots:
        if root.is_file():
            kind = file_kind(root, settings, explicit=True)
            resolved = str(root.resolve())
            if resolved not in seen:
                seen.add(resolved)
                yield root, kind or "unknown", True
            continue
        if not root.is_dir():
            continue
        stack = _IgnoreStack()
        # collect .gitignore files of the folders above the root, up to the repo top
        parents = []
        for parent in [root.resolve(), *root.resolve().parents]:
            parents.append(parent)
            if (parent / ".git").exists():
                break
        else:
            parents = [root.resolve()]
        for parent in reversed(parents):
            if settings.respect_gitignore:
                stack = stack.push(parent)
        yield from _walk(str(root.resolve()), stack, settings, exclude, include, rel_to_config, seen, log)


def _walk(directory: str, stack, settings, exclude, include, rel_to_config, seen, log: WalkLog | None):
    # strings, not Paths, until a file is yielded: pathlib cost most of a warm run's walk
    if log is not None:
        log.dirs.append(directory)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    gitignore = settings.respect_gitignore
    for entry in entries:
        path = entry.path
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file(follow_symlinks=False)
        except OSError:
            continue
        if is_file and log is not None:
            log.files.append(path)
        if gitignore and stack.entries and stack.ignored(path, is_dir):
            continue
        if exclude is not None:
            rel = rel_to_config(path)
            if exclude.match_file(rel) or (is_dir and exclude.match_file(rel + "/")):
                continue
        if is_dir:
            if entry.name in DEFAULT_EXCLUDE_DIRS or entry.name.endswith(".egg-info"):
                continue
            child_stack = stack.push(path) if gitignore else stack
            yield from _walk(path, child_stack, settings, exclude, include, rel_to_config, seen, log)
        elif is_file:
            kind = file_kind(path, settings)
            if kind is None:
                continue
            if include is not None and not include.match_file(rel_to_config(path)):
                continue
            if path not in seen:
                seen.add(path)
                yield Path(path), kind, False


def posix(path: Path) -> str:
    return PurePosixPath(path).as_posix()
