"""One distribution, one namespace; nothing installed as top-level server/analyzers."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_no_top_level_server_or_analyzers_module(tmp_path):
    code = "import importlib.util as u; print(u.find_spec('server'), u.find_spec('analyzers'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "None None"


def test_check_runs_inside_a_repo_with_its_own_server_and_analyzers_packages(tmp_path):
    for pkg in ("server", "analyzers"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("raise ImportError('the user\\'s own package was imported')\n")
        (tmp_path / pkg / "cli.py").write_text("raise ImportError('wrong cli')\n")
    (tmp_path / "server" / "app.py").write_text("print('hello')\n")
    ragtune = Path(sys.executable).with_name("ragtune")
    out = subprocess.run([str(ragtune), "check", "."], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "All checks passed" in out.stdout
    out = subprocess.run([sys.executable, "-m", "ragtune.server.cli", "rule", "--all"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def test_every_package_directory_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for top, ns in (("analyzers", "ragtune.analyzers"), ("server", "ragtune.server")):
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / top)
            if "node_modules" in rel.parts:
                continue
            found.add(".".join([ns, *rel.parts]) if rel.parts else ns)
    assert found <= listed, f"add to pyproject packages: {sorted(found - listed)}"


def test_server_code_never_prints():
    offenders = []
    for path in (REPO / "server").rglob("*.py"):
        if path.name == "cli.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"\s*print\(", line):
                offenders.append(f"{path.relative_to(REPO)}:{n}")
    assert not offenders


def test_engine_does_not_import_editor_libraries():
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "analyzers").rglob("*.py")
        if re.search(r"^\s*(from|import)\s+(pygls|lsprotocol)\b", p.read_text(), re.M)
    ]
    assert not offenders
