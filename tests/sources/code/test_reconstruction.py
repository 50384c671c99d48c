"""Cross-module assembly, notebooks, positions, partial code, prefilter, caching."""

import threading
from pathlib import Path

import pytest

from ragtune.analyzers.sources.code import byte_column_to_code_point, extract_code_facts, extract_code_facts_from_file, may_contain_llm_calls
from ragtune.analyzers.sources.code.modules import MODULE_FACTS_MEMO
from ragtune.analyzers.tokens import count_tokens
from ragtune.analyzers.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"


# -- positions -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("line", "needle"),
    [("x = 'héllo' + y", "y"), ("s = '👋🏽 hi'; call()", "call"), ("t = '你好世界' + z", "z"), ("plain ascii", "ascii")],
)
def test_byte_column_to_code_point(line, needle):
    byte_column = len(line[: line.index(needle)].encode("utf-8"))
    assert byte_column_to_code_point(line, byte_column) == line.index(needle)


def test_byte_column_clamps_past_the_end():
    assert byte_column_to_code_point("é", 10) == 1
    assert byte_column_to_code_point("é", 0) == 0


def test_python_ranges_are_code_points(tmp_path):
    code = 'import anthropic\nc = anthropic.Anthropic()\nr = "ñ👍"; c.messages.create(model="claude-3-haiku", system="日本語 ok", messages=[])\n'
    (tmp_path / "a.py").write_text(code, encoding="utf-8")
    site = extract_code_facts_from_file(tmp_path / "a.py").sites[0]
    line = code.splitlines()[2]
    assert line[site.range.start.character:site.range.end.character].startswith("c.messages.create(")
    assert line[site.range.start.character:site.range.end.character].endswith("messages=[])")
    r = site.system_range
    assert line[r.start.character:r.end.character] == "日本語 ok"


# -- the multi-constant 5,000-token prompt -----------------------------------------------

def test_system_prompt_assembled_from_constants_across_two_modules_is_whole():
    root = FIXTURES / "big_app"
    site = extract_code_facts_from_file(root / "assistant/agent.py", Workspace(root)).sites[0]
    policy = (root / "assistant/policy.py").read_text()
    assert site.system.holes == []
    assert {Path(l.path).name for l in site.system.sources} == {"policy.py", "agent.py"}
    text = site.system.text
    assert text.startswith("You are the billing assistant of Acme Cloud. You follow every rule below.\n\nTriage Rules:\n- Rule 1: ")
    assert "Reply Rules:\n- Rule 101: " in text and "- Rule 259: " in text
    # no single literal is large, the sent prompt is
    assert count_tokens(text) > 5000
    assert max(count_tokens(p.text) for p in site.system.parts) < 3000
    assert text.count("- Rule ") == 259
    assert "Rule 150: when the conversation is about failed payments" in policy


# -- notebooks -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tutor.ipynb", "tutor_ascii.ipynb"])
def test_notebook_positions_map_back_to_the_ipynb(name):
    path = FIXTURES / name
    f = extract_code_facts_from_file(path, Workspace(FIXTURES))
    assert f.language == "notebook" and f.errors == []
    (site,) = f.sites
    assert site.system.text == 'Tu es un tuteur élève 😀 "patient".'
    lines = path.read_text(encoding="utf-8").splitlines()
    start = site.range.start
    assert lines[start.line][start.character:].startswith("client.chat.completions.create(")
    part = site.system.parts[0].location.range
    assert lines[part.start.line][part.start.character:].startswith("Tu es un tuteur")
    hole = site.messages[0].prompt.parts[0]
    assert hole.text == "question"
    assert lines[hole.location.range.start.line][hole.location.range.start.character:].startswith("question}")


def test_malformed_notebook_is_reported():
    f = extract_code_facts_from_file(FIXTURES / "broken.ipynb", Workspace(FIXTURES))
    assert f.sites == []
    ((rng, message),) = f.errors
    assert "malformed notebook JSON" in message and rng.start.line == 2


# -- partial code while typing ---------------------------------------------------------

PARTIAL = [
    ("python", 'from openai import OpenAI\nc = OpenAI()\nc.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": "unclosed'),
    ("python", 'from openai import OpenAI\nc = OpenAI()\nS = "You are terse."\ndef f(q):\n    c.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": S}\n'),
    ("typescript", 'import OpenAI from "openai";\nconst c = new OpenAI();\nc.chat.completions.create({ model: "gpt-4o", messages: [{ role: "system", content: `open ${'),
    ("javascript", 'import { generateText } from "ai";\ngenerateText({ system: "S", prompt: "x" '),
    ("tsx", 'import OpenAI from "openai";\nexport const A = () => <div>{new OpenAI().chat.completions.create({ model: </div>'),
    ("notebook", '{"cells": [{"cell_type": "code", "source": ["from openai import OpenAI\\n", "OpenAI().chat.completions.create(model=\\"gpt-4o\\", messages=[{\\"role\\": \\"user\\", \\"content\\": \\"hi'),
]


@pytest.mark.parametrize(("language", "code"), PARTIAL)
def test_partial_code_does_not_crash(tmp_path, language, code):
    f = extract_code_facts(str(tmp_path / "x"), code, language, Workspace(tmp_path))
    assert isinstance(f.sites, list)


def test_partial_code_still_yields_the_site(tmp_path):
    f = extract_code_facts(str(tmp_path / "x.py"), PARTIAL[1][1], "python", Workspace(tmp_path))
    (site,) = f.sites
    assert site.system.text == "You are terse."


def test_deep_concatenation_and_self_reference_terminate(tmp_path):
    terms = " + ".join(f'"p{i} "' for i in range(3000))
    code = f"from openai import OpenAI\nS = {terms}\nT = T + 'x'\nOpenAI().chat.completions.create(model='m', messages=[{{'role': 'system', 'content': S + T}}])\n"
    f = extract_code_facts(str(tmp_path / "deep.py"), code, "python", Workspace(tmp_path))
    assert f.sites[0].system.literal_text.startswith("p0 p1 ")
    assert f.sites[0].system.literal_text.count(" ") == 3000


def test_imports_outside_the_workspace_are_not_read(tmp_path):
    (tmp_path / "outside.txt").write_text("SECRET")
    root = tmp_path / "ws"
    root.mkdir()
    code = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="m", messages=[{"role": "system", "content": open("../outside.txt").read()}])\n'
    f = extract_code_facts(str(root / "a.py"), code, "python", Workspace(root))
    assert f.sites[0].system.holes and "SECRET" not in f.sites[0].system.text


def test_editor_overlay_of_an_imported_module_wins_and_memo_is_by_content(tmp_path):
    (tmp_path / "prompts.py").write_text('S = "old"\n')
    code = 'from openai import OpenAI\nfrom prompts import S\nOpenAI().chat.completions.create(model="m", messages=[{"role": "system", "content": S}])\n'
    ws = Workspace(tmp_path)
    assert extract_code_facts(str(tmp_path / "a.py"), code, "python", ws).sites[0].system.text == "old"
    ws.set_overlay(str(tmp_path / "prompts.py"), 'S = "new"\n')
    assert extract_code_facts(str(tmp_path / "a.py"), code, "python", ws).sites[0].system.text == "new"
    assert sum(1 for key in ws._memo if key[0] == MODULE_FACTS_MEMO and key[1].endswith("prompts.py")) == 1


def test_parsing_from_several_threads(tmp_path):
    code = (FIXTURES / "py_app/app/providers.py").read_text()
    results = []

    def work():
        results.append(len(extract_code_facts(str(tmp_path / "p.py"), code, "python", Workspace(tmp_path)).sites))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [6] * 8


# -- prefilter -------------------------------------------------------------------------

def _positive_fixtures():
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix in {".py", ".ts", ".tsx", ".js", ".ipynb"} and path.name != "broken.ipynb":
            root = next(p for p in [FIXTURES / "py_app", FIXTURES / "js_app", FIXTURES / "big_app", FIXTURES] if p in path.parents)
            facts = extract_code_facts_from_file(path, Workspace(root))
            if facts.sites or facts.retrieval:
                yield path


def test_every_positive_fixture_passes_the_prefilter():
    positives = list(_positive_fixtures())
    assert len(positives) >= 15
    for path in positives:
        assert may_contain_llm_calls(path.read_text(encoding="utf-8")), path


def test_prefilter_rejects_plain_code_and_sees_split_chains():
    assert not may_contain_llm_calls("def add(a, b):\n    return a + b\n")
    assert not may_contain_llm_calls("Order.objects.create(total=3)\nmessages.info(request, 'saved')\n")
    assert may_contain_llm_calls("from .clients import client\nclient.messages\n    .create(system=S)\n")
    assert may_contain_llm_calls('import { generateText } from "ai";')


def test_client_imported_from_another_module_is_evidence(tmp_path):
    (tmp_path / "clients.py").write_text("import anthropic\nclaude = anthropic.Anthropic()\n")
    code = 'from clients import claude\nclaude.messages.create(model="claude-3-haiku", system="Be short.", messages=[])\n'
    f = extract_code_facts(str(tmp_path / "a.py"), code, "python", Workspace(tmp_path))
    assert [(s.sdk, s.system.text) for s in f.sites] == [("anthropic", "Be short.")]
    assert may_contain_llm_calls(code)


def test_format_and_percent_templates_keep_unknown_fields_as_holes(tmp_path):
    from ragtune.analyzers.sources.code import extract_code_facts
    from ragtune.analyzers.workspace import Workspace

    src = (
        "from openai import OpenAI\nc = OpenAI()\n"
        'T = "Hi {name}, {{x}} {0} tone={tone}"\n'
        'P = "Dear %s, 100%% %(k)s"\n'
        "def f(u):\n"
        '    c.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": T.format("a", name=u, tone="warm")},'
        ' {"role": "user", "content": P % (u,)}])\n'
    )
    site = extract_code_facts(str(tmp_path / "x.py"), src, "python", Workspace(tmp_path)).sites[0]
    assert site.system.text == "Hi {name}, {x} a tone=warm"
    assert site.system.holes == ["name"]
    assert [(m.role, m.prompt.text) for m in site.messages] == [("user", "Dear {u}, 100% {k}")]
