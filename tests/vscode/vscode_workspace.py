"""The project the VS Code end-to-end test opens: one Python file whose system prompt
is about 5,000 tokens of rules and formats (behaviour, so FT201 rather than RAG104)."""

from __future__ import annotations

import json
from pathlib import Path

_TOPICS = [
    "refund requests", "login problems", "billing questions", "feature requests", "bug reports",
    "account deletion", "password resets", "plan changes", "outage reports", "data exports",
    "invoice corrections", "team invitations", "API errors", "webhook failures", "domain setup",
    "SSL warnings", "slow pages", "mobile app crashes", "e-mail delivery", "integration setup",
    "shipping delays", "contract renewals", "security questionnaires",
]

_RULES = [
    "When the customer writes about {topic}, always answer in the JSON format described below and never in free text.",
    "For {topic}, you must first restate the problem in one sentence, then give at most three numbered steps.",
    "Never promise a date or an outcome for {topic}; say what you will do next and ask the customer to confirm.",
    "If a message about {topic} is angry, acknowledge the feeling in one short sentence before any step, and do not apologise twice.",
    "Do not ask for passwords, card numbers or one-time codes when handling {topic}; if the customer sends one, tell them to rotate it.",
    "Set the field \"category\" to the closest label for {topic} and the field \"confidence\" to low, medium or high.",
    "Keep replies about {topic} under 120 words; use plain sentences and avoid jargon, emoji and exclamation marks.",
    "Escalate {topic} to a human when the customer asks twice, and set \"handoff\" to true with a one-line summary.",
]


def system_prompt() -> str:
    lines = [
        "You are the support assistant. Follow every rule below exactly.",
        "",
        "Reply with one JSON object with the fields reply, category, confidence, handoff and summary.",
        "",
    ]
    for topic in _TOPICS:
        lines.append(f"## Rules for {topic}")
        lines.extend(f"- {rule.format(topic=topic)}" for rule in _RULES)
        lines.append("")
    return "\n".join(lines)


def write_workspace(root: Path, interpreter: str) -> Path:
    """Writes the project under ``root`` and returns the Python file to open."""
    app = root / "support_bot.py"
    app.write_text(
        '"""Support assistant."""\n'
        "from openai import OpenAI\n"
        "\n"
        "client = OpenAI()\n"
        "\n"
        f'SYSTEM_PROMPT = """\\\n{system_prompt()}"""\n'
        "\n"
        "\n"
        "def answer(message: str) -> str:\n"
        "    response = client.chat.completions.create(\n"
        '        model="gpt-4o",\n'
        '        messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": message}],\n'
        "    )\n"
        "    return response.choices[0].message.content\n",
        encoding="utf-8",
    )
    (root / "pyproject.toml").write_text('[project]\nname = "support-bot"\nversion = "0.1.0"\n\n[tool.ragtune]\n', encoding="utf-8")
    settings = root / ".vscode" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"ragtune.interpreter": interpreter}, indent=2) + "\n", encoding="utf-8")
    return app
