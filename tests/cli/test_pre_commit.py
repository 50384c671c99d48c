"""The hook in .pre-commit-hooks.yaml, run by the real ``pre-commit`` tool.

pre-commit builds the hook's environment from this checkout (``language: python``
installs it with pip), then runs it on the staged files of a throwaway repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cli_sources import UNUSED

REPO = Path(__file__).resolve().parents[2]
VOLATILE = '''from openai import OpenAI

client = OpenAI()

SYSTEM = """You are ShopBot, the assistant of Acme Store.
The Pro plan costs $49 per month and the Team plan costs $199 per month.
The Basic plan costs $9 per month and includes 5 seats.
Refunds are accepted within 30 days of purchase, as of 2024-03-01.
Answer in one short paragraph.
"""


def answer(question):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],
    )
'''


def _pre_commit() -> list[str]:
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if exe is None:
        pytest.fail("pre-commit is not installed: pip install -e '.[test]'")
    return [exe]


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _user_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    _git(path, "init", "-q")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    _git(path, "add", *files)
    return path


def _run(cmd: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_hook_file_declares_ragtune():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    hook = next(h for h in hooks if h["id"] == "ragtune")
    assert hook["language"] == "python" and hook["entry"].startswith("ragtune check")
    assert hook.get("pass_filenames", True)


def test_try_repo_fails_on_a_finding_and_passes_when_clean(tmp_path):
    bad = _user_repo(tmp_path / "bad", {"app.py": UNUSED, "README.md": "# not a prompt\n"})
    done = _run([*_pre_commit(), "try-repo", str(REPO), "ragtune", "--verbose"], bad, tmp_path / "home-bad")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "app.py:1:26: RT001" in done.stdout
    assert "README.md" not in done.stdout.split("hook id: ragtune", 1)[1]

    clean = _user_repo(tmp_path / "clean", {"app.py": "x = 1\n", "prompts/greeting.md": "Say hello politely.\n"})
    done = _run([*_pre_commit(), "try-repo", str(REPO), "ragtune", "--verbose"], clean, tmp_path / "home-clean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All checks passed! (2 files checked)" in done.stdout


def test_fix_mode_rewrites_only_safe_fixes(tmp_path):
    repo = _user_repo(tmp_path / "user", {"app.py": UNUSED, "shop.py": VOLATILE})
    config = {"repos": [{"repo": str(REPO), "rev": _git(REPO, "rev-parse", "HEAD"), "hooks": [{"id": "ragtune", "args": ["--fix"]}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    done = _run([*_pre_commit(), "run", "--verbose"], repo, tmp_path / "home")
    # the hook changed a file, so pre-commit fails the commit for the user to review
    assert done.returncode == 1, done.stdout + done.stderr
    assert (repo / "app.py").read_text() == "x = 1\n"
    assert (repo / "shop.py").read_text() == VOLATILE  # its finding has no safe fix
    assert "RAG102" in done.stdout
    again = _run([*_pre_commit(), "run", "--files", "app.py"], repo, tmp_path / "home")
    assert again.returncode == 0, again.stdout + again.stderr
