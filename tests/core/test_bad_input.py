"""Bad input never crashes a run: it is reported (RT002) or analysed as far as it parses."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ragtune.analyzers.engine import Engine
from ragtune.analyzers.workspace import Workspace

RAGTUNE = str(Path(sys.executable).with_name("ragtune"))
BIG_PROMPT = "Always answer in JSON with the keys a, b and c. Never add other keys. " * 400


def check(tmp_path: Path, *paths: str):
    out = subprocess.run([RAGTUNE, "check", "--output-format", "json", *paths], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode in (0, 1), out.stderr
    assert "Traceback" not in out.stderr
    return json.loads(out.stdout)


def test_binary_and_invalid_utf8_are_reported_and_the_rest_analysed(tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "logo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "prompts" / "latin1.md").write_bytes("Prix: 19,99 \u20ac".encode("cp1252"))
    (tmp_path / "prompts" / "big.md").write_text(BIG_PROMPT)
    findings = check(tmp_path, ".")
    by_path = {(f["path"], f["code"]) for f in findings}
    assert ("prompts/logo.txt", "RT002") in by_path
    assert ("prompts/latin1.md", "RT002") in by_path
    assert ("prompts/big.md", "FT201") in by_path
    messages = {f["path"]: f["message"] for f in findings if f["code"] == "RT002"}
    assert "binary" in messages["prompts/logo.txt"]
    assert "UTF-8" in messages["prompts/latin1.md"]


def test_huge_single_line_file_is_reported_not_parsed(tmp_path):
    (tmp_path / "huge.py").write_text("x = '" + "a" * (50 * 1024 * 1024) + "'\n")
    findings = check(tmp_path, "huge.py")
    assert [f["code"] for f in findings] == ["RT002"]
    assert "MB" in findings[0]["message"]


@pytest.mark.parametrize(
    "source",
    [
        'from openai import OpenAI\nc = OpenAI()\nc.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": "x',
        'import openai\ndef f(:\n    openai.chat.completions.create(\n',
        "const x = `unterminated ${\nimport OpenAI from 'openai'\n",
        "\x00\x01 not code",
    ],
)
def test_partial_code_while_typing(tmp_path, source):
    path = tmp_path / ("a.py" if "import openai" in source or "OpenAI()" in source else "a.ts")
    engine = Engine(Workspace(tmp_path))
    findings = engine.analyze_file(str(path), text=source)
    assert all(f.code != "RT002" or "internal error" not in f.message for f in findings)


def test_broken_front_matter_still_analyses_the_body(tmp_path):
    (tmp_path / "support.prompt").write_text("---\nmodel: gpt-4o\nconfig: {temperature: 0.2\n---\n" + BIG_PROMPT)
    codes = {f["code"] for f in check(tmp_path, "support.prompt")}
    assert "RT002" in codes and "FT201" in codes


def test_crlf_prompt_positions(tmp_path):
    (tmp_path / "prompts").mkdir()
    text = "Intro line\r\n\r\n" + BIG_PROMPT.replace(". ", ".\r\n")
    (tmp_path / "prompts" / "crlf.txt").write_bytes(text.encode())
    findings = check(tmp_path, ".")
    assert any(f["code"] == "FT201" for f in findings)


def test_hints_are_shown_but_do_not_fail_the_run(tmp_path):
    """A behaviour dataset gets a DS300 profile hint (and no RAG101); a hint alone exits 0."""
    import json as _json

    lines = [
        _json.dumps({"messages": [{"role": "user", "content": f"Rewrite politely: ticket {i} is late"}, {"role": "assistant", "content": f'{{"tone": "polite", "ticket": {i}}}'}]})
        for i in range(300)
    ]
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "valid.jsonl").write_text("\n".join(lines[:20]) + "\n")
    out = subprocess.run([RAGTUNE, "check", "--output-format", "json", "--select", "RAG101,DS300,DS301", "train.jsonl"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    findings = _json.loads(out.stdout)
    assert findings and all(f["severity"] == "hint" for f in findings), findings
    assert "DS300" in {f["code"] for f in findings} and "RAG101" not in {f["code"] for f in findings}
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_prompt_of_a_million_spaces_is_counted_and_the_rest_analysed(tmp_path, jobs):
    # one run of ~500,000 spaces overflowed tiktoken's stack: a panic ended the whole check
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "spaces.md").write_text("You are a bot." + " " * 1_000_000 + "Answer.")
    (tmp_path / "prompts" / "big.md").write_text(BIG_PROMPT)
    out = subprocess.run([RAGTUNE, "check", "--output-format", "json", "--no-cache", "--jobs", jobs, "."], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 1, out.stderr
    by_path = {(f["path"], f["code"]) for f in json.loads(out.stdout)}
    assert {("prompts/spaces.md", "FT201"), ("prompts/big.md", "FT201")} <= by_path


def test_counting_in_pieces_matches_one_pass_on_ordinary_text():
    from ragtune.analyzers.tokens import PIECE_CHARS, _count, get_encoding

    text = ("Answer in JSON. Keep the tone friendly, and cite nothing. " * 20000)[: 3 * PIECE_CHARS]
    assert _count(text, "o200k_base") == len(get_encoding("o200k_base").encode_ordinary(text))


def test_a_panic_in_a_rule_is_that_rule_s_rt002_and_the_other_rules_still_run(tmp_path, monkeypatch):
    class PanicException(BaseException):  # what pyo3 raises for a panic in a Rust extension
        pass

    engine = Engine(Workspace(tmp_path))
    original = engine._run_rule

    def run_rule(code, ctx):
        if code == "FT205":
            raise PanicException("called `Result::unwrap()` on an `Err` value")
        return original(code, ctx)

    monkeypatch.setattr(engine, "_run_rule", run_rule)
    (tmp_path / "prompts").mkdir()
    path = tmp_path / "prompts" / "big.md"
    path.write_text(BIG_PROMPT)
    findings = engine.analyze_file(str(path))
    codes = {f.code for f in findings}
    assert "FT201" in codes and "RT002" in codes
    assert any("internal error in rule FT205 (PanicException)" in f.message for f in findings)


def test_an_interrupt_is_not_swallowed(tmp_path, monkeypatch):
    engine = Engine(Workspace(tmp_path))
    monkeypatch.setattr(engine, "_run_rule", lambda code, ctx: (_ for _ in ()).throw(KeyboardInterrupt()))
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "big.md").write_text(BIG_PROMPT)
    with pytest.raises(KeyboardInterrupt):
        engine.analyze_file(str(tmp_path / "prompts" / "big.md"))


def _deep(depth: int, open_: str, close: str, leaf: str) -> str:
    return open_ * depth + leaf + close * depth


@pytest.mark.parametrize(
    "name, source",
    [
        ("deep.py", "from openai import OpenAI\nc = OpenAI()\nDEEP = " + _deep(400, '("a" + ', ")", '"a"')
         + f"\nSYSTEM = {BIG_PROMPT!r}\n"
         + 'c.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": SYSTEM}])\n'),
        ("deep.js", "import OpenAI from 'openai';\nconst c = new OpenAI();\nconst x = 1;\nconst deep = " + _deep(1000, "(", ")", "x")
         + f";\nconst SYSTEM = {json.dumps(BIG_PROMPT)};\n"
         + 'c.chat.completions.create({model: "gpt-4o", messages: [{role: "system", content: SYSTEM}]});\n'),
    ],
)
def test_deeply_nested_expressions_do_not_lose_the_file(tmp_path, name, source):
    # 400 nested parentheses in Python (1,000 in JavaScript) exhausted the stack while
    # lowering: the whole file was RT002
    (tmp_path / name).write_text(source)
    findings = check(tmp_path, name)
    assert [f["code"] for f in findings if f["code"] == "RT002"] == []
    assert "FT201" in {f["code"] for f in findings}
