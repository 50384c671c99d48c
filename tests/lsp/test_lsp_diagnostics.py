"""Diagnostics end to end: push to clients that do not pull, pull for those that do,
never both; stale versions dropped; cross-file updates; positions in UTF-16/UTF-8."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from lsp_harness import big_system_prompt, call_site_module, change_doc, codes, data_of, open_doc, pull, session, wait_published

pytestmark = pytest.mark.asyncio

UNUSED = 'GREETING = "Hello"  # ragtune: ignore[FT201]\n'


@pytest.mark.parametrize("client_name", ["neovim", "emacs", "vscode"])
async def test_push_client_gets_published_diagnostics(workspace, client_name):
    path = workspace / "app.py"
    path.write_text(UNUSED, "utf-8")
    async with session(workspace, client_name, pull=False) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: d)
        assert codes(diags) == ["RT001"]
        d = diags[0]
        assert d.source == "ragtune"
        assert d.code_description is not None and d.code_description.href.endswith("RT001.md")
        assert tuple(d.tags) == (types.DiagnosticTag.Unnecessary,)
        assert data_of(d)["v"] == 1
        assert d.message


async def test_ft201_on_a_large_system_prompt(workspace):
    path = workspace / "bot.py"
    path.write_text(call_site_module(big_system_prompt()), "utf-8")
    async with session(workspace, "neovim", pull=False) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: "FT201" in codes(d))
        ft201 = next(d for d in diags if d.code == "FT201")
        assert "tokens" in ft201.message and "per 1,000 requests" in ft201.message
        assert ft201.related_information, "the deciding lines are related information"
        assert ft201.range.start.line == 4


async def test_nothing_is_pushed_to_a_pulling_client(workspace):
    path = workspace / "app.py"
    path.write_text(UNUSED, "utf-8")
    (workspace / "other.py").write_text(UNUSED, "utf-8")  # a scanned file, not open
    async with session(workspace, "neovim-pull", pull=True) as client:
        uri = open_doc(client, path)
        report = await pull(client, uri)
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert codes(report.items) == ["RT001"]
        again = await pull(client, uri, previous=report.result_id)
        assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
        change_doc(client, uri, 2, UNUSED + "x = 1\n")
        changed = await pull(client, uri, previous=report.result_id)
        assert isinstance(changed, types.RelatedFullDocumentDiagnosticReport)
        assert data_of(changed.items[0])["v"] == 2
        ws = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        uris = {item.uri for item in ws.items}
        assert (workspace / "other.py").as_uri() in uris and uri not in uris
        await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)))
    assert client.published == [], "a pulling client must never be pushed to"


async def test_stale_versions_are_dropped(workspace):
    path = workspace / "bot.py"
    text = call_site_module(big_system_prompt())  # slow enough to analyse that edits overtake it
    path.write_text(text, "utf-8")
    async with session(workspace, "neovim", pull=False, init_options={"debounceMs": 0}) as client:
        uri = open_doc(client, path, text)
        await wait_published(client, uri)
        for version in range(2, 8):
            change_doc(client, uri, version, text + f"# edit {version}\n")
            # a round trip: the change has been taken and its analysis sent before the next
            await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)))
        change_doc(client, uri, 8, text + UNUSED)
        await wait_published(client, uri, lambda d: d and data_of(d[0])["v"] == 8)
        versions = [p.version for p in client.published if p.uri == uri]
        assert versions == sorted(versions), "never a result for an older version after a newer one"
        assert len(versions) < 8, "versions that moved on were skipped"
        assert any("superseded" in m.message or "dropped the result" in m.message for m in client.log_messages), "what was skipped is logged"


@pytest.mark.parametrize("pull_mode", [False, True])
@pytest.mark.parametrize("debounce_ms", [0, 150])
async def test_edits_in_a_burst_end_with_the_last_versions_diagnostics(workspace, pull_mode, debounce_ms):
    """Edits sent back to back overtake analyses under way (with a debounce, analyses
    start before it ends and a result ready early is held until it does); whatever was
    cancelled, stopped or held, nothing older than what the client was last told ever
    reaches it."""
    path = workspace / "bot.py"
    text = call_site_module(big_system_prompt())
    path.write_text(text, "utf-8")
    async with session(workspace, "neovim", pull=pull_mode, init_options={"debounceMs": debounce_ms}) as client:
        uri = open_doc(client, path, text)
        if pull_mode:
            assert "FT201" in codes((await pull(client, uri)).items)
        else:
            await wait_published(client, uri, lambda d: "FT201" in codes(d))
        for version in range(2, 12):
            change_doc(client, uri, version, text + f"# edit {version}\n")
        change_doc(client, uri, 12, UNUSED)  # the big prompt is gone: FT201 must not come back
        if pull_mode:
            report = await pull(client, uri)
            assert data_of(report.items[0])["v"] == 12 and codes(report.items) == ["RT001"]
        else:
            final = await wait_published(client, uri, lambda d: bool(d) and data_of(d[0])["v"] == 12)
            assert codes(final) == ["RT001"]
            # a little longer: an older analysis still finishing must not be published now
            await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)))
            mine = [p for p in client.published if p.uri == uri]
            assert [p.version for p in mine] == sorted(p.version for p in mine)
            assert mine[-1].version == 12 and codes(mine[-1].diagnostics) == ["RT001"]
    if pull_mode:
        assert client.published == []


async def test_editing_a_constant_updates_the_code_that_uses_it(workspace):
    (workspace / "prompts_mod.py").write_text(f'SYSTEM = """{big_system_prompt()}\n"""\n', "utf-8")
    app = workspace / "app.py"
    app.write_text(
        "from openai import OpenAI\nfrom prompts_mod import SYSTEM\n\nclient = OpenAI()\n\n\n"
        "def answer(q):\n    return client.chat.completions.create(model=\"gpt-4o\", messages=[{\"role\": \"system\", \"content\": SYSTEM}, {\"role\": \"user\", \"content\": q}])\n",
        "utf-8",
    )
    async with session(workspace, "neovim", pull=False) as client:
        app_uri = open_doc(client, app)
        await wait_published(client, app_uri, lambda d: "FT201" in codes(d))
        mod_uri = open_doc(client, workspace / "prompts_mod.py")
        change_doc(client, mod_uri, 2, 'SYSTEM = """You are a short prompt."""\n')
        await wait_published(client, app_uri, lambda d: "FT201" not in codes(d))


@pytest.mark.parametrize("encodings, expected", [(None, "utf-16"), (["utf-8", "utf-16"], "utf-8"), (["utf-32"], "utf-32")])
async def test_positions_with_non_ascii_text(workspace, encodings, expected):
    prefix = "TITLE = '🚀 Café 東京'; "  # 1 astral emoji, accents, CJK before the comment
    text = prefix + "GREETING = 1  # ragtune: ignore[FT201]\n"
    path = workspace / "intl.py"
    path.write_text(text, "utf-8")
    async with session(workspace, "neovim", pull=False, encodings=encodings) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: d)
        col_cp = text.index("FT201]")
        head = text[:col_cp]
        want = {"utf-16": len(head.encode("utf-16-le")) // 2, "utf-8": len(head.encode("utf-8")), "utf-32": col_cp}[expected]
        assert diags[0].range.start.character == want


async def test_robust_against_a_closed_document_and_cancelled_requests(workspace):
    path = workspace / "app.py"
    path.write_text(UNUSED, "utf-8")
    async with session(workspace, "neovim", pull=False) as client:
        ghost = (workspace / "never-opened.py").as_uri()
        hover = await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=ghost), position=types.Position(line=3, character=2)))
        assert hover is None
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=ghost), range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)), context=types.CodeActionContext(diagnostics=[]))
        )
        assert not actions
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: d)
        assert codes(diags) == ["RT001"]


async def test_a_cancelled_request_is_answered_as_cancelled_and_the_server_goes_on(workspace):
    (workspace / "other.py").write_text(UNUSED, "utf-8")
    async with session(workspace, "neovim-pull", pull=True) as client:
        first = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        while not first.items:  # the scan has not reached other.py yet: the next answer waits for it
            first = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        previous = [types.PreviousResultId(uri=i.uri, value=i.result_id) for i in first.items]
        # nothing changed: the server holds this request (long poll) until the client cancels it
        held = asyncio.ensure_future(client.protocol.send_request_async(types.WORKSPACE_DIAGNOSTIC, types.WorkspaceDiagnosticParams(previous_result_ids=previous), msg_id="held-1"))
        # a request answered after it proves the server has received the held one (in order)
        await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=first.items[0].uri), position=types.Position(line=0, character=0)))
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="held-1"))
        with pytest.raises(Exception) as caught:
            await asyncio.wait_for(held, timeout=10)
        assert "cancel" in str(caught.value).lower()
        uri = open_doc(client, workspace / "other.py")
        report = await pull(client, uri)
        assert codes(report.items) == ["RT001"]


async def test_a_pulling_client_is_asked_to_refresh_after_a_cross_file_change(workspace):
    (workspace / "prompts_mod.py").write_text(f'SYSTEM = """{big_system_prompt()}\n"""\n', "utf-8")
    app = workspace / "app.py"
    app.write_text(
        "from openai import OpenAI\nfrom prompts_mod import SYSTEM\n\nclient = OpenAI()\n\n\n"
        "def answer(q):\n    return client.chat.completions.create(model=\"gpt-4o\", messages=[{\"role\": \"system\", \"content\": SYSTEM}, {\"role\": \"user\", \"content\": q}])\n",
        "utf-8",
    )
    async with session(workspace, "neovim-pull", pull=True) as client:
        app_uri = open_doc(client, app)
        first = await pull(client, app_uri)
        assert "FT201" in codes(first.items)
        mod_uri = open_doc(client, workspace / "prompts_mod.py")
        await pull(client, mod_uri)
        refreshes = client.diagnostic_refresh_count
        change_doc(client, mod_uri, 2, 'SYSTEM = """You are a short prompt."""\n')
        await pull(client, mod_uri)
        for _ in range(500):  # round trips until the server's refresh request has arrived
            if client.diagnostic_refresh_count > refreshes:
                break
            await pull(client, mod_uri)
        assert client.diagnostic_refresh_count > refreshes, "the server asked the client to pull again"
        again = await pull(client, app_uri, previous=first.result_id)
        assert isinstance(again, types.RelatedFullDocumentDiagnosticReport) and "FT201" not in codes(again.items)
    assert client.published == []
