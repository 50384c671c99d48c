"""Call sites in JavaScript, TypeScript and TSX fixtures (fixtures/js_app)."""

from pathlib import Path

from ragtune.analyzers.sources.code import extract_code_facts_from_file
from ragtune.analyzers.workspace import Workspace

APP = Path(__file__).parent / "fixtures" / "js_app"


def facts(name):
    return extract_code_facts_from_file(APP / name, Workspace(APP))


def test_openai_ts_imports_reexports_index_json_import_spread_and_push():
    site = facts("src/index.ts").sites[0]
    assert (site.sdk, site.api, site.model, site.has_output_schema) == ("openai", "chat.completions.create", "gpt-4o", True)
    assert site.system.text == "You are Max, a travel agent.\n\nOnly book refundable fares.\nQuote prices in EUR.\nBe friendly but brief."
    assert {Path(l.path).name for l in site.system.sources} == {"prompts.ts", "tone.ts", "index.ts"}
    assert [(m.role, m.prompt.text) for m in site.messages] == [
        ("user", "Paris in May"), ("assistant", "Day 1: Louvre"), ("user", "Plan {days} days in {city}."),
    ]
    assert [Path(p).name for p in site.loaded_files] == ["examples.json"]


def test_anthropic_commonjs_readfilesync_json_parse_and_nullish_model():
    site = facts("src/anthropic.js").sites[0]
    assert (site.sdk, site.model) == ("anthropic", "claude-3-5-haiku-latest")
    assert site.system.text == "Plan a three-day trip.\n"
    assert [m.role for m in site.messages] == ["user", "assistant", "user"]
    assert site.messages[-1].prompt.text == "{question}"
    assert [Path(p).name for p in site.loaded_files] == ["planner.md", "examples.json"]


def test_vercel_ai_sdk():
    text_site, object_site, stream_site = facts("src/ai.ts").sites
    assert (text_site.api, text_site.model, text_site.has_output_schema) == ("generateText", "gpt-4o-mini", False)
    assert text_site.system.text == "You are Max, a travel agent."
    assert text_site.messages[0].prompt.text == "Summarize:\n{text}"
    assert object_site.has_output_schema and object_site.messages[0].prompt.text == "Give a title for: {out}"
    assert [e.message for e in stream_site.retrieval] == ["search-backed model: gpt-4o-search-preview"]


def test_tsx_google_langchain_and_code_point_columns():
    f = facts("src/Chat.tsx")
    gemini, template, invoke = f.sites
    lines = (APP / "src/Chat.tsx").read_text(encoding="utf-8").splitlines()
    assert gemini.system.text == "Résumé: answer in ✨ one line."
    r = gemini.system_range
    assert lines[r.start.line][r.start.character:r.end.character] == "Résumé: answer in ✨ one line."
    assert template.system.text == "You are terse about {topic}." and template.system.holes == ["topic"]
    assert invoke.system.text == "Grüße 👋 — 你好"
    r = invoke.system_range
    assert lines[r.start.line][r.start.character:r.end.character] == "Grüße 👋 — 你好"
    # the site range is the call expression, in code points too
    r = gemini.range
    assert lines[r.start.line][r.start.character:].startswith("ai.models.generateContent(")


def test_prisma_style_messages_create_is_not_an_llm_call():
    f = facts("src/lookalike.ts")
    assert f.sites == []
    assert f.constants["SYSTEM_PROMPT"].text == "You are a helpful assistant that never lies."
