"""Real editors, headless: Neovim 0.7 (Lua driver) and Emacs 28 + eglot 1.9 (batch).

Each opens a file with a large system prompt, receives FT201 from ``ragtune server``,
applies the "Disable FT201 for this line" quick fix through the editor's own code-action
path, sees the diagnostic go, saves; the file on disk is then checked.  Skipped when
the editor is not installed, except under CI (``CI=true``), which installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SERVER = [sys.executable, "-m", "ragtune.server.cli", "server"]


def _system_prompt() -> str:
    lines = ["You are the support assistant for Acme. Follow these rules exactly. Café ✓ 東京 🚀"]
    for i in range(260):
        lines.append(f"Rule {i}: When the customer asks about topic {i}, always answer in JSON with the keys 'answer' and 'tone', never apologise, keep it under {i + 20} words.")
    return "\n".join(lines)


SOURCE = (
    "from openai import OpenAI\n\nclient = OpenAI()\n\n"
    f'SYSTEM = """{_system_prompt()}\n"""\n\n\n'
    "def answer(question):\n"
    "    return client.chat.completions.create(\n"
    '        model="gpt-4o",\n'
    '        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],\n'
    "    )\n"
)


def _need(command: str) -> str:
    found = shutil.which(command)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{command} is not installed; CI installs it with .ci/system-deps")
        pytest.skip(f"{command} is not installed")
    return found


def _run(argv: list[str], root: Path, file: Path) -> dict:
    out = root.parent / "editor-report.json"
    env = dict(
        os.environ,
        RAGTUNE_EDITOR_OUT=str(out),
        RAGTUNE_ROOT=str(root),
        RAGTUNE_FILE=str(file),
        RAGTUNE_SERVER_CMD=json.dumps(SERVER),
        HOME=str(root.parent),  # the editors write no state into the real home folder
        XDG_CACHE_HOME=str(root.parent / "cache"),
        XDG_CONFIG_HOME=str(root.parent / "config"),
        XDG_DATA_HOME=str(root.parent / "data"),
        XDG_STATE_HOME=str(root.parent / "state"),
    )
    proc = subprocess.run(argv, env=env, cwd=root, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)
    report = json.loads(out.read_text("utf-8")) if out.exists() else {}
    assert proc.returncode == 0 and report.get("ok") is True, f"exit {proc.returncode}, report {report}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-4000:]}"
    return report


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.ragtune]\n', "utf-8")
    file = root / "bot.py"
    file.write_text(SOURCE, "utf-8")
    return root, file


def _check_saved(file: Path) -> None:
    saved = file.read_text("utf-8")
    assert saved != SOURCE
    compile(saved, str(file), "exec")  # the comment went after the string, not into it
    assert saved.count("ragtune: ignore[FT201]") == 1
    # everything else is as it was, non-ASCII text included
    assert saved.replace("  # ragtune: ignore[FT201]", "") == SOURCE


def test_neovim_receives_ft201_applies_the_fix_and_saves(project):
    nvim = _need("nvim")
    root, file = project
    _run([nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", f"luafile {HERE / 'nvim_driver.lua'}", str(file)], root, file)
    _check_saved(file)


def test_emacs_eglot_receives_ft201_applies_the_fix_and_saves(project):
    emacs = _need("emacs")
    root, file = project
    _run([emacs, "--batch", "-Q", "-l", str(HERE / "eglot_driver.el")], root, file)
    _check_saved(file)
