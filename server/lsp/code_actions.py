"""Code actions, rebuilt from ``Diagnostic.data`` (no re-analysis): each finding's fix,
"Disable CODE for this line", and ``source.fixAll.ragtune`` for the safe fixes.

Edits are ``TextDocumentEdit``s carrying the version the finding was computed on, so a
client refuses them once the document moved on; the server itself offers no action
for a diagnostic of an older version.  New files are ``CreateFile`` with
``ignoreIfExists``, and a path that exists by now is not offered at all: a fix never
writes into an existing file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from lsprotocol import types
from pydantic import BaseModel, ValidationError

from ragtune.analyzers.models import Fix, Range

from .diagnostics import lines_of, to_range
from .server import RagtuneLanguageServer

FIX_ALL_KIND = "source.fixAll.ragtune"
APPLY_FIX_COMMAND = "ragtune.applyFix"


class DiagnosticData(BaseModel):
    """What a ragtune diagnostic carries for its code actions: the document version and
    the finding's range in code points it was computed for, and the engine's fix."""

    v: int | None
    path: str
    kind: str | None = None
    code: str
    range: Range
    fix: Fix | None = None


def parse_data(data: Any) -> DiagnosticData | None:
    if not isinstance(data, dict):
        return None
    try:
        return DiagnosticData.model_validate(data)
    except ValidationError:
        return None


def _supports(ls: RagtuneLanguageServer, what: Literal["document_changes", "create"]) -> bool:
    ws = ls.client_capabilities.workspace
    edit = ws.workspace_edit if ws is not None else None
    if edit is None:
        return False
    # Neovim applies versioned documentChanges and file operations but declares only
    # resourceOperations, which presuppose documentChanges: either one counts.
    versioned = bool(edit.document_changes) or bool(edit.resource_operations)
    if what == "document_changes":
        return versioned
    return versioned and types.ResourceOperationKind.Create in (edit.resource_operations or ())


def workspace_edit(ls: RagtuneLanguageServer, fix: Fix, version_of: dict[str, int | None]) -> types.WorkspaceEdit | None:
    """The LSP edit for ``fix``; None when it cannot be applied safely any more."""
    for new in fix.new_files:
        if Path(new.path).exists():
            return None  # never write into an existing file
    cache: dict[str, list[str]] = {}
    if not _supports(ls, "document_changes"):
        if fix.new_files:
            return None  # cannot create files without resource operations
        return types.WorkspaceEdit(
            changes={
                ls.uri_of(fe.path): [types.TextEdit(range=to_range(lines_of(ls, fe.path, cache), e.range.model_dump(), ls.encoding), new_text=e.new_text) for e in fe.edits]
                for fe in fix.file_edits
            }
        )
    if fix.new_files and not _supports(ls, "create"):
        return None
    changes: list = []
    for new in fix.new_files:
        uri = ls.uri_of(new.path)
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)))
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)), new_text=new.content)],
            )
        )
    for fe in fix.file_edits:
        doc = ls.open_document_at(fe.path)
        version = version_of.get(fe.path, doc.version if doc is not None else None)
        lines = lines_of(ls, fe.path, cache)
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=ls.uri_of(fe.path), version=version),
                edits=[types.TextEdit(range=to_range(lines, e.range.model_dump(), ls.encoding), new_text=e.new_text) for e in fe.edits],
            )
        )
    return types.WorkspaceEdit(document_changes=changes)


def _action(ls, title: str, fix: Fix, diagnostic: types.Diagnostic | None, version_of, preferred: bool, kind=types.CodeActionKind.QuickFix) -> types.CodeAction | None:
    edit = workspace_edit(ls, fix, version_of)
    if edit is None:
        return None
    return types.CodeAction(title=title, kind=kind, diagnostics=[diagnostic] if diagnostic else None, is_preferred=preferred or None, edit=edit)


def quick_fixes(ls: RagtuneLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    doc = ls.open_document(params.text_document.uri)
    if doc is None:
        return []
    actions: list[types.CodeAction] = []
    disables: list[types.CodeAction] = []
    for diagnostic in params.context.diagnostics:
        if diagnostic.source != "ragtune":
            continue
        data = parse_data(diagnostic.data)
        if data is None:
            continue
        if data.v != doc.version:
            ls.log(f"{data.code}: no quick fix offered for version {data.v}; the document is at version {doc.version}")
            continue
        version_of = {data.path: data.v}
        fix = data.fix
        if fix is not None and fix.applicability.value != "display-only":
            title = fix.title if fix.applicability.value == "safe" else f"{fix.title} (unsafe: changes what the model sees)"
            action = _action(ls, title, fix, diagnostic, version_of, preferred=fix.applicability.value == "safe")
            if action is not None:
                actions.append(action)
        disable = disable_fix_for(ls, data, doc)
        if disable is not None:
            action = _action(ls, disable.title, disable, diagnostic, version_of, preferred=False)
            if action is not None:
                disables.append(action)
    return actions + disables  # the real fixes first


def disable_fix_for(ls: RagtuneLanguageServer, data: DiagnosticData, doc) -> Fix | None:
    """"Disable CODE for this line", built on the buffer the diagnostic was computed on
    (the version was checked), when the code asks for it: never on the typing path."""
    if data.code == "RT001" or data.kind is None or ls.path_of(doc.uri) != data.path:
        return None
    from ragtune.analyzers.fixes import disable_fix

    key = (doc.uri, doc.version)
    cache = ls.disable_cache
    if cache.get("key") != key:
        cache.clear()
        cache["key"] = key
    token = (data.code, data.range.start.line, data.range.end.line)
    if token not in cache:
        cache[token] = disable_fix(data.code, data.path, data.range, doc.source, data.kind)
    return cache[token]


def fix_all(ls: RagtuneLanguageServer, uri: str) -> types.CodeAction | None:
    """Every safe fix that only edits this document, merged (overlapping ones skipped)."""
    doc = ls.open_document(uri)
    path = ls.path_of(uri)
    result = ls.results.get(path) if path else None
    if doc is None or result is None or result.version != doc.version:
        return None
    taken: list[tuple[tuple[int, int], tuple[int, int]]] = []
    edits = []
    for finding in result.findings:
        raw = finding.get("fix")
        if not raw or raw.get("applicability") != "safe":
            continue
        fix = Fix.model_validate(raw)
        if fix.new_files or any(fe.path != path for fe in fix.file_edits):
            continue
        spans = [((e.range.start.line, e.range.start.character), (e.range.end.line, e.range.end.character)) for fe in fix.file_edits for e in fe.edits]
        if any(a < d and c < b for a, b in spans for c, d in taken):
            continue
        taken.extend(spans)
        edits.extend(e for fe in fix.file_edits for e in fe.edits)
    if not edits:
        return None
    fix = Fix(title="Fix all safe ragtune findings", applicability="safe", file_edits=[{"path": path, "edits": edits}])
    return _action(ls, fix.title, fix, None, {path: doc.version}, preferred=False, kind=FIX_ALL_KIND)


def register(server: RagtuneLanguageServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND], resolve_provider=False),
    )
    def code_action(ls: RagtuneLanguageServer, params: types.CodeActionParams):
        only = params.context.only
        wanted_quickfix = not only or any(str(k) in ("quickfix",) or "quickfix".startswith(str(k)) for k in only)
        wanted_fix_all = bool(only) and any(FIX_ALL_KIND.startswith(str(k)) and str(k) != "" for k in only) or not only
        actions: list[types.CodeAction] = []
        if wanted_quickfix:
            actions.extend(quick_fixes(ls, params))
        if wanted_fix_all:
            action = fix_all(ls, params.text_document.uri)
            if action is not None:
                actions.append(action)
        return actions or None
