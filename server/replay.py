"""Replaying a ``ragtune check`` whose inputs have not changed since it last ran.

The findings cache (``cache.py``) spares the analysis of unchanged files, but a run over
it still imports the engine, walks the tree, resolves the configuration and renders
every finding again: 0.6 s on 10,300 files, a third of it importing.  When nothing the
previous run depended on has changed, its output is already known, so a run record
keeps that output beside the evidence that it still holds:

* every folder the walk listed, with its mtime and ctime (adding, removing or renaming
  an entry changes them);
* every regular file seen in those folders, analysed or not (a ``.gitignore``, a
  ``.json`` whose content decides whether it is a dataset), every file the analysis
  read elsewhere (a module whose constants a prompt uses), the configuration and
  price files, the ``--config`` file and the baseline, each with size, mtime and ctime;
* above each input up to the filesystem's root, the names whose presence decides the
  workspace root, the configuration and the ignore rules (``.git``, ``ragtune.toml``,
  ``pyproject.toml``, ``package.json``, ``.gitignore``): present with their stat, or
  absent;
* a key: ragtune's code, the Python that runs it, the command line, the working folder,
  whether stdout and stderr are terminals, and the environment variables that could
  change the output.

The stats are taken once the run has begun (each analysed or cached file's by the scan,
before reading it; the walked folders while the analysis runs; the rest after it), so a
record is written only when each is older than two seconds before the run began: a file
changed during the run, or within the clock's granularity of it, could otherwise keep a
stat that hides the change (git's racily clean rule; the change time cannot be set
back, so a change after the start always shows).  Runs that change files (``--fix``), write a baseline, read stdin, analyse
datasets (their checks search the whole workspace for documents and code), print
anything besides the report, or log verbosely are not recorded.  ``--no-cache``
neither replays nor records; with ``RAGTUNE_NO_REPLAY=1`` in the environment a run
neither replays nor records either, and the findings cache still applies.

Only the standard library is imported here: a replay prints the recorded bytes without
loading the engine.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat as stat_module
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .atomic import in_background, write_atomically

FORMAT = 1
RACY_NS = 2_000_000_000
MAX_RECORDS = 16  # run records kept per cache folder (one per distinct command line)
CACHE_DIR_NAME = ".ragtune_cache"
# names whose presence in a folder above the inputs decides the workspace root (see
# ``cli._common_root``), the configuration (``config.find_config``) or ignore rules
MARKER_NAMES = (".git", "ragtune.toml", "pyproject.toml", "package.json", ".gitignore")
ENV_NAMES = ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@functools.lru_cache(maxsize=4)
def package_stamp(subpackage: str | None = None) -> str:
    """A hash of the path, size and mtime of every source and data file of the
    installed ragtune package (or one of its subpackages): it changes with any edit or
    reinstall.  Memoised: the replay and the findings cache both ask, once per run."""
    import ragtune

    parts = []
    for top in ragtune.__path__:
        base = os.path.join(top, subpackage) if subpackage else top
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".json", ".gz", ".yaml", ".toml")):
                    path = os.path.join(folder, name)
                    st = os.stat(path)
                    parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return content_hash("\n".join(parts).encode())


def stat_fields(st: os.stat_result) -> list[int]:
    """What a stat is compared by (here and in the findings cache): size, mtime, ctime (ns)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def signature(path: str) -> list[int] | str | None:
    """What a later run compares: None for nothing there, "d" for a folder, else
    [size, mtime_ns, ctime_ns]; "?" when it cannot be stat'ed (never equal to a record)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return "?"
    if stat_module.S_ISDIR(st.st_mode):
        return "d"
    return stat_fields(st)


def _ancestors(paths: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        folder = Path(path)
        for candidate in [folder, *folder.parents]:
            if str(candidate) in found:
                break
            found.add(str(candidate))
    return found


def eligible(args) -> bool:
    """Whether this command line may replay or record a run."""
    return not (
        os.environ.get("RAGTUNE_NO_REPLAY")
        or args.no_cache
        or args.stdin_filename is not None
        or args.fix
        or args.diff
        or args.write_baseline
        or args.verbose
    )


def run_key(args, version: str) -> str:
    parts = {
        "format": FORMAT,
        "version": version,
        "python": [sys.version, sys.executable],
        "code": package_stamp(),
        "args": vars(args),
        "cwd": os.getcwd(),
        "tty": [_isatty(1), _isatty(2)],
        "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("RAGTUNE_") or k in ENV_NAMES},
    }
    return content_hash(json.dumps(parts, sort_keys=True, default=str).encode())


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def workspace_root(args, find_root: Callable[[list[Path]], Path]) -> Path:
    """The workspace ``check`` uses: the nearest folder above the inputs holding a repo
    or config marker (``find_root``)."""
    roots = [Path(args.stdin_filename)] if args.stdin_filename is not None else [Path(p) for p in args.paths]
    return find_root([r if r.exists() else r.parent if r.parent.exists() else Path.cwd() for r in roots])


def cache_dir(args, root: Path) -> Path:
    return Path(args.cache_dir).resolve() if args.cache_dir else root / CACHE_DIR_NAME


def _record_paths(folder: Path, key: str) -> tuple[Path, Path]:
    return folder / f"run-{key}.json", folder / f"run-{key}.out"


def try_replay(args, version: str, find_root: Callable[[list[Path]], Path]) -> int | None:
    """The exit code after printing the recorded output, when a record for this command
    line exists and everything it depends on is unchanged; None otherwise."""
    if not eligible(args) or any(not os.path.exists(p) for p in args.paths):
        return None
    try:
        root = workspace_root(args, find_root)
        record_file, output_file = _record_paths(cache_dir(args, root), run_key(args, version))
        record = json.loads(record_file.read_text("utf-8"))
        if record.get("format") != FORMAT or not _unchanged(record):
            return None
        output = output_file.read_bytes()
        if content_hash(output) != record["output"]["hash"]:
            return None
        rc = record["rc"]
        if not isinstance(rc, int):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no record, or a damaged one: run normally
    target = record["output"].get("file")
    if target is not None:
        try:
            write_atomically(Path(target), output)
        except OSError:
            return None  # the normal run reports why the file cannot be written
    else:
        sys.stdout.flush()
        binary = getattr(sys.stdout, "buffer", None)
        if binary is not None:
            binary.write(output)
            binary.flush()
        else:  # a text-only stream (an in-process caller's capture)
            sys.stdout.write(output.decode("utf-8"))
            sys.stdout.flush()
    return rc


def _unchanged(record: dict) -> bool:
    for path, mtime, ctime in record["dirs"]:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if st.st_mtime_ns != mtime or st.st_ctime_ns != ctime:
            return False
    for path, sig in record["files"]:
        if signature(path) != sig:
            return False
    return True


class Recorder:
    """Collects what a run depends on; ``begin`` makes the record, or nothing when
    the run cannot be replayed."""

    def __init__(self, args, version: str, root: Path):
        self.started_ns = time.time_ns()
        self.key = run_key(args, version)
        self.folder = cache_dir(args, root)
        self.inputs = [os.path.abspath(p) for p in args.paths]
        self.files: set[str] = set(self.inputs)
        for extra in (args.config, args.baseline):
            if extra:
                self.files.add(os.path.abspath(extra))
        self.refused: str | None = None
        self._dirs: dict[str, os.stat_result | None] = {}  # taken by snapshot()
        self._sigs: dict[str, list[int] | str | None] = {}

    def refuse(self, reason: str) -> None:
        self.refused = self.refused or reason

    def snapshot(self, dirs: Iterable[str]) -> None:
        """Stat the walked folders and the fixed files now: a parallel scan calls this
        while its workers analyse, so the record has only the few files found later to
        stat."""
        for path in dirs:
            try:
                self._dirs[path] = os.stat(path)
            except OSError:
                self._dirs[path] = None
        for path in self._fixed_files():
            self._sigs[path] = signature(path)

    def _fixed_files(self) -> set[str]:
        """The inputs, --config and baseline files, and the marker names above the inputs."""
        names = {os.path.join(folder, name) for folder in _ancestors(self.inputs) for name in MARKER_NAMES}
        return self.files | names

    def begin(
        self, *, dirs: Iterable[str], files: Iterable[str], output: str, output_file: str | None, rc: int, stats: dict[str, list[int]] | None = None
    ) -> Callable[[bool], bool]:
        """Record the run in two steps: a thread makes the record and writes the output
        beside it now (while this thread prints the report), and the call returned writes
        the record, given True once the report was printed; False (or a run that cannot
        be replayed) writes none.  ``stats`` are files' stats the scan took before reading
        them: a change after that stat shows as a different stat next time, so it is as
        good as one taken now."""
        if self.refused:
            return lambda printed: False
        dirs, files = list(dirs), list(files)
        made: list[tuple[Path, bytes] | None] = [None]

        def make() -> None:
            made[0] = self._make(dirs, files, output, output_file, rc, stats)

        worker = in_background(make, "ragtune-run-record")

        def commit(printed: bool) -> bool:
            worker.join()
            if not printed or made[0] is None:
                return False
            record_file, record = made[0]
            try:
                write_atomically(record_file, record, durable=False)
                _prune(self.folder)
            except OSError:
                return False  # a read-only checkout: no replay next time, nothing else lost
            return True

        return commit

    def _make(self, dirs: list[str], files: list[str], output: str, output_file: str | None, rc: int, stats) -> tuple[Path, bytes] | None:
        """The record file and its bytes, with the output written beside it; None when
        the run cannot be replayed or the output could not be written.  The output alone
        is never replayed: a record names it, with its hash."""
        limit = self.started_ns - RACY_NS
        recorded_dirs = []
        for path in sorted(set(dirs)):
            try:
                st = self._dirs[path] if path in self._dirs else os.stat(path)
            except OSError:
                return None
            if st is None:
                return None
            if max(st.st_mtime_ns, st.st_ctime_ns) >= limit:
                return None
            recorded_dirs.append([path, st.st_mtime_ns, st.st_ctime_ns])
        recorded_files = []
        known = self._sigs
        stats = stats or {}
        for path in sorted(self._fixed_files().union(files)):
            sig = known[path] if path in known else stats[path] if path in stats else signature(path)
            if sig == "?" or (isinstance(sig, list) and max(sig[1], sig[2]) >= limit):
                return None
            recorded_files.append([path, sig])
        data = output.encode("utf-8")
        record = {
            "format": FORMAT,
            "rc": rc,
            "output": {"hash": content_hash(data), "file": os.path.abspath(output_file) if output_file else None},
            "dirs": recorded_dirs,
            "files": recorded_files,
        }
        record_file, output_path = _record_paths(self.folder, self.key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # no fsync: a replay checks the output against the hash in the record, and a
            # record that does not parse is no record
            write_atomically(output_path, data, durable=False)
        except OSError:
            return None
        return record_file, json.dumps(record, separators=(",", ":")).encode("utf-8")


def _prune(folder: Path) -> None:
    records = sorted(folder.glob("run-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in records[MAX_RECORDS:]:
        for path in (old, old.with_suffix(".out")):
            try:
                path.unlink()
            except OSError:
                pass
