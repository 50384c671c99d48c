"""The server keeps answering: rapid partial edits, a 20 MB file, odd requests."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types

from lsp_harness import big_system_prompt, call_site_module, change_doc, codes, data_of, open_doc, session, wait_published

pytestmark = pytest.mark.asyncio

FRAGMENTS = [
    "client.chat.completions.create(", 'messages=[{"role": "system", "content": ', '"""', "'''", 'f"{', "}", ")", "]",
    "\n", "\r\n", "    ", "def f(:", "# ragtune: ignore[FT2", "🚀", "東京", "é", "\\", "\t", "import openai\n", "x = (", 'model="gpt-4o",',
]


def _random_edit(rnd: random.Random, text: str) -> tuple[types.Range, str, str]:
    lines = text.split("\n")
    line = rnd.randrange(len(lines))
    col = rnd.randint(0, len(lines[line]))
    end_line, end_col = line, col
    if rnd.random() < 0.3 and len(lines[line]) > col:
        end_col = rnd.randint(col, len(lines[line]))
    insert = rnd.choice(FRAGMENTS) if rnd.random() < 0.8 else ""
    # the test's own model of the buffer, in code points (the session negotiates UTF-32)
    offset = sum(len(l) + 1 for l in lines[:line])
    new_text = text[: offset + col] + insert + text[offset + end_col :]
    rng = types.Range(start=types.Position(line=line, character=col), end=types.Position(line=end_line, character=end_col))
    return rng, insert, new_text


async def test_a_thousand_rapid_partial_edits(workspace):
    path = workspace / "bot.py"
    text = call_site_module(big_system_prompt(rules=40))
    path.write_text(text, "utf-8")
    rnd = random.Random(20240601)
    async with session(workspace, "neovim", pull=False, encodings=["utf-32"], init_options={"debounceMs": 5}) as client:
        uri = open_doc(client, path, text)
        await wait_published(client, uri)
        for version in range(2, 1002):
            rng, insert, text = _random_edit(rnd, text)
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangePartial(range=rng, text=insert)],
                )
            )
        final = call_site_module(big_system_prompt()) + 'X = 1  # ragtune: ignore[FT201]\n'
        change_doc(client, uri, 1002, final)
        diags = await wait_published(client, uri, lambda d: d and data_of(d[0])["v"] == 1002, timeout=60)
        assert "FT201" in codes(diags) and "RT001" in codes(diags)
        hover = await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=5, character=20)))
        assert hover is not None
        assert client.error is None
        published = [p.version for p in client.published if p.uri == uri]
        assert len(published) < 100, "edits are debounced: a thousand changes are not a thousand analyses"
        assert published == sorted(published)
    assert client._server.returncode == 0, "the server exited cleanly, on request"


async def test_a_20_mb_file_is_reported_not_parsed(workspace):
    path = workspace / "huge.py"
    line = 'DATA = "' + "x" * 1000 + '"\n'
    path.write_text(line * (20 * 1024), "utf-8")
    async with session(workspace, "neovim", pull=False) as client:
        uri = open_doc(client, path)
        diags = await wait_published(client, uri, lambda d: "RT002" in codes(d), timeout=60)
        assert "MB" in diags[0].message
        small = workspace / "small.py"
        small.write_text('GREETING = "Hello"  # ragtune: ignore[FT201]\n', "utf-8")
        small_uri = open_doc(client, small)
        assert codes(await wait_published(client, small_uri, lambda d: d)) == ["RT001"]
        assert any("huge.py" in m.message and "MB" in m.message for m in client.log_messages)


def _children(pid: int) -> list[int]:
    from pathlib import Path

    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(p) for p in (task / "children").read_text().split()]
    return out


async def test_the_analysis_process_is_restarted_when_it_dies(workspace):
    import os
    import signal

    path = workspace / "app.py"
    path.write_text("x = 1\n", "utf-8")
    async with session(workspace, "neovim", pull=False) as client:
        uri = open_doc(client, path)
        await wait_published(client, uri)
        worker = min(_children(client._server.pid))  # the open files' process starts first
        os.kill(worker, signal.SIGKILL)
        change_doc(client, uri, 2, 'GREETING = "Hello"  # ragtune: ignore[FT201]\n')
        diags = await wait_published(client, uri, lambda d: "RT001" in codes(d), timeout=60)
        assert data_of(diags[0])["v"] == 2
        assert any("exited" in m.message for m in client.log_messages)
