"""Prompt texts a call site sends, and where a span of one is written (FT205, FT206)."""

from __future__ import annotations

from collections.abc import Iterator

from ...models import Prompt, PromptSite, Range


def sent_prompts(site: PromptSite) -> Iterator[Prompt]:
    """The system prompt and the non-assistant turns: the instructions a call sends."""
    if site.system is not None:
        yield site.system
    for message in site.messages:
        if message.role not in ("assistant", "tool"):
            yield message.prompt


def span_range(prompt: Prompt, start: int, end: int, path: str) -> Range | None:
    """Union of the written ranges (in ``path``) of the parts that ``prompt.text[start:end]``
    falls in: whole literals, so a comment after a closing quote covers it."""
    pos = 0
    ranges: list[Range] = []
    for part in prompt.parts:
        shown = part.text if part.kind == "text" else "{" + part.text + "}"
        if pos < end and start < pos + len(shown) and part.location is not None and part.location.path == path:
            ranges.append(part.location.range)
        pos += len(shown)
    if not ranges:
        return None
    first = min(ranges, key=lambda r: (r.start.line, r.start.character))
    last = max(ranges, key=lambda r: (r.end.line, r.end.character))
    return Range(start=first.start, end=last.end)


# How each SDK takes an output schema: what the FT203/FT205 messages tell the user to pass.
STRUCTURED_OUTPUT_HINT: dict[str, str] = {
    "openai": "`response_format` with a JSON schema, or `client.chat.completions.parse(response_format=Model)`",
    "instructor": "`response_model`",
    "anthropic": "a tool whose `input_schema` is the schema, forced with `tool_choice`",
    "google": "`config.response_schema`",
    "mistral": "`response_format` with a JSON schema",
    "cohere": "`response_format` with a JSON schema",
    "ollama": "`format=` with a JSON schema",
    "litellm": "`response_format` with a JSON schema",
    "bedrock": "`toolConfig` with a tool schema",
    "ai-sdk": "`generateObject` with a zod `schema`",
    "langchain": "`.with_structured_output(Schema)` / `.withStructuredOutput(schema)`",
    "llamaindex": "`as_structured_llm(Model)`",
    "pydantic-ai": "`output_type`",
    "openai-agents": "`output_type`",
}


def structured_output_hint(sdk: str | None) -> str:
    return STRUCTURED_OUTPUT_HINT.get(sdk or "", "the provider's structured outputs (a JSON schema or a tool schema)")
