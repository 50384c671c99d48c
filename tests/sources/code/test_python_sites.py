"""Call sites and reconstructed prompts in Python fixtures (tests/sources/code/fixtures/py_app)."""

from pathlib import Path

import pytest

from ragtune.analyzers.sources.code import extract_code_facts_from_file
from ragtune.analyzers.workspace import Workspace

APP = Path(__file__).parent / "fixtures" / "py_app"
ROLE = "You are Ada, the billing assistant for Acme Cloud."
SYSTEM = ROLE + "\n\nBe concise. Never apologise more than once.\n\n" + 'Answer in JSON with keys "answer" and "confidence".'


def facts(name, root=APP):
    return extract_code_facts_from_file(root / name, Workspace(root))


def site_at(facts_, line):
    return next(s for s in facts_.sites if s.range.start.line == line)


def test_openai_chat_constants_across_modules_fstring_dedent_and_few_shot():
    f = facts("app/openai_chat.py")
    site = site_at(f, 22)
    assert (site.sdk, site.api, site.model) == ("openai", "chat.completions.create", "gpt-4o-mini")
    assert site.system.text == SYSTEM + "\n" + "\nYou help {user_name}.\nUse British spelling.\n"
    assert site.system.holes == ["user_name"]
    assert [(m.role, m.prompt.text) for m in site.messages] == [
        ("user", "I was charged twice"),
        ("assistant", '{"answer": "refund", "confidence": 0.9}'),
        ("user", "{question}"),
    ]
    assert site.has_output_schema
    assert site.retrieval == []
    # each part points where it is written: the role in prompts/__init__.py, the f-string here
    sources = {Path(loc.path).name for loc in site.system.sources}
    assert sources == {"__init__.py", "openai_chat.py"}
    role_part = site.system.parts[0]
    assert role_part.text == ROLE and role_part.location.range.start.line == 2
    hole = next(p for p in site.system.parts if p.kind == "hole")
    line = (APP / "app/openai_chat.py").read_text().splitlines()[hole.location.range.start.line]
    assert line[hole.location.range.start.character:hole.location.range.end.character] == "user_name"


def test_responses_api_instructions_format_and_class_constant():
    site = site_at(facts("app/openai_chat.py"), 36)
    assert site.api == "responses.create" and site.model == "gpt-4.1"
    assert site.system.text == ROLE
    assert site.system_range is None  # written in another module
    assert [(m.role, m.prompt.text) for m in site.messages] == [("user", "Hello Sam, how can I help?\nTone: warm. Ask {who}")]


def test_legacy_completion_percent_format_and_join():
    site = site_at(facts("app/openai_chat.py"), 41)
    assert site.api == "completions.create"
    assert site.messages[0].prompt.text == "Write a haiku.\nTopic: {topic}\nKeep it 3 lines."


def test_anthropic_system_blocks_files_and_few_shot_from_json_and_yaml():
    site = facts("app/anthropic_bot.py").sites[0]
    assert (site.sdk, site.model) == ("anthropic", "claude-3-5-sonnet-latest")
    assert site.system.text == "You are a careful support agent.\n\n" + ROLE + ' Answer in JSON with keys "answer" and "confidence".'
    assert [(m.role, m.prompt.text) for m in site.messages] == [
        ("user", "Reset my password"), ("assistant", '{"intent": "password_reset"}'),
        ("user", "Cancel my plan"), ("assistant", '{"intent": "cancel"}'), ("user", "{ticket}"),
    ]
    assert [Path(p).relative_to(APP).as_posix() for p in site.loaded_files] == ["app/prompts/system.txt", "data/few_shot.json", "data/examples.yaml"]
    # a few-shot string loaded from JSON points at its own line in the JSON file
    loc = site.messages[1].prompt.parts[0].location
    assert Path(loc.path).name == "few_shot.json" and loc.range.start.line == 2


def test_file_reads_jinja_cleandoc_and_getenv_default_model():
    site = facts("app/files_loaded.py").sites[0]
    assert site.model == "gpt-4o"
    assert site.system.text == "Summarise the ticket in three bullet points.\n"
    assert site.messages[0].prompt.text == "Ticket follows.\n  Keep quotes verbatim.\nQuestion: {question}\nAnswer politely.\n"
    assert {Path(p).name for p in site.loaded_files} == {"summary.md", "answer.j2"}


@pytest.mark.parametrize(
    ("line", "sdk", "api", "model", "schema"),
    [
        (16, "google", "models.generate_content", "gemini-2.0-flash", True),
        (21, "mistral", "chat.complete", "mistral-large-latest", False),
        (22, "cohere", "chat", "command-r-plus", False),
        (23, "ollama", "chat", "llama3.1", False),
        (24, "litellm", "completion", "gpt-4o", False),
        (25, "bedrock", "converse", "anthropic.claude-3-haiku-20240307-v1:0", False),
    ],
)
def test_other_python_sdks(line, sdk, api, model, schema):
    site = site_at(facts("app/providers.py"), line)
    assert (site.sdk, site.api, site.model, site.has_output_schema) == (sdk, api, model, schema)
    assert site.system.text == "You translate English to French."
    assert site.system_range.start.line == 8
    assert [(m.role, m.prompt.text) for m in site.messages] == [("user", "{text}")]


def test_langchain_template_structured_output_and_standalone_system_message():
    f = facts("app/lc.py")
    assert [(s.api, s.range.start.line) for s in f.sites] == [("ChatPromptTemplate.from_messages", 12), ("invoke", 23), ("SystemMessage", 26)]
    template, invoke, standalone = f.sites
    assert template.system.text == ROLE + " Reply about {topic}."
    assert template.system.holes == ["topic"]
    assert [(m.role, m.prompt.text) for m in template.messages] == [("unknown", "{history}"), ("user", "{question}")]
    assert invoke.model == "gpt-4o" and invoke.has_output_schema
    assert invoke.system.text == "You grade answers."
    assert standalone.system.text == "Standalone system text"


def test_agent_frameworks_and_instructor():
    f = facts("app/agents_py.py")
    by_sdk = {s.sdk: s for s in f.sites}
    assert set(by_sdk) == {"pydantic-ai", "openai-agents", "instructor"}
    assert by_sdk["pydantic-ai"].system.text == SYSTEM and by_sdk["pydantic-ai"].has_output_schema
    assert by_sdk["openai-agents"].system.text == "Route the ticket to billing or tech." and by_sdk["openai-agents"].model == "gpt-4.1-mini"
    assert by_sdk["instructor"].has_output_schema


def test_retrieval_feeding_the_call():
    f = facts("app/rag.py")
    answer, browse, tool = f.sites
    assert answer.system.text == "Answer from the context only.\n{context}"
    assert any("search_docs" in e.message and "similarity_search" in e.message for e in answer.retrieval)
    assert [e.message for e in browse.retrieval] == ["search-backed model: gpt-4o-search-preview"]
    assert any("web_search" in e.message for e in tool.retrieval)
    assert any("similarity_search" in e.message for e in f.retrieval)


def test_lookalikes_are_not_sites_and_a_retriever_elsewhere_does_not_feed_the_call():
    f = facts("app/lookalikes.py")
    assert [(s.api, s.range.start.line) for s in f.sites] == [("chat.completions.create", 18)]
    assert f.sites[0].retrieval == []
    assert f.sites[0].system is None
    # a prompt-looking string never sent is a constant, not a site
    assert f.constants["UNUSED_PROMPT"].text.startswith("You are a pirate.")
    store = facts("app/store.py")
    assert store.sites == [] and {e.message.split(":")[0] for e in store.retrieval} >= {"vector store", "retriever", "embeddings"}


def test_import_cycle_terminates_with_a_hole():
    site = facts("app/cycle_a.py").sites[0]
    assert site.system.text == "A then B then {LOOP}"


def test_module_constants_are_reconstructed():
    f = facts("app/prompts/__init__.py")
    assert f.constants["SYSTEM"].text == SYSTEM
    assert f.constants["Templates.GREETING"].text == "Hello {name}, how can I help?"
