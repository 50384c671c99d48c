"""Code actions, hover, code lens and configuration end to end."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from lsprotocol import types

from lsp_harness import (
    StaleEdit,
    apply_workspace_edit,
    big_system_prompt,
    call_site_module,
    change_doc,
    code_actions,
    codes,
    data_of,
    few_shot_module,
    knowledge_prompt,
    open_doc,
    session,
    wait_published,
)

pytestmark = pytest.mark.asyncio

UNUSED = 'GREETING = "Hello"  # ragtune: ignore[FT201]\n'


async def _apply_and_resend(client, uri, action, buffers, version):
    changed = apply_workspace_edit(action.edit, buffers)
    _, text = changed[uri]
    change_doc(client, uri, version + 1, text)
    buffers[uri] = (version + 1, text)
    return text


async def test_quick_fix_removes_the_unused_suppression_and_the_diagnostic_goes(workspace):
    path = workspace / "app.py"
    path.write_text(UNUSED, "utf-8")
    async with session(workspace, "neovim", pull=False) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: d)
        actions = await code_actions(client, uri, diags, only=[types.CodeActionKind.QuickFix])
        fix = next(a for a in actions if a.title.startswith("Remove"))
        assert fix.is_preferred and fix.kind == types.CodeActionKind.QuickFix
        edit = fix.edit.document_changes[0]
        assert isinstance(edit, types.TextDocumentEdit) and edit.text_document.version == 1
        text = await _apply_and_resend(client, uri, fix, {uri: (1, UNUSED)}, 1)
        assert text == 'GREETING = "Hello"\n'
        await wait_published(client, uri, lambda d: d == [])


async def test_a_stale_edit_is_refused(workspace):
    path = workspace / "app.py"
    path.write_text(UNUSED, "utf-8")
    async with session(workspace, "neovim", pull=False, init_options={"debounceMs": 10_000}) as client:
        uri = open_doc(client, path)
        old = await wait_published(client, uri, lambda d: d)
        fresh = await code_actions(client, uri, old)
        change_doc(client, uri, 2, "# a line typed above\n" + UNUSED)  # analysis waits out the long debounce
        # the server offers nothing for diagnostics of version 1 now
        assert await code_actions(client, uri, old) == []
        # and an editor holding the version-1 edit refuses to apply it to version 2
        with pytest.raises(StaleEdit):
            apply_workspace_edit(fresh[0].edit, {uri: (2, "# a line typed above\n" + UNUSED)})


async def test_disable_for_this_line_and_fix_all(workspace):
    path = workspace / "bot.py"
    text = call_site_module(big_system_prompt()) + UNUSED
    path.write_text(text, "utf-8")
    async with session(workspace, "emacs", pull=False) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: "FT201" in codes(d) and "RT001" in codes(d))
        fix_all = await code_actions(client, uri, [], only=["source.fixAll.ragtune"])
        assert [a.kind for a in fix_all] == ["source.fixAll.ragtune"]
        ft201 = [d for d in diags if d.code == "FT201"]
        actions = await code_actions(client, uri, ft201, only=[types.CodeActionKind.QuickFix])
        disable = next(a for a in actions if a.title == "Disable FT201 for this line")
        buffers = {uri: (1, text)}
        text = await _apply_and_resend(client, uri, disable, buffers, 1)
        compile(text, "bot.py", "exec")  # the comment did not land inside the string
        assert "# ragtune: ignore[FT201]" in text
        await wait_published(client, uri, lambda d: codes(d) == ["RT001"])


async def test_ft202_exports_the_examples_to_a_new_dataset(workspace):
    path = workspace / "triage.py"
    path.write_text(few_shot_module(), "utf-8")
    async with session(workspace, "vscode", pull=False) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: "FT202" in codes(d))
        actions = await code_actions(client, uri, [d for d in diags if d.code == "FT202"])
        export = next(a for a in actions if a.title.startswith("Export 22 few-shot examples"))
        create = export.edit.document_changes[0]
        assert isinstance(create, types.CreateFile) and create.options.ignore_if_exists
        apply_workspace_edit(export.edit, {uri: (1, path.read_text("utf-8"))})
        dataset = workspace / "triage.few-shot.jsonl"
        records = [json.loads(line) for line in dataset.read_text("utf-8").splitlines()]
        assert len(records) == 22 and records[0]["messages"][-1]["role"] == "assistant"
        # the same action offered again now would write into an existing file: it is not offered
        assert not any(a.title == export.title for a in await code_actions(client, uri, [d for d in diags if d.code == "FT202"]))


async def test_move_knowledge_to_a_knowledge_file(workspace):
    path = workspace / "billing.py"
    text = call_site_module(knowledge_prompt())
    path.write_text(text, "utf-8")
    async with session(workspace, "neovim", pull=False) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: "RAG104" in codes(d))
        actions = await code_actions(client, uri, [d for d in diags if d.code == "RAG104"])
        move = next(a for a in actions if a.title.startswith("Move this knowledge to a knowledge file"))
        assert "unsafe" in move.title and not move.is_preferred
        text = await _apply_and_resend(client, uri, move, {uri: (1, text)}, 1)
        compile(text, "billing.py", "exec")
        assert "[Retrieved knowledge: the passages of knowledge/billing.md" in text
        doc = (workspace / "knowledge" / "billing.md").read_text("utf-8")
        assert "The Pro plan in region 1 costs $20.00 per month" in doc
        await wait_published(client, uri, lambda d: "RAG104" not in codes(d))


async def test_hover_code_lens_and_breakdown(workspace):
    (workspace / "prompts_mod.py").write_text(f'SYSTEM = """{big_system_prompt()}\n"""\n', "utf-8")
    app = workspace / "app.py"
    app.write_text(
        "from openai import OpenAI\nfrom prompts_mod import SYSTEM\n\nclient = OpenAI()\n\n\n"
        "def answer(q):  # ragtune: ignore[FT202]\n    return client.chat.completions.create(model=\"gpt-4o\", messages=[{\"role\": \"system\", \"content\": SYSTEM}, {\"role\": \"user\", \"content\": q}])\n",
        "utf-8",
    )
    async with session(workspace, "vscode", pull=False) as client:
        uri = open_doc(client, app)
        await wait_published(client, uri, lambda d: "FT201" in codes(d))
        hover = await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=7, character=30)))
        value = hover.contents.value
        assert "tokens per request" in value and "cost per 1,000 requests" in value and "gpt-4o-mini" in value
        assert re.search(r"knowledge \d+ % · behaviour \d+ %", value) and "Verdict:** FT201" in value
        # the constant, in the module that defines it, shows the same call's figures
        mod_uri = open_doc(client, workspace / "prompts_mod.py")
        hover = await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=mod_uri), position=types.Position(line=3, character=5)))
        assert hover is not None and "tokens per request" in hover.contents.value
        # a code inside a suppression comment shows the rule's doc
        col = len("def answer(q):  # ragtune: ignore[F")
        hover = await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=6, character=col)))
        assert hover.contents.value.startswith("# FT202 few-shot-block")
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        assert len(lenses) == 1 and lenses[0].range.start.line == 7
        assert re.fullmatch(r"(≈ )?\d{1,3}(,\d{3})* tokens/request · \$[\d,.]+ per 1k · behaviour \d+ %", lenses[0].command.title), lenses[0].command.title
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command=lenses[0].command.command, arguments=lenses[0].command.arguments))
        assert any("tokens per request" in m.message for m in client.messages)


async def test_hover_and_code_lens_right_after_the_diagnostics_show_that_versions_figures(workspace):
    """The figures travel a moment after the diagnostics; a hover or a lens asked for in
    between waits for them rather than showing the previous version's."""

    def call_line(text: str) -> int:
        return next(i for i, line in enumerate(text.splitlines()) if "completions.create" in line)

    def tokens_in(value: str) -> int:
        return int(re.search(r"\*\*([\d,]+) tokens per request", value).group(1).replace(",", ""))

    path = workspace / "bot.py"
    small = call_site_module("You are a helpful assistant. Answer briefly.")
    path.write_text(small, "utf-8")
    async with session(workspace, "vscode", pull=False) as client:
        uri = open_doc(client, path, small)
        await wait_published(client, uri)
        ident = types.TextDocumentIdentifier(uri=uri)
        before = tokens_in((await client.text_document_hover_async(types.HoverParams(text_document=ident, position=types.Position(line=call_line(small), character=20)))).contents.value)
        big = call_site_module(big_system_prompt())
        change_doc(client, uri, 2, big)
        await wait_published(client, uri, lambda d: "FT201" in codes(d))
        after = tokens_in((await client.text_document_hover_async(types.HoverParams(text_document=ident, position=types.Position(line=call_line(big), character=20)))).contents.value)
        assert after > 10 * before
        change_doc(client, uri, 3, small + UNUSED)
        await wait_published(client, uri, lambda d: bool(d) and data_of(d[0])["v"] == 3)
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=ident))
        assert len(lenses) == 1 and re.match(rf"(≈ )?{before:,} tokens/request", lenses[0].command.title)


async def test_configuration_applies_live_and_invalid_settings_are_reported(workspace):
    path = workspace / "bot.py"
    path.write_text(call_site_module(big_system_prompt()), "utf-8")
    async with session(workspace, "neovim", pull=False, settings={"thresholds": {"systemPromptTokens": 100_000}}) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri)
        assert "FT201" not in codes(diags)
        client.set_configuration({"thresholds": {"systemPromptTokens": 2_000}}, section="ragtune")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await wait_published(client, uri, lambda d: "FT201" in codes(d))
        client.set_configuration({"select": ["NOPE9"]}, section="ragtune")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        message = await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
        assert message.type == types.MessageType.Error and "NOPE9" in message.message
        assert any("NOPE9" in m.message for m in client.log_messages)


async def test_an_invalid_pyproject_is_reported(workspace):
    (workspace / "pyproject.toml").write_text('[tool.ragtune]\nthresholds = { system-prompt-tokens = "many" }\n', "utf-8")
    path = workspace / "app.py"
    path.write_text(UNUSED, "utf-8")
    async with session(workspace, "neovim", pull=False) as client:
        open_doc(client, path)
        message = await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
        assert message.type == types.MessageType.Error and "system-prompt-tokens" in message.message


async def test_a_late_answer_with_client_settings_is_waited_for_not_flashed(workspace):
    """The first diagnostics follow the client's settings even when it answers
    workspace/configuration after the file's analysis is done."""
    path = workspace / "bot.py"
    path.write_text(call_site_module(big_system_prompt()), "utf-8")
    settings = {"thresholds": {"systemPromptTokens": 100_000}}
    async with session(workspace, "neovim", pull=False, settings=settings, config_delay=1.5) as client:
        uri = open_doc(client, path)
        await wait_published(client, uri)
        await asyncio.sleep(0.5)  # anything published meanwhile is recorded too
        shown = [codes(p.diagnostics) for p in client.published if p.uri == uri]
        assert shown and all("FT201" not in c for c in shown), shown
