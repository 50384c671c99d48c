"""Fine-tuning record formats: recognise one JSON record and turn it into turns.

Four shapes are read: OpenAI chat (``messages``, with tool calls and ``weight``),
prompt/completion, Alpaca (``instruction``/``input``/``output``) and ShareGPT
(``conversations`` of ``from``/``value``).  The format is decided by the record's
keys, never by the file name.  Every problem found is a sentence for DS303.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHAT = "openai-chat"
COMPLETION = "prompt-completion"
ALPACA = "alpaca"
SHAREGPT = "sharegpt"
UNKNOWN = "unknown"

FORMAT_LABELS = {
    CHAT: "OpenAI chat (messages)",
    COMPLETION: "prompt/completion",
    ALPACA: "Alpaca (instruction/input/output)",
    SHAREGPT: "ShareGPT (conversations)",
    UNKNOWN: "no known fine-tuning format",
}

_CHAT_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
_SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "function_call": "assistant",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
}


@dataclass(slots=True)
class Turn:
    role: str  # system / user / assistant / tool (ShareGPT and developer mapped)
    text: str
    trained: bool = False  # an assistant turn the loss is computed on
    extra: str = ""  # text that is sent but is not content (tool-call arguments)


@dataclass(slots=True)
class Record:
    format: str
    turns: list[Turn] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def input_text(self) -> str:
        """Everything the model is given: system, user and tool turns."""
        return "\n".join(t.text for t in self.turns if t.role != "assistant" and t.text)

    @property
    def output_text(self) -> str:
        """What the model is trained to produce: the trained assistant turns."""
        return "\n".join(t.text for t in self.turns if t.role == "assistant" and t.trained and t.text)

    @property
    def question(self) -> str:
        return "\n".join(t.text for t in self.turns if t.role == "user" and t.text)


def detect_format(obj: object) -> str:
    if not isinstance(obj, dict):
        return UNKNOWN
    if "messages" in obj:
        return CHAT
    if "conversations" in obj:
        return SHAREGPT
    if "instruction" in obj and ("output" in obj or "response" in obj):
        return ALPACA
    if "prompt" in obj and "completion" in obj:
        return COMPLETION
    if "instruction" in obj:
        return ALPACA
    if "completion" in obj or "prompt" in obj:
        return COMPLETION
    return UNKNOWN


def read_record(obj: object) -> Record:
    """Turns and problems of one parsed JSON value."""
    if not isinstance(obj, dict):
        kind = type(obj).__name__ if obj is not None else "null"
        return Record(UNKNOWN, problems=[f"the line is a JSON {_json_type(kind)}, not an object"])
    fmt = detect_format(obj)
    if fmt == CHAT:
        return _read_chat(obj)
    if fmt == SHAREGPT:
        return _read_sharegpt(obj)
    if fmt == ALPACA:
        return _read_alpaca(obj)
    if fmt == COMPLETION:
        return _read_completion(obj)
    keys = ", ".join(sorted(map(str, obj))[:6]) or "none"
    return Record(UNKNOWN, problems=[f"no fine-tuning fields (keys: {keys}); expected messages, prompt/completion, instruction/output or conversations"])


def _json_type(kind: str) -> str:
    return {"list": "array", "str": "string", "int": "number", "float": "number", "bool": "boolean"}.get(kind, kind)


def _content_text(content: object) -> str | None:
    """Text of a message content: a string, or the text parts of a content array."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    texts.append(part["text"])
            elif isinstance(part, str):
                texts.append(part)
        return "\n".join(texts)
    return None


def _tool_call_text(message: dict) -> str:
    calls = message.get("tool_calls")
    pieces = []
    if isinstance(calls, list):
        for call in calls:
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict):
                pieces.append(f"{fn.get('name', '')}({fn.get('arguments', '')})")
    fc = message.get("function_call")
    if isinstance(fc, dict):
        pieces.append(f"{fc.get('name', '')}({fc.get('arguments', '')})")
    return "\n".join(pieces)


def _read_chat(obj: dict) -> Record:
    messages = obj.get("messages")
    if not isinstance(messages, list):
        return Record(CHAT, problems=["`messages` is not an array" if messages is not None else "`messages` is null"])
    if not messages:
        return Record(CHAT, problems=["`messages` is empty"])
    pending_tool_calls = False
    seen_non_system = False
    problems: list[str] = []
    turns: list[Turn] = []
    rec = Record(CHAT, turns, problems)
    for n, m in enumerate(messages, 1):
        if not isinstance(m, dict):
            problems.append(f"message {n} is not an object")
            continue
        role = m.get("role")
        if role not in _CHAT_ROLES:
            problems.append(f"message {n} has {'no role' if role is None else f'unknown role {role!r}'} (expected system, user, assistant or tool)")
            continue
        if role == "developer":
            role = "system"
        elif role == "function":
            role = "tool"
        calls = _tool_call_text(m) if role == "assistant" and ("tool_calls" in m or "function_call" in m) else ""
        content = m.get("content")
        text = content if type(content) is str else _content_text(content)
        if text is None and not calls:
            if "content" not in m:
                problems.append(f"message {n} ({role}) has no `content`")
            elif content is not None:
                problems.append(f"message {n} ({role}) has content that is neither a string nor an array of parts")
            else:
                problems.append(f"message {n} ({role}) has null content and no tool call")
            text = ""
        text = text or ""
        if role == "system":
            if seen_non_system:
                problems.append(f"message {n} is a system message after the conversation started; it must come first")
        else:
            if not seen_non_system and role == "assistant":
                problems.append(f"message {n} is an assistant turn before any user turn (wrong role order)")
            if role == "tool" and not pending_tool_calls:
                problems.append(f"message {n} is a tool result with no assistant tool call before it (wrong role order)")
            seen_non_system = True
        weight = 1
        if "weight" in m:
            weight = m["weight"]
            if weight not in (0, 1) or isinstance(weight, bool):
                problems.append(f"message {n} has weight {weight!r}; it must be 0 or 1")
                weight = 1
            if role != "assistant":
                problems.append(f"message {n} ({role}) has a weight; only assistant turns take one")
        if role == "assistant":
            pending_tool_calls = bool(calls)
            if not calls and not text.strip():
                problems.append(f"message {n} is an empty assistant turn (empty completion)")
            turns.append(Turn(role, text, weight == 1, calls))
        else:
            if role == "user":
                pending_tool_calls = False
            turns.append(Turn(role, text, False, ""))
    has_assistant = has_trained = False
    for t in turns:
        if t.role == "assistant":
            has_assistant = True
            if t.trained:
                has_trained = True
                break
    if not has_assistant and not any("assistant" in p for p in problems):
        problems.append("no assistant turn: there is nothing to learn")
    elif has_assistant and not has_trained:
        problems.append("every assistant turn has weight 0: nothing in this example is trained")
    return rec


def _read_completion(obj: dict) -> Record:
    rec = Record(COMPLETION)
    prompt, completion = obj.get("prompt"), obj.get("completion")
    if not isinstance(prompt, str):
        rec.problems.append("`prompt` is missing" if prompt is None else "`prompt` is not a string")
        prompt = ""
    if not isinstance(completion, str):
        rec.problems.append("`completion` is missing" if completion is None else "`completion` is not a string")
        completion = ""
    elif not completion.strip():
        rec.problems.append("`completion` is empty (empty completion)")
    rec.turns = [Turn("user", prompt), Turn("assistant", completion, trained=True)]
    return rec


def _read_alpaca(obj: dict) -> Record:
    rec = Record(ALPACA)
    instruction = obj.get("instruction")
    extra = obj.get("input", "")
    output = obj.get("output", obj.get("response"))
    if not isinstance(instruction, str) or not instruction.strip():
        rec.problems.append("`instruction` is missing or empty")
        instruction = instruction if isinstance(instruction, str) else ""
    if extra is None:
        extra = ""
    if not isinstance(extra, str):
        rec.problems.append("`input` is not a string")
        extra = ""
    if not isinstance(output, str):
        rec.problems.append("`output` is missing" if output is None else "`output` is not a string")
        output = ""
    elif not output.strip():
        rec.problems.append("`output` is empty (empty completion)")
    system = obj.get("system")
    turns = [Turn("system", system)] if isinstance(system, str) and system else []
    turns.append(Turn("user", instruction + ("\n\n" + extra if extra else "")))
    turns.append(Turn("assistant", output, trained=True))
    rec.turns = turns
    return rec


def _read_sharegpt(obj: dict) -> Record:
    rec = Record(SHAREGPT)
    conv = obj.get("conversations")
    if not isinstance(conv, list) or not conv:
        rec.problems.append("`conversations` is not a non-empty array")
        return rec
    system = obj.get("system")
    if isinstance(system, str) and system:
        rec.turns.append(Turn("system", system))
    seen_user = False
    for n, m in enumerate(conv, 1):
        if not isinstance(m, dict):
            rec.problems.append(f"turn {n} is not an object")
            continue
        who = m.get("from", m.get("role"))
        role = _SHAREGPT_ROLES.get(who) if isinstance(who, str) else None
        if role is None:
            rec.problems.append(f"turn {n} has {'no `from`' if who is None else f'unknown speaker {who!r}'} (expected human, gpt, system, tool)")
            continue
        value = m.get("value", m.get("content"))
        if not isinstance(value, str):
            rec.problems.append(f"turn {n} ({who}) has no `value` text")
            value = ""
        elif role == "assistant" and not value.strip():
            rec.problems.append(f"turn {n} ({who}) is an empty answer (empty completion)")
        if role == "assistant" and not seen_user:
            rec.problems.append(f"turn {n} is an answer before any question (wrong role order)")
        if role == "system" and (seen_user or rec.turns and rec.turns[-1].role != "system"):
            rec.problems.append(f"turn {n} is a system turn after the conversation started")
        seen_user = seen_user or role == "user"
        rec.turns.append(Turn(role, value, trained=role == "assistant"))
    if not any(t.role == "assistant" for t in rec.turns) and not any("answer" in p for p in rec.problems):
        rec.problems.append("no gpt/assistant turn: there is nothing to learn")
    return rec

