"""Fixtures for the CLI tests: small projects on disk and an in-process ``ragtune``."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ragtune.server.cli import main

UNUSED = "x = 1  # ragtune: ignore[FT201]\n"


def few_shot_source(pairs: int = 22) -> str:
    """A call site with ``pairs`` inline few-shot turns (FT202, whose safe fix creates
    a JSONL dataset) and one with a long rules-only system prompt (FT201)."""
    turns = "\n".join(
        f'        {{"role": "user", "content": "Ticket {i}: my invoice number {i} is wrong"}},\n'
        f'        {{"role": "assistant", "content": "{{\\"label\\": \\"billing\\", \\"priority\\": {i % 3}}}"}},'
        for i in range(pairs)
    )
    rules = "\n".join(
        f"- Rule {i}: always answer in the exact JSON format with fields label, priority and reason; "
        "never add prose before or after the JSON object; use lowercase labels."
        for i in range(160)
    )
    return f'''from openai import OpenAI

client = OpenAI()

SYSTEM = """You are a ticket triage assistant.
{rules}
"""


def triage(ticket):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {{"role": "system", "content": "Label the ticket."}},
{turns}
            {{"role": "user", "content": ticket}},
        ],
    )


def triage_long(ticket):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{{"role": "system", "content": SYSTEM}}, {{"role": "user", "content": ticket}}],
    )
'''


@dataclass
class Run:
    code: int
    out: str
    err: str


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
