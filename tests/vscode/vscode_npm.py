"""npm in vscode-client/, for the tests that build and test the extension."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "vscode-client"


def require(condition: bool, why: str) -> None:
    """Skip without the tool locally; in CI (CI=true) its absence is a failure."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI installs it: .ci/system-deps, .ci/vscode-deps)")
    pytest.skip(why)


def run_npm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    run = subprocess.run(["npm", *args], cwd=CLIENT, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, f"npm {' '.join(args)} failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    return run


def npm_ci_if_needed() -> None:
    """Installs the locked dependencies unless node_modules matches the lockfile already."""
    require(shutil.which("node") is not None and shutil.which("npm") is not None, "node and npm are not on PATH")
    installed = CLIENT / "node_modules" / ".package-lock.json"
    lock = CLIENT / "package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
        run_npm("ci", "--no-audit", "--no-fund")
