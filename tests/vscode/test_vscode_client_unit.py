"""The extension's unit tests (node's test runner), run by the single test command."""

from __future__ import annotations

from vscode_npm import npm_ci_if_needed, run_npm


def test_extension_unit_tests_pass() -> None:
    npm_ci_if_needed()
    run = run_npm("test", timeout=300)
    assert "fail 0" in run.stdout, run.stdout[-4000:]
