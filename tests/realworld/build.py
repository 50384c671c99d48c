"""Rebuild the real-world corpus from local git mirrors: ``build.py MIRRORS OUT``.

Each case becomes ``OUT/<case id>/`` holding the case's files at their repository
paths, read with git from the mirror at the pinned commit.  MIRRORS is a folder of
mirrors named ``owner+name`` (what the search tool's ``fetch`` makes: a bare
repository, or one under ``repo/``), or ``owner/name`` / ``owner/name.git``.
Repositories, commits and paths that cannot be found are listed at the end, and the
exit code is then 1.  OUT is a folder of its own outside this repository: it is
created if needed and its case folders are rewritten on every build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import corpus

MARKER = ".realworld-corpus"
MAX_TREE_FILES = 5000  # a path naming a folder exports its files, up to this many


def find_mirror(mirrors: Path, repo: str) -> Path | None:
    """The git directory of ``repo`` under ``mirrors``, matched case-insensitively."""
    owner, name = repo.split("/")
    wanted = {f"{owner}+{name}".lower(), f"{owner}+{name}.git".lower()}
    candidates: list[Path] = []
    try:
        for entry in mirrors.iterdir():
            if entry.name.lower() in wanted:
                candidates += [entry / "repo" / ".git", entry / "repo", entry]
            elif entry.name.lower() == owner.lower() and entry.is_dir():
                candidates += [sub for sub in entry.iterdir() if sub.name.lower() in {name.lower(), f"{name}.git".lower()}]
    except OSError:
        return None
    for c in candidates:
        if (c / "HEAD").is_file() and (c / "objects").is_dir():
            return c
        if (c / ".git" / "HEAD").is_file():
            return c / ".git"
    return None


class Objects:
    """Reads blobs and trees from one repository through a single ``git cat-file --batch``."""

    def __init__(self, git_dir: Path):
        self._proc = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

    def read(self, spec: str) -> tuple[str, bytes] | None:
        """(type, content) of ``commit:path``, or None when it does not exist."""
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(spec.encode("utf-8") + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().decode("utf-8", "replace").split()
        if len(header) != 3:
            return None
        size = int(header[2])
        content = self._proc.stdout.read(size)
        self._proc.stdout.read(1)
        return header[1], content

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait()


def tree_files(git_dir: Path, commit: str, folder: str) -> list[str]:
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "--name-only", "-z", commit, "--", folder],
        capture_output=True, check=False,
    ).stdout
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p][:MAX_TREE_FILES]


def _prepare_out(out: Path) -> str | None:
    here = corpus.HERE.parents[1]
    resolved = out.resolve()
    if resolved == here or here in resolved.parents:
        return f"{out} is inside this repository; build the corpus outside it"
    if resolved.exists():
        if not resolved.is_dir():
            return f"{out} is not a folder"
        if any(resolved.iterdir()) and not (resolved / MARKER).exists():
            return f"{out} is not empty and is not a corpus folder; name an empty or new folder"
    resolved.mkdir(parents=True, exist_ok=True)
    (resolved / MARKER).write_text("built by ragtune's tests/realworld/build.py; case folders are rewritten\n")
    return None


def build(cases: list[corpus.Case], mirrors: Path, out: Path) -> dict:
    report = {"built": {}, "missing_repos": [], "missing_commits": [], "missing_paths": [], "bad_lines": [], "lfs": []}
    by_repo: dict[str, list[corpus.Case]] = {}
    for c in cases:
        by_repo.setdefault(c.repo, []).append(c)
    for repo, repo_cases in sorted(by_repo.items()):
        git_dir = find_mirror(mirrors, repo)
        if git_dir is None:
            report["missing_repos"].append(repo)
            continue
        objects = Objects(git_dir)
        try:
            for c in repo_cases:
                _build_case(c, git_dir, objects, out / c.id, report)
        finally:
            objects.close()
    return report


def _build_case(case: corpus.Case, git_dir: Path, objects: Objects, folder: Path, report: dict) -> None:
    if objects.read(f"{case.commit}^{{commit}}") is None:
        report["missing_commits"].append(f"{case.repo}@{case.commit} (case {case.id})")
        return
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    written: dict[str, int] = {}
    for path in case.paths:
        found = objects.read(f"{case.commit}:{path}")
        if found is None:
            report["missing_paths"].append(f"{case.id}: {path}")
            continue
        kind, content = found
        files = [(path, content)] if kind == "blob" else [
            (p, (objects.read(f"{case.commit}:{p}") or ("", b""))[1]) for p in tree_files(git_dir, case.commit, path)
        ]
        for name, data in files:
            if data.startswith(b"version https://git-lfs.github.com/spec/"):
                report["lfs"].append(f"{case.id}: {name}")
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written[name] = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    for e in case.expect:
        for span in e.spans:
            if span.path not in written and not any(p.startswith(span.path.rstrip("/") + "/") for p in written):
                continue  # already reported as a missing path
            if span.end is not None and span.path in written and span.end > written[span.path]:
                report["bad_lines"].append(f"{case.id}: {e.code} at {span}, but the file has {written[span.path]} lines")
    report["built"][case.id] = {"repo": case.repo, "commit": case.commit, "files": sorted(written)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", type=Path, nargs="?", help="folder of git mirrors (owner+name)")
    parser.add_argument("out", type=Path, nargs="?", help="folder to build the corpus into, outside this repository")
    parser.add_argument("--manifest", type=Path, default=corpus.MANIFEST)
    parser.add_argument("--case", action="append", default=[], metavar="ID", help="build only these cases")
    parser.add_argument("--repos", action="store_true", help="print the repositories the cases need, and exit")
    args = parser.parse_args(argv)
    if not args.repos and (args.mirrors is None or args.out is None):
        parser.error("MIRRORS and OUT are required")
    cases = corpus.load_or_report(args.manifest)
    if cases is None:
        return 2
    if args.repos:
        print("\n".join(f"github:{repo}" for repo in sorted({c.repo for c in cases}, key=str.lower)))
        return 0
    if args.case:
        unknown = set(args.case) - {c.id for c in cases}
        if unknown:
            print(f"error: no case {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        cases = [c for c in cases if c.id in args.case]
    if not args.mirrors.is_dir():
        print(f"error: {args.mirrors} is not a folder of mirrors", file=sys.stderr)
        return 2
    problem = _prepare_out(args.out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    report = build(cases, args.mirrors, args.out)
    (args.out.resolve() / "built.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    files = sum(len(b["files"]) for b in report["built"].values())
    repos = len({b["repo"] for b in report["built"].values()})
    print(f"built {len(report['built'])} of {len(cases)} cases ({files} files from {repos} repositories) into {args.out}")
    sections = [
        ("missing mirrors (fetch them, e.g. the search tool's fetch github:OWNER/NAME)", report["missing_repos"]),
        ("commits not in their mirror", report["missing_commits"]),
        ("paths not at their commit", report["missing_paths"]),
        ("labels past the end of their file", report["bad_lines"]),
        ("Git LFS pointers instead of content", report["lfs"]),
    ]
    failed = False
    for title, items in sections:
        if items:
            failed = True
            print(f"\n{title}:")
            print("\n".join(f"  {i}" for i in items))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
