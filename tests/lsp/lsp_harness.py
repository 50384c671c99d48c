"""pytest-lsp sessions against ``ragtune server``, over the recorded capabilities of
real clients (VS Code, Neovim, Emacs)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-P", "-m", "ragtune.server.cli", "server"] + (["--log-file", __import__("os").environ["RAGTUNE_TEST_LOG"]] if __import__("os").environ.get("RAGTUNE_TEST_LOG") else [])

CLIENTS = {
    "vscode": "visual-studio-code",
    "neovim": "neovim@v0.10.0",
    "neovim-pull": "neovim@v0.11.0",
    "emacs": "emacs",
}


def capabilities(name: str, *, pull: bool | None = None, encodings: list[str] | None = None) -> types.ClientCapabilities:
    """A recorded client's capabilities; ``pull`` adds or removes pull diagnostics the way
    newer releases of the same client declare them."""
    caps = copy.deepcopy(client_capabilities(CLIENTS[name]))
    if pull is True:
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(dynamic_registration=False, related_document_support=True)
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    elif pull is False:
        caps.text_document.diagnostic = None
        if caps.workspace is not None:
            caps.workspace.diagnostics = None
    if encodings is not None:
        caps.general = caps.general or types.GeneralClientCapabilities()
        caps.general.position_encodings = encodings
    return caps


class RecordingClient(LanguageClient):
    """The pytest-lsp client, also keeping every publishDiagnostics with its version."""

    published: list[types.PublishDiagnosticsParams]
    applied: list[types.ApplyWorkspaceEditParams]


def _record_publish(client: RecordingClient, params: types.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def make_client(config_delay: float = 0.0) -> RecordingClient:
    client = RecordingClient(converter_factory=default_converter)
    client.published = []
    client.applied = []
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    if config_delay:
        async def slow_configuration(client: RecordingClient, params: types.ConfigurationParams):
            await asyncio.sleep(config_delay)  # a client busy elsewhere answers late
            return [client.get_configuration(section=item.section, scope_uri=item.scope_uri) for item in params.items]

        features[types.WORKSPACE_CONFIGURATION] = slow_configuration
    register_lsp_features(client, features)
    return client


@contextlib.asynccontextmanager
async def session(root: Path, client_name: str = "neovim", *, pull: bool | None = None, settings: dict | None = None, encodings: list[str] | None = None, init_options: dict | None = None, config_delay: float = 0.0):
    client = make_client(config_delay)
    if settings is not None:
        client.set_configuration(settings, section="ragtune")
    await client.start_io(*SERVER)
    caps = capabilities(client_name, pull=pull, encodings=encodings)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=init_options if init_options is not None else {"debounceMs": 30},
        )
    )
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def open_doc(client: LanguageClient, path: Path, text: str | None = None, language: str = "python", version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text if text is not None else path.read_text("utf-8")))
    )
    return uri


def change_doc(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_published(client: RecordingClient, uri: str, predicate=lambda diags: True, timeout: float = 20.0) -> list[types.Diagnostic]:
    """The next diagnostics published for ``uri`` that satisfy ``predicate``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = 0
    while True:
        for params in client.published[seen:]:
            if params.uri == uri and predicate(list(params.diagnostics)):
                return list(params.diagnostics)
        seen = len(client.published)
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no matching diagnostics for {uri}; got {[(p.uri, [d.code for d in p.diagnostics]) for p in client.published]}")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=remaining)


async def pull(client: LanguageClient, uri: str, previous: str | None = None):
    return await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous))


def codes(diagnostics) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def big_system_prompt(rules: int = 260, extra: str = "") -> str:
    lines = ["You are the support assistant for Acme. Follow these rules exactly." + extra]
    for i in range(rules):
        lines.append(f"Rule {i}: When the customer asks about topic {i}, always answer in JSON with the keys 'answer' and 'tone', never apologise, keep it under {i + 20} words.")
    return "\n".join(lines)


def call_site_module(system: str, *, name: str = "SYSTEM", suppress: str = "") -> str:
    return (
        "from openai import OpenAI\n\n"
        "client = OpenAI()\n\n"
        f'{name} = """{system}\n"""{suppress}\n\n\n'
        "def answer(question):\n"
        "    return client.chat.completions.create(\n"
        '        model="gpt-4o",\n'
        f'        messages=[{{"role": "system", "content": {name}}}, {{"role": "user", "content": question}}],\n'
        "    )\n"
    )


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP edits as an editor does (positions in ``encoding`` units)."""
    from ragtune.server.lsp.positions import from_client, split_lines

    lines = split_lines(text)

    def offset(pos: types.Position) -> int:
        line = min(pos.line, len(lines))
        base = sum(len(l) + 1 for l in lines[:line])
        col = from_client(lines[line] if line < len(lines) else "", pos.character, encoding)
        return base + col

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.ragtune]\n', "utf-8")
    return root


def data_of(diagnostic: types.Diagnostic) -> dict[str, Any]:
    return diagnostic.data if isinstance(diagnostic.data, dict) else {}


class StaleEdit(Exception):
    """The edit names a document version the editor no longer has."""


def apply_workspace_edit(edit: types.WorkspaceEdit, buffers: dict[str, tuple[int, str]], encoding: str = "utf-16") -> dict[str, tuple[int, str]]:
    """Apply ``edit`` the way an editor does: versions checked first (all or nothing),
    files created unless they exist (``ignoreIfExists``), text edits to open buffers or
    to files on disk.  Returns the buffers that changed, with their text."""
    from pygls.uris import to_fs_path

    changes = list(edit.document_changes or [])
    for change in changes:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.version is not None:
            have = buffers.get(change.text_document.uri)
            if have is None or have[0] != change.text_document.version:
                raise StaleEdit(f"{change.text_document.uri}: edit for version {change.text_document.version}, buffer at {have[0] if have else None}")
    changed: dict[str, tuple[int, str]] = {}
    for change in changes:
        if isinstance(change, types.CreateFile):
            target = Path(to_fs_path(change.uri))
            if target.exists():
                if change.options and change.options.ignore_if_exists:
                    continue
                raise FileExistsError(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("", "utf-8")
        elif isinstance(change, types.TextDocumentEdit):
            uri = change.text_document.uri
            if uri in buffers:
                version, text = changed.get(uri, buffers[uri])
                changed[uri] = (version, apply_text_edits(text, list(change.edits), encoding))
            else:
                target = Path(to_fs_path(uri))
                target.write_text(apply_text_edits(target.read_text("utf-8"), list(change.edits), encoding), "utf-8")
    for uri, text in (edit.changes or {}).items():
        version, old = changed.get(uri, buffers[uri])
        changed[uri] = (version, apply_text_edits(old, list(text), encoding))
    return changed


async def code_actions(client: LanguageClient, uri: str, diagnostics, only: list[str] | None = None, line: int | None = None):
    first = diagnostics[0].range if diagnostics else types.Range(start=types.Position(line=line or 0, character=0), end=types.Position(line=line or 0, character=0))
    return await client.text_document_code_action_async(
        types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri), range=first, context=types.CodeActionContext(diagnostics=list(diagnostics), only=only))
    ) or []


def few_shot_module(pairs: int = 22) -> str:
    turns = []
    for i in range(pairs):
        turns.append(f'    {{"role": "user", "content": "Ticket {i}: my invoice number {i} is wrong"}},')
        turns.append(f'    {{"role": "assistant", "content": "{{\\"label\\": \\"billing\\", \\"priority\\": {i % 3}}}"}},')
    return (
        "from openai import OpenAI\n\nclient = OpenAI()\n\nEXAMPLES = [\n" + "\n".join(turns) + "\n]\n\n\n"
        "def triage(ticket):\n"
        "    return client.chat.completions.create(\n"
        '        model="gpt-4o-mini",\n'
        '        messages=[{"role": "system", "content": "Label the ticket."}, *EXAMPLES, {"role": "user", "content": ticket}],\n'
        "    )\n"
    )


def knowledge_prompt(lines: int = 120) -> str:
    plans = ["Starter", "Pro", "Team", "Business", "Enterprise"]
    out = ["You are the billing assistant for Acme Cloud."]
    for i in range(lines):
        plan = plans[i % len(plans)]
        out.append(f"The {plan} plan in region {i} costs ${19 + i}.00 per month, includes {5 + i} seats and {100 + i} GB of storage, and its price changed on 2024-0{1 + i % 9}-1{i % 9}.")
    return "\n".join(out)
