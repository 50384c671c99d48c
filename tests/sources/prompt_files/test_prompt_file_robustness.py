"""Broken, empty, binary and huge prompt files: reported in ``errors``, never raised."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ragtune.analyzers.models import Range
from ragtune.analyzers.sources.prompt_files import read_prompt_file

ALL_FORMATS = [
    "p.prompt", "p.prompty", "p.prompt.md", "p.prompt.yml", "prompts/p.yaml",
    "prompts/p.json", "p.j2", "prompts/p.md", "prompts/p.txt",
]


def test_invalid_yaml_front_matter_is_reported_and_the_body_still_read():
    text = "---\nmodel: [gpt-4o\nconfig: {\n---\nYou are {{name}}.\n"
    facts = read_prompt_file("bad.prompt", text)
    [(where, message)] = facts.errors
    assert message.startswith("front matter is not valid YAML: ")
    assert "(line " in message
    assert where == Range.of(0, 0, 3, 3)
    [site] = facts.sites
    assert site.system is not None and site.system.text == "You are {name}."
    assert site.model is None


def test_front_matter_that_is_a_list_is_reported():
    facts = read_prompt_file("list.prompty", "---\n- model: gpt-4o\n---\nsystem:\nHi\n")
    [(where, message)] = facts.errors
    assert message == "front matter is a list, not a mapping of settings; its settings are ignored"
    assert where == Range.of(0, 0, 2, 3)
    assert facts.model is None
    assert facts.sites[0].system.text == "Hi"  # type: ignore[union-attr]


def test_front_matter_that_is_a_scalar_is_reported():
    facts = read_prompt_file("s.prompt.md", "---\njust words\n---\nBody\n")
    [(_, message)] = facts.errors
    assert message.startswith("front matter is a str, not a mapping")


def test_unterminated_front_matter_reads_the_whole_file():
    text = "---\nmodel: gpt-4o\nYou are helpful.\n"
    facts = read_prompt_file("open.prompt", text)
    [(where, message)] = facts.errors
    assert message == "front matter has no closing `---` line; the whole file is read as the prompt"
    assert where == Range.of(0, 0, 0, 3)
    assert facts.sites[0].system.text == text.strip()  # type: ignore[union-attr]

    # a lone opening line, nothing else
    facts = read_prompt_file("open.prompt", "---")
    assert [m for _, m in facts.errors] == ["front matter has no closing `---` line; the whole file is read as the prompt"]


def test_markdown_horizontal_rule_at_the_top_is_not_an_error():
    facts = read_prompt_file("prompts/notes.md", "---\nSome prose.\n")
    assert facts.errors == []
    assert facts.sites[0].system.text == "---\nSome prose."  # type: ignore[union-attr]


def test_yaml_dates_that_do_not_exist_are_reported():
    facts = read_prompt_file("d.prompt", "---\nupdated: 2024-13-45\n---\nHi\n")
    [(_, message)] = facts.errors
    assert message.startswith("front matter could not be read")
    assert facts.sites[0].system.text == "Hi"  # type: ignore[union-attr]


def test_yaml_python_tags_are_refused_not_executed():
    facts = read_prompt_file("t.prompt", "---\nmodel: !!python/object/apply:os.system ['echo hi']\n---\nHi\n")
    [(_, message)] = facts.errors
    assert message.startswith("front matter is not valid YAML: ")
    facts = read_prompt_file("prompts/t.yaml", "system: !!python/name:os.system\n")
    assert facts.sites  # the tag is only composed, never constructed


def test_invalid_structured_files_fall_back_to_text():
    facts = read_prompt_file("prompts/bad.yaml", "system: ok\n  bad: [indent\n")
    [(where, message)] = facts.errors
    assert message.startswith("not valid YAML: ")
    assert where.start.line == 1
    assert facts.sites[0].system.text == "system: ok\n  bad: [indent"  # type: ignore[union-attr]

    facts = read_prompt_file("prompts/bad.json", '{\n  "system": "x",\n  oops\n}')
    [(where, message)] = facts.errors
    assert message.startswith("not valid JSON: ")
    assert where == Range.of(2, 0, 2, 6)
    assert facts.sites[0].system is not None


def test_unterminated_template_tags_are_reported():
    facts = read_prompt_file("u.j2", "Hello {{ name }} and {% if x\nrest")
    [(where, message)] = facts.errors
    assert message == "unterminated `{%` tag: the template engine will reject this file"
    assert where == Range.of(0, 21, 0, 23)
    assert facts.sites[0].system.text == "Hello {name} and {% if x\nrest"  # type: ignore[union-attr]

    facts = read_prompt_file("u.prompt", "Hi {{name")
    assert [m for _, m in facts.errors] == ["unterminated `{{` tag: the template engine will reject this file"]


@pytest.mark.parametrize("path", ALL_FORMATS)
@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff", "\r\n"])
def test_empty_files_give_an_empty_site(path, text):
    facts = read_prompt_file(path, text)
    assert facts.errors == []
    [site] = facts.sites
    assert site.system is None and site.messages == []
    assert site.range == Range.of(0, 0, 0, 0)


@pytest.mark.parametrize("path", ALL_FORMATS)
def test_binary_looking_text_is_reported(path):
    facts = read_prompt_file(path, "PK\x03\x04\x00\x00\x08\x00" + "\x01\x02" * 50)
    assert facts.sites == []
    assert [m for _, m in facts.errors] == ["file looks binary (control characters); not read as a prompt"]


@pytest.mark.parametrize("path", ["p.prompt.yml", "prompts/p.yaml", "prompts/p.json", "p.prompt"])
def test_deep_nesting_is_reported(path):
    nested = "[" * 5_000 + "]" * 5_000
    text = f"---\nmodel: {nested}\n---\nHi\n" if path.endswith(".prompt") else f"messages: {nested}\n"
    if path.endswith(".json"):
        text = '{"messages": ' + nested + "}"
    facts = read_prompt_file(path, text)
    [(_, message)] = facts.errors
    assert message.endswith("nested too deeply to read")
    assert len(facts.sites) == 1


def test_alias_bomb_in_metadata_stays_small():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 9):
        bomb += f"l{level}: &l{level} [" + ", ".join([f"*{'a' if level == 1 else 'l' + str(level - 1)}"] * 9) + "]\n"
    text = bomb + "model: gpt-4o\nmodelParameters: *l8\nmessages:\n  - role: system\n    content: Hi\n"
    facts = read_prompt_file("bomb.prompt.yml", text)
    assert facts.model == "gpt-4o"
    assert facts.sites[0].system.text == "Hi"  # type: ignore[union-attr]


# Inputs built to make a careless scanner quadratic.  At this size a quadratic pass
# would take hours; the linear one takes about a second.
ADVERSARIAL = [
    "{{" * 1_000_000,
    "{%" * 1_000_000,
    "{#" * 1_000_000,
    "{" * 2_000_000,
    "${" * 1_000_000,
    "<<" * 1_000_000,
    "{a" * 1_000_000,
    "{{a" * 700_000,
    "#file:" * 300_000,
    " " * 2_000_000 + "x",
    "\n" * 1_000_000,
    "\r" * 1_000_000,
    "system:" * 300_000,
    "\n   \t " * 300_000,
    "---\n" * 500_000,
]


@pytest.mark.parametrize("path", ["p.prompt", "p.prompty", "p.j2", "p.prompt.md", "prompts/p.txt"])
@pytest.mark.parametrize("text", ADVERSARIAL, ids=[repr(t[:8]) for t in ADVERSARIAL])
def test_adversarial_text_is_linear(path, text):
    facts = read_prompt_file(path, text)
    assert len(facts.sites) == 1


def test_a_20_mb_prompt_is_read():
    paragraph = "Dear {customer_name},\n" + "You are a helpful assistant. Answer with facts ünïcode.\n" * 10
    text = paragraph * (20_000_000 // len(paragraph))
    facts = read_prompt_file("prompts/huge.txt", text)
    [site] = facts.sites
    assert site.system is not None
    assert len(site.system.holes) == text.count("{customer_name}")
    last = site.system.parts[-1]
    assert last.location is not None and last.location.range.end.line == text.count("\n") - 1


@pytest.mark.parametrize("path", ALL_FORMATS)
def test_random_fragments_never_raise(path):
    fragments = [
        "---\n", "---\r\n", "model: x\n", "{{", "}}", "{%", "%}", "{#", "#}", "{{role 'user'}}", "{{history}}",
        "system:\n", "user:\r\n", "messages:\n", "  - role: system\n", "    content: |\n", "      hi {{x}}\n",
        "[", "]", "{", "}", '"', "'", "\\", "\t", "\r", "é😀", "${input:a}", "#file:x.md", "{% raw %}", "{% endraw %}",
        "{{~", "~}}", "{{-", "-}}", ": ", "- ", "&a ", "*a ", "!!str ", "\ufeff", "\u2028", "\x85", "\x0b",
    ]
    rng = random.Random(1234)
    for _ in range(300):
        text = "".join(rng.choice(fragments) for _ in range(rng.randint(0, 40)))
        facts = read_prompt_file(path, text)
        for site in facts.sites:
            for prompt in [site.system, *(m.prompt for m in site.messages)]:
                for part in prompt.parts if prompt else []:
                    start, end = part.location.range.start, part.location.range.end  # type: ignore[union-attr]
                    assert (start.line, start.character) <= (end.line, end.character)


def test_libyaml_and_python_loaders_read_the_same_facts(monkeypatch):
    """The fast C loader is an implementation detail: every fixture reads the same with
    the pure-Python loader (forced by a zero nesting allowance)."""
    from ragtune.analyzers.sources import prompt_files, yaml_loading
    from ragtune.analyzers.sources.code import files as code_files

    fixtures = sorted(p for p in (Path(__file__).parent / "fixtures").rglob("*") if p.is_file())
    structured = [p for p in fixtures if p.suffix in (".yml", ".yaml", ".prompt", ".prompty", ".json")]
    assert structured
    fast = {p: prompt_files.read_prompt_file(str(p), p.read_text("utf-8")).model_dump() for p in structured}
    # data files that code loads by path are read with the same loader choice
    data_files = [p for p in structured if p.suffix in (".yml", ".yaml", ".json")]
    fast_data = {p: repr(code_files.parse_data(p.read_text("utf-8"), str(p))) for p in data_files}
    monkeypatch.setattr(yaml_loading, "C_LOADER_MAX_DEPTH", 0)
    for p in structured:
        assert prompt_files.read_prompt_file(str(p), p.read_text("utf-8")).model_dump() == fast[p], p
    for p in data_files:
        assert repr(code_files.parse_data(p.read_text("utf-8"), str(p))) == fast_data[p], p
    # deep nesting never reaches libyaml
    assert yaml_loading.safe_loader_for("a: " + "[" * 5_000) is yaml_loading.yaml.SafeLoader


def test_a_data_file_nested_past_reading_is_no_value_not_a_crash():
    from ragtune.analyzers.sources.code.files import parse_data

    assert parse_data("[" * 100_000 + "]" * 100_000, "deep.json") is None
    assert parse_data("a:\n" + "".join(" " * i + "- b:\n" for i in range(1, 3_000)), "deep.yaml") is None
