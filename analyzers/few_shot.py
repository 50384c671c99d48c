"""Few-shot examples in a prompt: as user/assistant turns, or written into the text.

Counting is deliberately conservative: a marker must start a line.  The block's token
count covers the lines from the first example to the end of the last one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import Message, PromptSite

# A line that opens one example: <example>, "Example 3:", "### Example", "**Example**".
_EXAMPLE_TAG = re.compile(r"<example(?:\s[^>\n]{0,200})?>", re.I)
_EXAMPLE_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*|\*\*|__)?(?:example|exemple|beispiel|ejemplo|esempio|exemplo|例)[ \t]*(?:#?\d{1,4})?[ \t]*(?:\*\*|__)?[ \t]*[:.)\-–]?[ \t]*$"
    r"|^[ \t]*(?:#{1,6}[ \t]*|\*\*|__)?(?:example|exemple|beispiel|ejemplo|esempio|exemplo)[ \t]+#?\d{1,4}[ \t]*(?:\*\*|__)?[ \t]*[:.)\-–]",
    re.I | re.M,
)
# Input/output pairs written as labelled lines.
_INPUT_LABEL = re.compile(r"^[ \t]*(?:[-*][ \t]*)?(?:\*\*)?(input|q|question|user|human|customer|text|ticket|query|request|message)(?:\*\*)?[ \t]*:", re.I | re.M)
_OUTPUT_LABEL = re.compile(r"^[ \t]*(?:[-*][ \t]*)?(?:\*\*)?(output|a|answer|assistant|ai|agent|label|category|response|json|result)(?:\*\*)?[ \t]*:", re.I | re.M)
_BLOCK_END = re.compile(r"^[ \t]*(?:</examples>|#{1,6}[ \t]+(?!example)\S)", re.I | re.M)


@dataclass
class ExamplePair:
    input: str
    output: str


@dataclass
class FewShotBlock:
    count: int
    text: str  # what is sent for the examples (to be counted)
    source: str  # "messages" or "prompt text"
    pairs: list[ExamplePair] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # the example turns, when from messages
    start: int = 0  # offsets in the prompt text, when from text
    end: int = 0


def examples_in_messages(site: PromptSite) -> FewShotBlock | None:
    """User/assistant pairs sent before the final user turn."""
    turns = [m for m in site.messages if m.role in ("user", "assistant")]
    last_user = max((i for i, m in enumerate(turns) if m.role == "user"), default=-1)
    if last_user <= 0:
        return None
    example_turns = turns[:last_user]
    pairs = []
    pending_user: Message | None = None
    for m in example_turns:
        if m.role == "user":
            pending_user = m
        elif pending_user is not None:
            pairs.append(ExamplePair(pending_user.prompt.text, m.prompt.text))
            pending_user = None
    if not pairs:
        return None
    text = "\n".join(m.prompt.literal_text for m in example_turns)
    return FewShotBlock(count=len(pairs), text=text, source="messages", pairs=pairs, messages=example_turns)


def examples_in_text(text: str) -> FewShotBlock | None:
    """Examples written into a prompt's text (tags, headings, labelled pairs)."""
    if not text:
        return None
    tags = list(_EXAMPLE_TAG.finditer(text))
    headings = list(_EXAMPLE_HEADING.finditer(text))
    inputs = list(_INPUT_LABEL.finditer(text))
    outputs = list(_OUTPUT_LABEL.finditer(text))
    pair_count = min(len(inputs), len(outputs)) if inputs and outputs else 0
    candidates = [(len(tags), tags), (len(headings), headings), (pair_count, inputs if pair_count else [])]
    count, markers = max(candidates, key=lambda c: c[0])
    if count < 2:
        return None
    start = markers[0].start()
    last = max(m.end() for m in [*markers, *(outputs if markers is inputs else [])])
    end_match = _BLOCK_END.search(text, last)
    end = end_match.start() if end_match else len(text)
    pairs = _pairs_from_labels(text[start:end]) if pair_count else []
    return FewShotBlock(count=count, text=text[start:end], source="prompt text", pairs=pairs, start=start, end=end)


def _pairs_from_labels(block: str) -> list[ExamplePair]:
    labels = sorted(
        [(m.start(), m.end(), "in") for m in _INPUT_LABEL.finditer(block)]
        + [(m.start(), m.end(), "out") for m in _OUTPUT_LABEL.finditer(block)]
    )
    pairs = []
    for i, (s, e, kind) in enumerate(labels):
        if kind != "in" or i + 1 >= len(labels) or labels[i + 1][2] != "out":
            continue
        out_s, out_e, _ = labels[i + 1]
        nxt = labels[i + 2][0] if i + 2 < len(labels) else len(block)
        inp = block[e:out_s].strip()
        out = _EXAMPLE_TAG.sub("", block[out_e:nxt]).replace("</example>", "").strip()
        heading = _EXAMPLE_HEADING.search(out)
        if heading:
            out = out[: heading.start()].strip()
        if inp and out:
            pairs.append(ExamplePair(inp, out))
    return pairs


def find_few_shot_block(site: PromptSite) -> FewShotBlock | None:
    """The larger of the message-list and in-text example blocks of a site."""
    blocks = [examples_in_messages(site)]
    if site.system is not None:
        blocks.append(examples_in_text(site.system.text))
    blocks = [b for b in blocks if b is not None]
    return max(blocks, key=lambda b: b.count) if blocks else None
