"""Answer product questions for the help-center widget."""

from openai import OpenAI

client = OpenAI()

HELP_CENTER_PROMPT = """You answer questions from Acme Cloud customers in the help-center widget.
Answer in at most 120 words. Always cite your sources as [1], [2] with the title of the
help-center article you used, and end with a "Sources" list."""


def ask(question: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": HELP_CENTER_PROMPT},
            {"role": "user", "content": question},
        ],
    )
    return response.choices[0].message.content
