"""Source texts the CLI tests analyse (imported by name: a module called
``conftest`` would collide with the other test folders' conftest modules)."""

from __future__ import annotations

from dataclasses import dataclass

UNUSED = "x = 1  # ragtune: ignore[FT201]\n"


def few_shot_source(pairs: int = 22) -> str:
    """A call site with ``pairs`` inline few-shot turns (FT202, whose safe fix creates
    a JSONL dataset) and one with a long rules-only system prompt (FT201)."""
    turns = "\n".join(
        f'        {{"role": "user", "content": "Ticket {i}: my invoice number {i} is wrong"}},\n'
        f'        {{"role": "assistant", "content": "{{\\"label\\": \\"billing\\", \\"priority\\": {i % 3}}}"}},'
        for i in range(pairs)
    )
    rules = "\n".join(
        f"- Rule {i}: always answer in the exact JSON format with fields label, priority and reason; "
        "never add prose before or after the JSON object; use lowercase labels."
        for i in range(160)
    )
    return f'''from openai import OpenAI

client = OpenAI()

SYSTEM = """You are a ticket triage assistant.
{rules}
"""


def triage(ticket):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {{"role": "system", "content": "Label the ticket."}},
{turns}
            {{"role": "user", "content": ticket}},
        ],
    )


def triage_long(ticket):
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{{"role": "system", "content": SYSTEM}}, {{"role": "user", "content": ticket}}],
    )
'''


@dataclass
class Run:
    code: int
    out: str
    err: str


