"""The position boundary and the engine-side fix builders, without a server."""

from __future__ import annotations

import pytest

from ragtune.analyzers.fixes import disable_fix, knowledge_file_fix
from ragtune.analyzers.models import Evidence, Finding, Location, Range, Remedy, Severity
from ragtune.server.lsp.positions import UTF8, UTF16, UTF32, from_client, range_to_client, to_client

LINE = "a🚀é東x"  # ASCII, astral (2 UTF-16 units, 4 bytes), Latin-1 (2 bytes), CJK (3 bytes)


@pytest.mark.parametrize(
    "encoding, expected",
    [(UTF16, [0, 1, 3, 4, 5, 6]), (UTF8, [0, 1, 5, 7, 10, 11]), (UTF32, [0, 1, 2, 3, 4, 5])],
)
def test_to_client_and_back(encoding, expected):
    assert [to_client(LINE, cp, encoding) for cp in range(len(LINE) + 1)] == expected
    assert [from_client(LINE, unit, encoding) for unit in expected] == list(range(len(LINE) + 1))


def test_columns_past_the_end_clamp_and_inside_a_character_land_on_it():
    assert to_client(LINE, 99, UTF16) == 6
    assert from_client(LINE, 2, UTF16) == 1  # the middle of the surrogate pair: the emoji
    assert from_client(LINE, 3, UTF8) == 1  # a byte inside the emoji
    assert from_client(LINE, 99, UTF8) == len(LINE)


def test_range_conversion_uses_each_end_lines_text():
    lines = ["🚀🚀 start", "plain", "東京 end"]
    assert range_to_client(lines, [0, 2, 2, 2], UTF16) == (0, 4, 2, 2)
    assert range_to_client(lines, [0, 2, 2, 2], UTF8) == (0, 8, 2, 6)


def _finding(code: str, path: str, rng: Range, evidence=()) -> Finding:
    return Finding(code=code, name="x", message="m", severity=Severity.WARNING, remedy=Remedy.RAG, path=path, range=rng, evidence=list(evidence))


def test_disable_goes_after_the_string_never_inside_it():
    text = 'SYSTEM = """line one\nline two\n"""\nX = 1  # ragtune: ignore[RAG102]\n'
    fix = disable_fix("FT201", "/w/a.py", Range.of(0, 9, 2, 3), text, "python")
    (edit,) = fix.file_edits[0].edits
    assert edit.range.start.line == 2 and edit.new_text == "  # ragtune: ignore[FT201]"
    # a directive already on the line gets the code added
    fix = disable_fix("FT202", "/w/a.py", Range.of(3, 0, 3, 5), text, "python")
    assert fix.file_edits[0].edits[0].new_text == "ragtune: ignore[RAG102, FT202]"
    # partial code that does not tokenize: no guess
    assert disable_fix("FT201", "/w/a.py", Range.of(0, 9, 1, 3), 'S = """open\n', "python") is None
    # a Jinja prompt uses its own comment syntax
    fix = disable_fix("FT201", "/w/p.j2", Range.of(0, 0, 0, 0), "Hello {{ name }}\n", "prompt")
    assert fix.file_edits[0].edits[0].new_text == "  {# ragtune: ignore[FT201] #}"


def test_knowledge_fix_moves_whole_lines_of_the_literal(tmp_path):
    text = 'SYSTEM = """You are the bot.\nThe Pro plan costs $49.\nRefunds within 30 days.\nBe brief.\n"""\n'
    path = str(tmp_path / "bot.py")
    ev = [Evidence(message="price", location=Location(path=path, range=Range.of(1, 19, 1, 19))), Evidence(message="policy", location=Location(path=path, range=Range.of(2, 0, 2, 0)))]
    fix = knowledge_file_fix(_finding("RAG102", path, Range.of(0, 9, 4, 3), ev), text, "python")
    assert fix.applicability.value == "unsafe"
    (new,) = fix.new_files
    assert new.path.endswith("knowledge/bot.md") and "The Pro plan costs $49.\nRefunds within 30 days." in new.content
    (edit,) = fix.file_edits[0].edits
    assert (edit.range.start.line, edit.range.end.line) == (1, 3) and edit.new_text.startswith("[Retrieved facts")
    # an existing knowledge file is never reused
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "bot.md").write_text("mine", "utf-8")
    assert knowledge_file_fix(_finding("RAG102", path, Range.of(0, 9, 4, 3), ev), text, "python").new_files[0].path.endswith("bot-2.md")
