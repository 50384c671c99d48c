"""Answer a support message with the Nova assistant."""

import json
from pathlib import Path

from openai import OpenAI

from .prompts import SYSTEM_PROMPT

client = OpenAI()
FEW_SHOT = json.loads((Path(__file__).parent / "few_shot.json").read_text())


def strip_fences(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1].rsplit("```", 1)[0]
    return text


def answer(customer_message: str, tier: str = "team") -> dict:
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        *FEW_SHOT,
        {"role": "user", "content": f"[tier: {tier}]\n{customer_message}"},
    ]
    for attempt in range(3):
        response = client.chat.completions.create(model="gpt-4o", messages=messages, temperature=0.2)
        raw = response.choices[0].message.content
        try:
            return json.loads(strip_fences(raw))
        except json.JSONDecodeError:
            messages.append({"role": "assistant", "content": raw})
            messages.append({"role": "user", "content": "That was not valid JSON. Reply with the JSON object only."})
    raise RuntimeError("the model did not return valid JSON")
