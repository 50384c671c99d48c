"""Code lens above each LLM call site: tokens per request, cost per 1,000 requests, the
behaviour share; clicking shows the breakdown (command ``ragtune.showBreakdown``)."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from .hover import money
from .server import RagtuneLanguageServer

SHOW_BREAKDOWN = "ragtune.showBreakdown"


def lens_title(site: dict[str, Any]) -> str:
    approx = "" if site["exact"] else "≈ "
    parts = [f"{approx}{site['tokens']:,} tokens/request"]
    if site["cost_per_1k"] is not None:
        parts.append(f"{money(site, site['cost_per_1k'])} per 1k")
    share = site.get("share")
    if share:
        parts.append(f"behaviour {round(share['behaviour'] * 100)} %")
    return " · ".join(parts)


def register(server: RagtuneLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: RagtuneLanguageServer, params: types.CodeLensParams):
        if not ls.server_options.get("code-lens", True):
            return None
        path = ls.path_of(params.text_document.uri)
        result = ls.results.get(path) if path else None
        doc = ls.open_document(params.text_document.uri)
        if result is None or doc is None:
            return None
        lenses = []
        for index, site in enumerate(await result.current_sites()):
            if site["kind"] != "call-site" or site["path"] != path:
                continue
            line = site["range"][0]
            if line >= len(doc.lines):
                continue
            rng = types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))
            # the figures as data too, so a client (the status bar) need not parse the title
            data = {"tokens": site["tokens"], "exact": site["exact"], "cost_per_1k": site["cost_per_1k"], "model": site["model"]}
            lenses.append(types.CodeLens(range=rng, command=types.Command(title=lens_title(site), command=SHOW_BREAKDOWN, arguments=[params.text_document.uri, index]), data=data))
        return lenses
