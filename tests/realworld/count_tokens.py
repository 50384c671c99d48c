"""A labelling aid: exact o200k_base token counts of a file, a line range or its literals.

    python tests/realworld/count_tokens.py FILE[:START-END] ... [--literals] [--encoding E]
    some-command | python tests/realworld/count_tokens.py -

``--literals`` counts only the text of the string literals inside the range (Python
through ``ast``, JavaScript and TypeScript through tree-sitter; f-string and template
holes left out), which is what a prompt written in code sends before its holes are
filled.  Nothing is imported or run from the file: it is only parsed.  This counts
tokens; it is not ragtune's judgment, which labels must never be read from.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

from ragtune.analyzers.tokens import count_tokens


def _python_literals(source: str, start: int, end: int) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            continue  # its constant parts are visited as Constant nodes
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if start <= node.lineno and node.end_lineno <= end:
                out.append((node.lineno, node.col_offset, node.value))
    return [text for _, _, text in sorted(out)]


def _js_literals(source: bytes, suffix: str, start: int, end: int) -> list[str]:
    import tree_sitter
    import tree_sitter_javascript
    import tree_sitter_typescript

    if suffix in (".ts", ".mts", ".cts"):
        language = tree_sitter_typescript.language_typescript()
    elif suffix == ".tsx":
        language = tree_sitter_typescript.language_tsx()
    else:
        language = tree_sitter_javascript.language()
    tree = tree_sitter.Parser(tree_sitter.Language(language)).parse(source)
    out: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("string_fragment", "escape_sequence") and start - 1 <= node.start_point[0] <= end - 1:
            out.append((node.start_byte, node.text.decode("utf-8", "replace")))
        stack.extend(node.children)
    return [text for _, text in sorted(out)]


def literal_text(path: Path, start: int, end: int) -> str:
    raw = path.read_bytes()
    if path.suffix == ".py":
        return "".join(_python_literals(raw.decode("utf-8", "replace"), start, end))
    if path.suffix in (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"):
        return "".join(_js_literals(raw, path.suffix, start, end))
    raise SystemExit(f"--literals reads Python, JavaScript and TypeScript, not {path.suffix or 'this file'}")


def _target(text: str) -> tuple[Path, int | None, int | None]:
    m = re.match(r"^(.*?):([0-9]+)(?:-([0-9]+))?$", text)
    if m is None or Path(text).exists():
        return Path(text), None, None
    return Path(m[1]), int(m[2]), int(m[3] or m[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", help="FILE, FILE:LINE, FILE:START-END, or - for stdin")
    parser.add_argument("--literals", action="store_true", help="count the string literals' text only")
    parser.add_argument("--encoding", default="o200k_base", choices=("o200k_base", "cl100k_base"))
    args = parser.parse_args(argv)
    total = 0
    for target in args.targets:
        if target == "-":
            text = sys.stdin.read()
        else:
            path, start, end = _target(target)
            lines = path.read_text("utf-8", "replace").splitlines(keepends=True)
            start, end = (start, end) if start else (1, len(lines))
            text = literal_text(path, start, end) if args.literals else "".join(lines[start - 1:end])
        n = count_tokens(text, args.encoding)
        total += n
        print(f"{n:>8,}  {target}")
    if len(args.targets) > 1:
        print(f"{total:>8,}  in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
