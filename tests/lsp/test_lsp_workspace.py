"""The workspace scan (progress, cancellable), files not open, file watching."""

from __future__ import annotations

import pytest
from lsprotocol import types

from lsp_harness import big_system_prompt, codes, open_doc, pull, session, wait_published

pytestmark = pytest.mark.asyncio

UNUSED = 'GREETING = "Hello"  # ragtune: ignore[FT201]\n'


async def test_scan_reports_progress_and_pushes_files_not_open(workspace):
    for i in range(12):
        (workspace / f"mod_{i}.py").write_text(UNUSED if i == 3 else f"X = {i}\n", "utf-8")
    async with session(workspace, "vscode", pull=False) as client:
        uri = (workspace / "mod_3.py").as_uri()
        assert codes(await wait_published(client, uri, lambda d: d)) == ["RT001"]
        while not _ended(client):
            await client.wait_for_notification(types.PROGRESS)
        (reports,) = client.progress_reports.values()
        assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
        assert any(isinstance(r, types.WorkDoneProgressReport) and r.message.startswith("Scanning 12 files") for r in reports)
        assert isinstance(reports[-1], types.WorkDoneProgressEnd) and "Scanned 12 files" in reports[-1].message
        # files with nothing to show are not published at all
        assert {p.uri for p in client.published} == {uri}


def _ended(client) -> bool:
    return any(reports and isinstance(reports[-1], types.WorkDoneProgressEnd) for reports in client.progress_reports.values())


async def test_a_prompt_file_changed_on_disk_updates_its_diagnostics(workspace):
    prompts = workspace / "prompts"
    prompts.mkdir()
    prompt = prompts / "support.md"
    prompt.write_text("You are a helpful assistant.\n", "utf-8")
    async with session(workspace, "vscode", pull=False) as client:
        while not _ended(client):
            await client.wait_for_notification(types.PROGRESS)
        prompt.write_text(big_system_prompt() + "\n", "utf-8")
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=prompt.as_uri(), type=types.FileChangeType.Changed)]))
        diags = await wait_published(client, prompt.as_uri(), lambda d: "FT201" in codes(d))
        assert diags[0].range.start.line == 0
        prompt.unlink()
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=prompt.as_uri(), type=types.FileChangeType.Deleted)]))
        await wait_published(client, prompt.as_uri(), lambda d: d == [])


async def test_a_config_file_change_is_applied(workspace):
    path = workspace / "app.py"
    path.write_text(UNUSED, "utf-8")
    async with session(workspace, "vscode", pull=False) as client:
        uri = open_doc(client, path)
        assert codes(await wait_published(client, uri, lambda d: d)) == ["RT001"]
        (workspace / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.ragtune]\nignore = ["RT001"]\n', "utf-8")
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=(workspace / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
        await wait_published(client, uri, lambda d: d == [])


async def test_pull_client_gets_scan_results_from_workspace_diagnostic(workspace):
    (workspace / "data").mkdir()
    (workspace / "data" / "train.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n{not json\n', "utf-8")
    async with session(workspace, "vscode", pull=True) as client:
        uri = (workspace / "data" / "train.jsonl").as_uri()
        seen: set[str] = set()
        previous: list[types.PreviousResultId] = []
        while "DS303" not in seen:
            report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=previous))
            for item in report.items:
                if item.uri == uri and isinstance(item, types.WorkspaceFullDocumentDiagnosticReport):
                    seen |= set(codes(item.items))
                    previous = [types.PreviousResultId(uri=item.uri, value=item.result_id)]
        # a pull for the closed file answers from the scan
        direct = await pull(client, uri)
        assert "DS303" in codes(direct.items)
    assert client.published == []


async def test_hover_on_a_prompt_file(workspace):
    prompts = workspace / "prompts"
    prompts.mkdir()
    prompt = prompts / "support.md"
    prompt.write_text(big_system_prompt() + "\n", "utf-8")
    app = workspace / "app.py"
    app.write_text(
        "from pathlib import Path\nfrom openai import OpenAI\n\nclient = OpenAI()\nSYSTEM = Path(\"prompts/support.md\").read_text()\n\n\n"
        "def answer(q):\n    return client.chat.completions.create(model=\"gpt-4o-mini\", messages=[{\"role\": \"system\", \"content\": SYSTEM}, {\"role\": \"user\", \"content\": q}])\n",
        "utf-8",
    )
    async with session(workspace, "neovim", pull=False) as client:
        uri = open_doc(client, prompt, language="markdown")
        await wait_published(client, uri, lambda d: "FT201" in codes(d))
        hover = await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=40, character=5)))
        assert hover is not None and "tokens per request" in hover.contents.value and "prompt file" in hover.contents.value
