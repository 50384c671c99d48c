"""The on-disk cache of findings, like ruff's ``.ruff_cache``.

An entry is reused only when all of these are unchanged: the file's bytes, its kind,
the effective configuration for it, ragtune's version and code, and the bytes of every
other file its analysis read (an imported module, a loaded prompt file).  Bytes are
compared by hash; a file whose size, modification time and change time (ns) are those
recorded with its hash is taken as unchanged without being read, as git does (the
change time catches an edit that kept the size and set the mtime back).  A file changed
within ``RACY_SECONDS`` of being analysed gets no recorded stat (git's "racily clean"
rule: a second change in the same clock tick would not show), so it is hashed again.  The cache is
JSON, never pickle: it lives inside the scanned repository, and a hostile repository
could commit one; loading it must not run code.

Datasets are never cached: their findings depend on the whole workspace (the code
that trains on them, the docs folders their answers are compared with).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter

from ragtune.analyzers.models import Finding

from .atomic import in_background, write_atomically
from .replay import CACHE_DIR_NAME, content_hash, package_stamp, stat_fields  # noqa: F401 (CACHE_DIR_NAME re-exported)


FORMAT = 4
RACY_SECONDS = 2
UNCACHEABLE_KINDS = frozenset({"dataset"})


def cacheable(kind: str) -> bool:
    """Whether findings of a file of this kind are cached (not datasets, not files of
    no kind ragtune analyses)."""
    return kind not in UNCACHEABLE_KINDS and kind != "unknown"


def file_state(path: str) -> str:
    """Hash of a file's bytes, or a marker for a file that is missing or unreadable."""
    try:
        with open(path, "rb") as f:
            return content_hash(f.read())
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"


_FINDINGS = TypeAdapter(list[Finding])


def entry_text(path: str, entry: "CacheEntry") -> bytes:
    """One ``"path":{entry}`` member of the cache file's entries, encoded (ASCII: the
    dumps escape the rest), so that saving joins no text and encodes nothing."""
    return (json.dumps(path) + ":" + json.dumps(entry.to_json(), separators=(",", ":"))).encode("ascii")


def findings_json(findings: list[Finding]) -> str:
    """Findings as the JSON text a cache entry keeps."""
    return _FINDINGS.dump_json(findings).decode() if findings else "[]"


def parse_findings(text: str) -> list[Finding]:
    """Findings from ``findings_json`` text (validated: a cache file may be damaged)."""
    return [] if text == "[]" else _FINDINGS.validate_json(text)


def stat_key(path: str) -> list[int] | None:
    """Size, modification and change time (ns) of a file; None when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return stat_fields(st)


def trusted_stat(stat: list[int] | None, now_ns: int | None = None) -> list[int] | None:
    """``stat``, unless the file was modified too recently for its stat to be trusted."""
    if stat is None:
        return None
    now_ns = time.time_ns() if now_ns is None else now_ns
    return stat if now_ns - max(stat[1:]) >= RACY_SECONDS * 1_000_000_000 else None


def _code_fingerprint() -> str:
    """ragtune's version plus the state of the analysis code itself, so an upgrade or
    an edited checkout never serves findings computed by other code."""
    from ragtune.server import __version__

    return content_hash("\n".join((__version__, package_stamp("analyzers"))).encode())


@dataclass
class CacheEntry:
    content: str  # hash of the file's bytes at analysis time
    kind: str
    config: str  # digest of the effective configuration
    deps: dict[str, str]  # other files read → their state at analysis time
    findings: str = "[]"  # the findings as JSON (validated by pydantic in one call when served)
    stat: list[int] | None = None  # [size, mtime_ns, ctime_ns] the file had when ``content`` was hashed
    flagged: list[str] | None = None  # the text each finding flags (fingerprints), when known

    def to_json(self) -> dict:
        return {"h": self.content, "k": self.kind, "c": self.config, "d": self.deps, "f": self.findings, "s": self.stat, "t": self.flagged}

    @classmethod
    def from_json(cls, data: dict) -> "CacheEntry":
        stat = data.get("s")
        if stat is not None and not (isinstance(stat, list) and len(stat) == 3 and all(isinstance(v, int) for v in stat)):
            stat = None
        findings = data["f"]
        if not isinstance(findings, str):
            raise TypeError("findings are not a JSON text")
        flagged = data.get("t")
        if flagged is not None and not (isinstance(flagged, list) and all(isinstance(t, str) for t in flagged)):
            flagged = None
        return cls(content=data["h"], kind=data["k"], config=data["c"], deps=dict(data["d"]), findings=findings, stat=stat, flagged=flagged)


IGNORE_FILE_TEXT = b"# Automatically created by ragtune.\n*\n"


def _ignore_file_missing(path: Path) -> bool:
    """No ``.gitignore`` in the cache folder, or an empty one (a write that failed)."""
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return True


class FindingsCache:
    """Entries by absolute path, in one JSON file per workspace, code and command line."""

    def __init__(self, directory: Path, workspace_root: Path, run_key: str):
        self.code = _code_fingerprint()
        key = content_hash(f"{FORMAT}\0{self.code}\0{workspace_root}\0{run_key}".encode())
        self.path = directory / f"findings-{key}.json"
        self.entries: dict[str, CacheEntry | None] = {}  # None: stored as text only (see store)
        self._seen: set[str] = set()  # paths stored or served in this run
        self._serialised: dict[str, bytes] = {}  # path → its entry_text, for save()
        self._dirty = False
        self._saving: threading.Thread | None = None  # save(background=True) under way
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

    def state(self, path: str, states: dict[str, str], stat: list[int] | None = None) -> str:
        """The hash of a file's bytes now (or "missing"/"unreadable"): the recorded hash
        when its stat is the recorded one, else read and hashed.  ``states`` memoises
        answers across one run."""
        current = states.get(path)
        if current is None:
            entry = self.entries.get(path)
            stat = stat or stat_key(path)
            if entry is not None and entry.stat is not None and stat == entry.stat:
                current = entry.content
            else:
                current = file_state(path)  # read after the stat was taken
                if entry is not None and current == entry.content and stat is not None:
                    # the same bytes: remember the stat, so the next run need not read
                    trusted = trusted_stat(stat)
                    if trusted != entry.stat:
                        entry.stat = trusted
                        self._serialised.pop(path, None)
                        self._dirty = True
            states[path] = current
        return current

    def lookup(
        self, path: str, kind: str, config: str, states: dict[str, str], stat: list[int] | None = None
    ) -> tuple[list[Finding], list[str] | None] | None:
        """Cached findings, with the texts they flag when known, when nothing they
        depend on changed."""
        entry = self.entries.get(path)
        if entry is None or entry.kind != kind or entry.config != config:
            return None
        if self.state(path, states, stat) != entry.content:
            return None
        for dep, state in entry.deps.items():
            if self.state(dep, states) != state:
                return None
        try:
            findings = parse_findings(entry.findings)
        except ValueError:
            return None
        self._seen.add(path)
        flagged = entry.flagged if entry.flagged is not None and len(entry.flagged) == len(findings) else None
        return findings, flagged

    def store(self, path: str, entry: CacheEntry | None, text: bytes | None = None) -> None:
        """Keep ``entry``; ``text`` is ``entry_text(path, entry)`` when the caller (a
        worker of a parallel scan) serialised it already, and may come alone: the entry is
        then only written out, not looked up again in this run."""
        self.entries[path] = entry
        self._seen.add(path)
        self._dirty = True
        # serialised now, not by save() at the end: during a scan the main process is
        # mostly waiting for the workers
        self._serialised[path] = text or entry_text(path, entry)

    def forget(self, path: str) -> None:
        self._serialised.pop(path, None)
        if self.entries.pop(path, None) is not None:
            self._dirty = True

    def save(self, *, background: bool = False) -> None:
        """Write the cache file.  ``background`` writes it from a thread (the write
        itself runs without the GIL, beside this thread's work: the 8.9 MB file of the
        generated tree takes about 20 ms); ``wait_saved`` waits for it."""
        if not self._dirty:
            return
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            ignore = folder / ".gitignore"
            if _ignore_file_missing(ignore):
                # the cache is never committed, whatever the project's .gitignore says;
                # written whole or not at all (a full disk once left it empty, for good)
                write_atomically(ignore, IGNORE_FILE_TEXT, durable=False)
        except Exception:  # noqa: BLE001 - a read-only checkout still gets its findings; only the speed-up is lost
            return
        # entries stored or reused by this run are of files that exist; others are
        # checked, so deleted files leave the cache.  The members are written one after
        # another, never joined into one text first.
        head = json.dumps({"format": FORMAT, "code": self.code}, separators=(",", ":"))[:-1] + ',"entries":{'
        chunks = [head.encode("ascii")]
        for p, e in self.entries.items():
            if p in self._seen or os.path.exists(p):
                chunks.append(self._serialised.get(p) or entry_text(p, e))
                chunks.append(b",")
        if len(chunks) > 1:
            chunks.pop()  # the last comma
        chunks.append(b"}}")
        if background:
            self._saving = in_background(functools.partial(self._write, chunks), "ragtune-cache-save")
        else:
            self._write(chunks)

    def _write(self, data: list[bytes]) -> None:
        try:
            # no fsync: a damaged cache file is a cold start (see _load)
            write_atomically(self.path, data, durable=False)
        except OSError:
            pass

    def wait_saved(self) -> None:
        if self._saving is not None:
            self._saving.join()
            self._saving = None
