"""Each prompt file format read into sites: roles, exact texts, holes, locations, metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ragtune.analyzers.models import Range
from ragtune.analyzers.sources.prompt_files import prompt_file_format, read_prompt_file

FIXTURES = Path(__file__).parent / "fixtures"


def read_fixture(name: str):
    path = FIXTURES / name
    text = path.read_bytes().decode("utf-8")
    return text, read_prompt_file(str(path), text)


def text_at(text: str, where: Range) -> str:
    """The file text a range covers, lines split as LSP does (\\n, \\r\\n, \\r)."""
    lines = re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return text[offsets[where.start.line] + where.start.character : offsets[where.end.line] + where.end.character]


def assert_parts_located(text: str, prompt, yaml_block: bool = False) -> None:
    """Every text part's location covers exactly that text in the file.

    In a YAML block the covered lines also hold the block's indentation.
    """
    for part in prompt.parts:
        assert part.location is not None
        covered = text_at(text, part.location.range).replace("\r\n", "\n").replace("\r", "\n")
        if yaml_block:
            covered = re.sub(r"\n +", "\n", covered)
        if part.kind == "text":
            assert covered == part.text
        else:
            assert part.text.split()[0].strip("#/%") in covered


def test_formats_by_file_name():
    assert prompt_file_format("a/support.prompt") == "dotprompt"
    assert prompt_file_format("a/x.prompty") == "prompty"
    assert prompt_file_format("A/Review.Prompt.MD") == "vscode-prompt"
    assert prompt_file_format("x.prompt.yaml") == "github-models"
    assert prompt_file_format("prompts\\x.yml") == "yaml"
    assert prompt_file_format("x.prompt.json") == "json"
    assert prompt_file_format("t.jinja2") == "jinja"
    assert prompt_file_format("prompts/a.md") == "markdown"
    assert prompt_file_format("prompts/a.txt") == "text"
    assert prompt_file_format("prompts/README") == "text"


def test_dotprompt_support_bot():
    text, facts = read_fixture("support_bot.prompt")
    assert facts.format == "dotprompt"
    assert facts.errors == []
    assert facts.model == "googleai/gemini-2.0-flash"
    [site] = facts.sites
    assert site.kind == "prompt-file"
    assert site.model == "googleai/gemini-2.0-flash"
    assert site.has_output_schema
    # the licence-style comment line before the front matter is allowed, as dotprompt does
    assert site.range == Range.of(16, 0, 16, 17)  # {{role "system"}}
    assert site.system is not None
    assert site.system.text == (
        "You are Ada, the support assistant for Fjällräven Outfitters.\n"
        "Answer in the customer's language. Never promise refunds.\n"
        "\n"
        "{#if vip}This customer is a VIP: offer a call-back.{/if}"
    )
    assert site.system.holes == ["#if vip", "/if"]
    assert "internal" not in site.system.literal_text
    assert site.system_range == Range.of(17, 0, 20, 60)
    [user] = site.messages
    assert user.role == "user"
    assert user.prompt.text == "Hi, I am {customer_name}.\n{question}"
    assert user.prompt.holes == ["customer_name", "question"]
    # non-ASCII before a hole: columns count code points
    hole = user.prompt.parts[1]
    assert hole.location is not None and hole.location.range == Range.of(23, 9, 23, 26)
    assert_parts_located(text, site.system)
    assert_parts_located(text, user.prompt)


def test_dotprompt_history_and_media():
    text = (
        '---\nmodel: vertexai/gemini-1.5-pro\noutput:\n  schema:\n    answer: string\n---\n'
        '{{role "system"}}\nBe brief.\n{{history}}\n{{#role "user"}}\n{{media url=photo}} What is this?\n{{/role}}\n'
    )
    facts = read_prompt_file("p/describe.prompt", text)
    [site] = facts.sites
    assert site.has_output_schema
    assert site.system is not None and site.system.text == "Be brief."
    assert [(m.role, m.prompt.text) for m in site.messages] == [
        ("unknown", "{history}"),
        ("user", "{media url=photo} What is this?"),
    ]


def test_dotprompt_text_before_first_role_is_the_user_turn():
    facts = read_prompt_file("x.prompt", 'Context: {{doc}}\n{{role "system"}}\nRules.\n')
    [site] = facts.sites
    assert site.system is None
    assert [(m.role, m.prompt.text) for m in site.messages] == [("user", "Context: {doc}"), ("system", "Rules.")]


def test_dotprompt_without_roles_is_a_system_prompt():
    facts = read_prompt_file("x.prompt", "---\nmodel: m\n---\nSummarise {{text}}.\n\\{{literal}}\n")
    [site] = facts.sites
    assert site.messages == []
    assert site.system is not None and site.system.text == "Summarise {text}.\n{{literal}}"
    assert site.has_output_schema is False


def test_prompty_summarize():
    text, facts = read_fixture("summarize.prompty")
    assert facts.errors == []
    assert facts.model == "gpt-4o-mini"
    [site] = facts.sites
    assert site.has_output_schema
    assert site.range == Range.of(15, 0, 15, 7)
    assert site.system is not None
    assert site.system.text == 'You summarise support tickets in three bullet points.\nReply as JSON: {"bullets": [...]}.'
    assert site.system.holes == []
    assert site.system_range == Range.of(16, 0, 17, 34)
    [user] = site.messages
    assert user.role == "user"
    assert user.prompt.text == "{% for message in history %}\n{message.content}\n{% endfor %}\nTicket: {ticket}"
    assert user.prompt.holes == ["% for message in history %", "message.content", "% endfor %", "ticket"]
    assert_parts_located(text, site.system)
    assert_parts_located(text, user.prompt)


def test_prompty_role_word_inside_a_line_is_text():
    text = "---\nmodel: {configuration: {model: gpt-4o}}\n---\nsystem:\nIf the user: asks, answer.\nuser:  \n{{q}}"
    facts = read_prompt_file("a.prompty", text)
    [site] = facts.sites
    assert facts.model == "gpt-4o"
    assert site.has_output_schema is False
    assert site.system is not None and site.system.text == "If the user: asks, answer."
    assert [(m.role, m.prompt.text) for m in site.messages] == [("user", "{q}")]


def test_github_models_prompt_yml():
    text, facts = read_fixture("triage.prompt.yml")
    assert facts.errors == []
    assert facts.model == "openai/gpt-4o-mini"
    [site] = facts.sites
    assert site.has_output_schema
    assert site.range == Range.of(0, 0, 0, 19)
    assert site.system is not None
    assert site.system.text == "You route support tickets.\nQueues: billing, shipping, returns."
    # the block scalar's lines are found in the file: exact location
    assert site.system_range == Range.of(8, 6, 9, 41)
    [user] = site.messages
    assert user.prompt.text == "Ticket: {ticket}"
    assert user.prompt.holes == ["ticket"]
    assert user.prompt.parts[1].location.range == Range.of(11, 22, 11, 32)
    assert_parts_located(text, site.system, yaml_block=True)
    assert_parts_located(text, user.prompt)


def test_github_models_single_braces_are_text():
    facts = read_prompt_file("a.prompt.yml", "messages:\n  - role: system\n    content: Use {name} literally, {{name}} is a variable\n")
    [site] = facts.sites
    assert site.system is not None and site.system.holes == ["name"]
    assert site.system.literal_text == "Use {name} literally,  is a variable"
    assert site.has_output_schema is False


def test_vscode_prompt_md():
    text, facts = read_fixture("review.prompt.md")
    assert facts.errors == []
    assert facts.model == "Claude Sonnet 4"
    [site] = facts.sites
    assert site.messages == []
    assert site.system is not None
    assert site.system.text == (
        "Review the changes in {input:branch:main} against {#file:CONTRIBUTING.md}.\n"
        "List each problem with its file and line."
    )
    assert site.system.holes == ["input:branch:main", "#file:CONTRIBUTING.md"]
    assert site.range == Range.of(6, 0, 6, 73)
    assert_parts_located(text, site.system)


def test_jinja_template_with_loop():
    text, facts = read_fixture("catalogue.j2")
    assert facts.errors == []
    [site] = facts.sites
    assert site.system is not None
    # comment dropped; `-%}` eats the line break after the for tag; `{%-` eats the one before
    assert site.system.text == (
        "You answer questions about our catalogue.\n"
        "{% for product in products %}- {product.name}: {product.price} €\n"
        "{% endfor %}{% if promo %}\n"
        "Current promotion: {promo}\n"
        "{% endif %}"
    )
    assert "ragtune" not in site.system.literal_text
    assert site.system.holes == ["% for product in products %", "product.name", "product.price", "% endfor %", "% if promo %", "promo", "% endif %"]
    assert site.system_range == Range.of(1, 0, 7, 11)
    assert_parts_located(text, site.system)


def test_jinja_raw_block_is_literal():
    facts = read_prompt_file("a.jinja", "Show {% raw %}{{ example }}{% endraw %} as is, then {{ value }}.")
    [site] = facts.sites
    assert site.system is not None
    assert site.system.text == "Show {{ example }} as is, then {value}."
    assert site.system.holes == ["value"]


def test_plain_text_placeholders_and_json_example():
    text, facts = read_fixture("prompts/greeting.txt")
    assert facts.errors == []
    assert facts.model is None
    [site] = facts.sites
    assert site.messages == []
    assert site.system is not None
    assert site.system.holes == ["customer_name", "plan.tier"]
    assert site.system.literal_text == (
        "Greet  by name and mention their plan .\n"
        "Reply with JSON like this example:\n"
        '{"greeting": "Hello Ana", "plan": {"tier": "pro"}}'
    )
    assert site.system_range == Range.of(0, 0, 2, 50)
    assert site.system.parts[1].location.range == Range.of(0, 6, 0, 21)
    assert_parts_located(text, site.system)


@pytest.mark.parametrize(
    ("written", "holes"),
    [
        ("{name}", ["name"]),
        ("{user.name} {items[0]}", ["user.name", "items[0]"]),
        ("{{ name }} {{#each items}}x{{/each}}", ["name", "#each items", "/each"]),
        ("${name} <<name>>", ["name", "name"]),
        ('{"a": 1} {{"a": 1}} { } {} {0} {a b} {{}}', []),
        ("function() { return 1; }", []),
    ],
)
def test_plain_text_placeholder_rule(written, holes):
    [site] = read_prompt_file("prompts/p.txt", written).sites
    assert site.system is not None and site.system.holes == holes


def test_markdown_under_prompts_with_front_matter():
    facts = read_prompt_file("prompts/agent.md", "---\nmodel: gpt-4.1\n---\n# Role\nYou are {persona}.\n")
    [site] = facts.sites
    assert facts.model == "gpt-4.1"
    assert site.system is not None and site.system.text == "# Role\nYou are {persona}."


def test_generic_yaml_system_and_template():
    text = "model: gpt-4o\nsystem: >\n  You are terse.\n  Always.\ntemplate: \"Question: {question}\"\nresponse_format: {type: json_object}\n"
    facts = read_prompt_file("prompts/qa.yaml", text)
    assert facts.model == "gpt-4o"
    [site] = facts.sites
    assert site.has_output_schema
    assert site.system is not None and site.system.text == "You are terse. Always."
    # folded lines do not appear verbatim: located at the whole string
    assert site.system_range == Range.of(1, 8, 4, 0)
    assert [(m.role, m.prompt.text) for m in site.messages] == [("user", "Question: {question}")]


def test_generic_yaml_prompt_alone_is_the_system_prompt():
    [site] = read_prompt_file("prompts/p.yml", "prompt: Summarise {text} in one line.\n").sites
    assert site.system is not None and site.system.text == "Summarise {text} in one line."
    assert site.messages == []


def test_generic_yaml_several_prompts_give_several_sites():
    text = "summarise:\n  system: Summarise.\nclassify:\n  instructions: Classify.\n  model: gpt-4o-mini\nversion: 2\n"
    facts = read_prompt_file("prompts/all.yaml", text)
    assert [s.system.text for s in facts.sites] == ["Summarise.", "Classify."]  # type: ignore[union-attr]
    assert [s.model for s in facts.sites] == [None, "gpt-4o-mini"]
    assert [s.range.start.line for s in facts.sites] == [1, 3]


def test_generic_json_list_of_messages_with_tabs():
    text = '[\n\t{"role": "system", "content": "Be kind.\\nBe brief."},\n\t{"role": "user", "content": [{"type": "text", "text": "Hi {name}"}]}\n]'
    facts = read_prompt_file("prompts/chat.json", text)
    assert facts.errors == []
    [site] = facts.sites
    assert site.system is not None and site.system.text == "Be kind.\nBe brief."
    assert site.system_range == Range.of(1, 32, 1, 51)
    assert [(m.role, m.prompt.text) for m in site.messages] == [("user", "Hi {name}")]


def test_unrecognised_yaml_falls_back_to_the_whole_text():
    text = "temperature: 0.2\nnotes: keep answers short\n"
    [site] = read_prompt_file("prompts/settings.yaml", text).sites
    assert site.system is not None and site.system.text == text.strip()


def test_crlf_positions_and_text():
    text = '---\r\nmodel: gpt-4o\r\n---\r\n{{role "system"}}\r\nÜber alles: {{topic}}\r\nLine two.\r\n{{role "user"}}\r\n{{q}}\r\n'
    facts = read_prompt_file("crlf.prompt", text)
    assert facts.errors == []
    [site] = facts.sites
    assert site.system is not None
    assert site.system.text == "Über alles: {topic}\nLine two."
    assert site.system_range == Range.of(4, 0, 5, 9)
    assert site.system.parts[1].location.range == Range.of(4, 12, 4, 21)
    assert site.messages[0].prompt.parts[0].location.range == Range.of(7, 0, 7, 5)
    assert_parts_located(text, site.system)


def test_crlf_prompty_role_lines_and_yaml_locations():
    text = "---\r\nmodel: m\r\n---\r\nsystem:\r\nA\r\nuser:\r\nB\r\n"
    [site] = read_prompt_file("a.prompty", text).sites
    assert site.system is not None and site.system.text == "A"
    assert site.messages[0].prompt.text == "B"
    assert site.messages[0].location.range == Range.of(6, 0, 6, 1)

    yml = "messages:\r\n  - role: system\r\n    content: |\r\n      Première ligne {{x}}\r\n      Zweite\r\n"
    [site] = read_prompt_file("a.prompt.yml", yml).sites
    assert site.system is not None and site.system.text == "Première ligne {x}\nZweite"
    assert site.system.parts[1].location.range == Range.of(3, 21, 3, 26)
    assert site.system_range == Range.of(3, 6, 4, 12)


def test_bom_is_not_prompt_text():
    text = "\ufeffYou are {role}.\n"
    [site] = read_prompt_file("prompts/bom.txt", text).sites
    assert site.system is not None and site.system.text == "You are {role}."
    # positions index the text as given: the BOM is column 0
    assert site.system_range == Range.of(0, 1, 0, 16)

    [site] = read_prompt_file("a.prompt", "\ufeff---\nmodel: m\n---\nHi").sites
    assert site.model == "m" and site.system.text == "Hi"  # type: ignore[union-attr]
