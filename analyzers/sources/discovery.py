"""Which files ragtune reads, and as what.

Walking a tree honours ``.gitignore`` files (every level, git's own semantics via
pathspec), the default excludes and the configured include/exclude globs.  A file
named explicitly is analysed wherever it sits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
    p = Path(path)
    name = p.name.lower()
    if name.endswith(COMPOUND_PROMPT_SUFFIXES):
        return "prompt"
    suffix = p.suffix.lower()
    if suffix in CODE_SUFFIXES:
        return CODE_SUFFIXES[suffix]
    if suffix in TEMPLATE_SUFFIXES:
        return "prompt"
    if suffix in DATASET_SUFFIXES:
        return "dataset"
    if suffix in PROMPT_DIR_SUFFIXES:
        prompt_dirs = {d.lower() for d in settings.prompt_dirs}
        if any(part.lower() in prompt_dirs for part in p.parent.parts):
            return "prompt"
        if explicit and suffix in {".txt", ".md"}:
            return "prompt"
    if suffix == ".json":
        from ..datasets.detect import looks_like_dataset

        if looks_like_dataset(p):  # a JSON array of examples, or JSONL saved as .json
            return "dataset"
    return None


class _IgnoreStack:
    """The .gitignore files in force for one folder, outermost first."""

    def __init__(self, entries: tuple[tuple[Path, pathspec.PathSpec], ...] = ()):
        self.entries = entries

    def push(self, directory: Path) -> "_IgnoreStack":
        gitignore = directory / ".gitignore"
        try:
            lines = gitignore.read_text("utf-8", errors="replace").splitlines()
        except OSError:
            return self
        return _IgnoreStack((*self.entries, (directory, pathspec.PathSpec.from_lines("gitignore", lines))))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """git's rule: the deepest .gitignore with a matching pattern decides."""
        result = False
        for base, spec in self.entries:
            rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            verdict = spec.check_file(rel).include
            if verdict is not None:
                result = verdict
        return result


def _glob_spec(globs: list[str]) -> pathspec.PathSpec | None:
    return pathspec.PathSpec.from_lines("gitignore", globs) if globs else None


def iter_files(roots: list[Path], settings: Settings, config_root: Path) -> Iterator[tuple[Path, str, bool]]:
    """Yield (path, kind, explicit) for every file to analyse under ``roots``."""
    exclude = _glob_spec(settings.exclude)
    include = _glob_spec(settings.include)

    config_prefix = str(config_root.resolve()) + os.sep

    def rel_to_config(p: Path) -> str:
        # walked paths are already resolved: a string prefix check avoids a
        # resolve() system call per file, which dominated warm runs
        text = str(p)
        if text.startswith(config_prefix):
            return PurePosixPath(Path(text[len(config_prefix):])).as_posix()
        return p.as_posix()

    seen: set[Path] = set()
    for root in roots:
        if root.is_file():
            kind = file_kind(root, settings, explicit=True)
            resolved = root.resolve()
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
        yield from _walk(root.resolve(), stack, settings, exclude, include, rel_to_config, seen)


def _walk(directory, stack, settings, exclude, include, rel_to_config, seen):
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file(follow_symlinks=False)
        except OSError:
            continue
        if settings.respect_gitignore and stack.ignored(path, is_dir):
            continue
        rel = rel_to_config(path)
        if exclude is not None and (exclude.match_file(rel) or (is_dir and exclude.match_file(rel + "/"))):
            continue
        if is_dir:
            if entry.name in DEFAULT_EXCLUDE_DIRS or entry.name.endswith(".egg-info"):
                continue
            child_stack = stack.push(path) if settings.respect_gitignore else stack
            yield from _walk(path, child_stack, settings, exclude, include, rel_to_config, seen)
        elif is_file:
            kind = file_kind(path, settings)
            if kind is None:
                continue
            if include is not None and not include.match_file(rel):
                continue
            if path not in seen:
                seen.add(path)
                yield path, kind, False


def posix(path: Path) -> str:
    return PurePosixPath(path).as_posix()
