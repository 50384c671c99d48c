"""Commands the client runs: the breakdown behind a code lens."""

from __future__ import annotations

from lsprotocol import types

from .code_lens import SHOW_BREAKDOWN
from .hover import site_markdown
from .server import RagtuneLanguageServer


def breakdown_text(ls: RagtuneLanguageServer, uri: str, index: int) -> str | None:
    path = ls.path_of(uri)
    result = ls.results.get(path) if path else None
    if result is None or not (0 <= index < len(result.sites)):
        return None
    # a message box shows plain text: drop the Markdown emphasis
    return site_markdown(ls, result.sites[index]).replace("**", "").replace("`", "")


def register(server: RagtuneLanguageServer) -> None:
    @server.command(SHOW_BREAKDOWN)
    def show_breakdown(ls: RagtuneLanguageServer, uri: str, index: int):
        text = breakdown_text(ls, uri, int(index))
        if text is None:
            ls.tell_user("ragtune: this call site has changed since the lens was shown; try again", types.MessageType.Info)
            return None
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=text))
        return text
