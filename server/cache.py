"""The on-disk cache of findings, like ruff's ``.ruff_cache``.

An entry is reused only when all of these are unchanged: the file's bytes, its kind,
the effective configuration for it, ragtune's version and code, and the bytes of every
other file its analysis read (an imported module, a loaded prompt file).  The cache is
JSON, never pickle: it lives inside the scanned repository, and a hostile repository
could commit one; loading it must not run code.

Datasets are never cached: their findings depend on the whole workspace (the code
that trains on them, the docs folders their answers are compared with).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ragtune.analyzers.models import Finding

CACHE_DIR_NAME = ".ragtune_cache"
FORMAT = 1
UNCACHEABLE_KINDS = frozenset({"dataset"})


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_state(path: str) -> str:
    """Hash of a file's bytes, or a marker for a file that is missing or unreadable."""
    try:
        with open(path, "rb") as f:
            return content_hash(f.read())
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"


def _code_fingerprint() -> str:
    """ragtune's version plus the state of the analysis code itself, so an upgrade or
    an edited checkout never serves findings computed by other code."""
    from importlib.metadata import PackageNotFoundError, version

    import ragtune.analyzers as analyzers

    try:
        parts = [version("ragtune")]
    except PackageNotFoundError:
        parts = ["0+unknown"]
    for base in analyzers.__path__:
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".json", ".gz", ".yaml", ".toml")):
                    st = os.stat(os.path.join(folder, name))
                    parts.append(f"{os.path.relpath(os.path.join(folder, name), base)}:{st.st_size}:{st.st_mtime_ns}")
    return content_hash("\n".join(parts).encode())


@dataclass
class CacheEntry:
    content: str  # hash of the file's bytes at analysis time
    kind: str
    config: str  # digest of the effective configuration
    deps: dict[str, str]  # other files read → their state at analysis time
    findings: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"h": self.content, "k": self.kind, "c": self.config, "d": self.deps, "f": self.findings}

    @classmethod
    def from_json(cls, data: dict) -> "CacheEntry":
        return cls(content=data["h"], kind=data["k"], config=data["c"], deps=dict(data["d"]), findings=list(data["f"]))


class FindingsCache:
    """Entries by absolute path, in one JSON file per workspace, code and command line."""

    def __init__(self, directory: Path, workspace_root: Path, run_key: str):
        self.code = _code_fingerprint()
        key = content_hash(f"{FORMAT}\0{self.code}\0{workspace_root}\0{run_key}".encode())
        self.path = directory / f"findings-{key}.json"
        self.entries: dict[str, CacheEntry] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if data.get("format") != FORMAT or data.get("code") != self.code:
                return
            self.entries = {p: CacheEntry.from_json(e) for p, e in data["entries"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # a damaged or foreign cache is a cold start, never an error
            self.entries = {}

    def lookup(self, path: str, content: str, kind: str, config: str, states: dict[str, str]) -> list[Finding] | None:
        """Cached findings when nothing they depend on changed; ``states`` memoises
        dependency hashes across one run."""
        entry = self.entries.get(path)
        if entry is None or entry.content != content or entry.kind != kind or entry.config != config:
            return None
        for dep, state in entry.deps.items():
            current = states.get(dep)
            if current is None:
                current = states[dep] = file_state(dep)
            if current != state:
                return None
        try:
            return [Finding.model_validate(f) for f in entry.findings]
        except ValueError:
            return None

    def store(self, path: str, entry: CacheEntry) -> None:
        self.entries[path] = entry
        self._dirty = True

    def forget(self, path: str) -> None:
        if self.entries.pop(path, None) is not None:
            self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                # the cache is never committed, whatever the project's .gitignore says
                ignore.write_text("# Automatically created by ragtune.\n*\n", "utf-8")
            entries = {p: e.to_json() for p, e in self.entries.items() if os.path.exists(p)}
            payload = json.dumps({"format": FORMAT, "code": self.code, "entries": entries}, separators=(",", ":"))
            tmp = folder / f".{self.path.name}.{os.getpid()}.tmp"
            tmp.write_text(payload, "utf-8")
            os.replace(tmp, self.path)
        except OSError:
            # a read-only checkout still gets its findings; only the speed-up is lost
            pass
