"""Hover: the figures of a prompt (string, constant, prompt file) or call site, and the
rule's documentation on a code inside a suppression comment."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from .positions import from_client, line_at
from .server import RagtuneLanguageServer


def _inside(rng: list[int] | None, line: int, character: int) -> bool:
    if not rng:
        return False
    sl, sc, el, ec = rng
    return (sl, sc) <= (line, character) <= (el, ec)


def sites_at(ls: RagtuneLanguageServer, path: str, line: int, character: int) -> list[dict[str, Any]]:
    """Sites whose call, system prompt or prompt text is at this position (any file's)."""
    found: list[dict[str, Any]] = []
    own = ls.results.get(path)
    if own is not None:
        for site in own.sites:
            if _inside(site["range"], line, character) or _inside(site["system_range"], line, character) or (site["kind"] == "prompt-file" and site["path"] == path):
                found.append(site)
    for result in ls.results.values():
        for site in result.sites:
            if site in found:
                continue
            if any(p == path and _inside(r, line, character) for p, r in site["parts"]) or path in site["loaded_files"]:
                found.append(site)
    return found


def money(site: dict[str, Any], value: float | None) -> str:
    if value is None:
        return "no price"
    from ragtune.analyzers.prices import format_money

    return format_money(value, site["currency"])


def site_markdown(ls: RagtuneLanguageServer, site: dict[str, Any]) -> str:
    where = site["api"] or ("prompt file" if site["kind"] == "prompt-file" else "call site")
    head = f"**ragtune** · {site['sdk'] + ' ' if site['sdk'] else ''}`{where}` · model `{site['model']}`" + ("" if site["model_named"] else " (default model)")
    approx = "" if site["exact"] else "≈ "
    holes = f"; {site['holes']} template hole{'s' if site['holes'] != 1 else ''} not counted" if site["holes"] else ""
    lines = [head, "", f"{approx}**{site['tokens']:,} tokens per request** ({site['encoding']}{holes})", ""]
    lines += ["| model | tokens | cost per 1,000 requests |", "|---|---:|---:|"]
    for row in site["by_model"]:
        mark = " (this call)" if row["model"] == site["model"] else ""
        label = "" if row["exact"] else " (approx.)"
        lines.append(f"| {row['model']}{mark} | {row['tokens']:,}{label} | {money(site, row['cost_per_1k'])} |")
    lines += ["", f"Input prices as of {site['prices_as_of']} (bundled price table or `prices-file`)."]
    share = site.get("share")
    if share:
        lines += ["", f"**knowledge {round(share['knowledge'] * 100)} % · behaviour {round(share['behaviour'] * 100)} %** in the system prompt ({share['system_tokens']:,} tokens; classified {share['verdict']})"]
        if share["evidence"]:
            lines.append("")
            lines.append("Deciding lines:")
            for ev in share["evidence"]:
                at = f"line {ev['line'] + 1}: " if ev["line"] is not None else ""
                lines.append(f"- {at}{ev['message']}")
    lines += ["", f"**Verdict:** {site['verdict']}", "", site["reason"]]
    return "\n".join(lines)


def _rule_doc(code: str) -> str | None:
    from ragtune.analyzers.rules.registry import BY_CODE, rule_doc

    if code not in BY_CODE:
        return None
    return rule_doc(code)


def register(server: RagtuneLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: RagtuneLanguageServer, params: types.HoverParams):
        doc = ls.open_document(params.text_document.uri)
        path = ls.path_of(params.text_document.uri)
        if doc is None or path is None:
            return None
        line = params.position.line
        text = line_at(doc.lines, line)
        character = from_client(text, params.position.character, ls.encoding)
        if "ragtune:" in text:
            from ragtune.analyzers.suppression import find_suppressions

            for s in find_suppressions(text):
                for code, rng in s.code_ranges.items():
                    if rng.start.character <= character <= rng.end.character:
                        doc_text = _rule_doc(code)
                        if doc_text:
                            return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc_text))
        own = ls.results.get(path)
        if own is not None:
            await own.current_sites()  # this version's figures, when they are a moment behind its diagnostics
        sites = sites_at(ls, path, line, character)
        if not sites:
            return None
        value = "\n\n---\n\n".join(site_markdown(ls, s) for s in sites[:3])
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value))
