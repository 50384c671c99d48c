"""Fixtures for the CLI tests: small projects on disk and an in-process ``ragtune``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ragtune.server.cli import main

from cli_sources import UNUSED, Run, few_shot_source  # noqa: F401  (re-exported for fixtures)


@pytest.fixture(autouse=True)
def _no_replay(monkeypatch):
    """Runs here are not replayed from run records (a test that monkeypatches the
    engine between two identical runs expects the second to analyse); test_replay.py
    turns replays back on."""
    monkeypatch.setenv("RAGTUNE_NO_REPLAY", "1")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project: a folder with a .git marker so it is the workspace root."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    return root


@pytest.fixture
def ragtune(capsys, monkeypatch):
    """Run ``ragtune`` in-process in a folder; returns exit code, stdout, stderr."""

    def run(*args: str, cwd: Path) -> Run:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse errors
            code = exc.code
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def ragtune_process():
    """Run ``ragtune`` as a process (stdin, tracebacks, the real entry point)."""

    def run(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ragtune.server.cli", *args], cwd=cwd, input=stdin, capture_output=True, timeout=300)

    return run
