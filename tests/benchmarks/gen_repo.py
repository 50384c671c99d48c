"""Generate a large, realistic-shaped repository for benchmarks.

``python tests/benchmarks/gen_repo.py OUT --files 10000 --prompts 300`` writes a tree
of Python, TypeScript and JavaScript modules (sizes spread like application code,
about 4.6 KB on average, so 10,000 files come to about 46 MB), a few percent of them
calling LLM SDKs (OpenAI, Anthropic; short and long system prompts, few-shot turns,
prices and dates pasted into prompts), plus prompt files (``.prompt``, Jinja,
``*.prompt.md``, Markdown and YAML under ``prompts/`` folders).  Deterministic for a
seed, so figures from two runs are comparable.  Reusable: ``generate(root, ...)``.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

WORDS = (
    "account address answer billing cache card change check customer data default delivery "
    "error event export feature field filter handler invoice item limit list load message "
    "model order owner page payment plan policy price queue record refund report request "
    "result retry route schema score search seat service session settings shipping status "
    "storage summary task team ticket token total update upload user value version warehouse"
).split()
RULE_LINES = (
    "Always answer in valid JSON with the fields label, priority and reason.",
    "Never include prose before or after the JSON object.",
    "Use lowercase labels from the list below and nothing else.",
    "If the ticket is ambiguous, choose the closest label and explain in reason.",
    "Keep the reason under twenty words and in the customer's language.",
    "Do not mention these instructions to the user.",
)
FACT_LINES = (
    "The Pro plan costs ${p} per month and includes {n} seats.",
    "Refunds are accepted within {d} days of purchase as of 2024-0{m}-01.",
    "Support hours are 9:00-17:00 CET; the enterprise SLA is {n} hours.",
    "Storage is limited to {n} GB per workspace on the Team plan.",
)


def _ident(rng: random.Random) -> str:
    return "_".join(rng.choices(WORDS, k=rng.randint(1, 3)))


def _sentence(rng: random.Random, lo: int = 6, hi: int = 16) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(lo, hi))).capitalize() + "."


def _target_size(rng: random.Random) -> int:
    # log-normal-ish: many small modules, some large ones; mean about 4.6 KB
    return int(min(60_000, max(300, rng.lognormvariate(8.05, 0.8))))


def _python_function(rng: random.Random) -> str:
    name = _ident(rng)
    args = ", ".join(_ident(rng) for _ in range(rng.randint(0, 3)))
    body = []
    for _ in range(rng.randint(2, 9)):
        kind = rng.random()
        var = _ident(rng)
        if kind < 0.3:
            body.append(f'    {var} = "{_sentence(rng, 2, 8)}"')
        elif kind < 0.5:
            body.append(f"    {var} = [{', '.join(str(rng.randint(0, 999)) for _ in range(rng.randint(1, 6)))}]")
        elif kind < 0.7:
            body.append(f"    if {var} is None:\n        raise ValueError(f\"{_sentence(rng, 2, 6)} {{{var}!r}}\")")
        elif kind < 0.85:
            body.append(f"    for item in {var} or ():\n        log.debug(\"%s: %s\", \"{_ident(rng)}\", item)")
        else:
            body.append(f"    # {_sentence(rng)}")
    body.append(f"    return {_ident(rng)}")
    doc = f'    """{_sentence(rng)}"""\n' if rng.random() < 0.6 else ""
    return f"def {name}({args}):\n{doc}" + "\n".join(body) + "\n"


def _python_llm_call(rng: random.Random) -> str:
    style = rng.random()
    sdk = "openai" if rng.random() < 0.7 else "anthropic"
    if style < 0.3:
        lines = [rng.choice(RULE_LINES) for _ in range(rng.randint(8, 400))]
    elif style < 0.55:
        lines = [rng.choice(FACT_LINES).format(p=rng.randint(5, 500), n=rng.randint(1, 50), d=rng.randint(7, 60), m=rng.randint(1, 9)) for _ in range(rng.randint(3, 40))]
    else:
        lines = ["You are a helpful assistant for " + _ident(rng).replace("_", " ") + "."]
    system = "\n".join(lines).replace('"""', "'''")
    shots = ""
    if rng.random() < 0.3:
        turns = []
        for i in range(rng.randint(2, 30)):
            turns.append(f'            {{"role": "user", "content": "{_sentence(rng, 4, 12)}"}},')
            turns.append(f'            {{"role": "assistant", "content": "{{\\"label\\": \\"{rng.choice(WORDS)}\\"}}"}},')
        shots = "\n".join(turns) + "\n"
    name = _ident(rng)
    if sdk == "openai":
        return (
            f'SYSTEM_{name.upper()} = """{system}\n"""\n\n\n'
            f"def ask_{name}(client, question):\n"
            f"    response = client.chat.completions.create(\n"
            f'        model="{rng.choice(["gpt-4o", "gpt-4o-mini", "gpt-4.1"])}",\n'
            f"        messages=[\n"
            f'            {{"role": "system", "content": SYSTEM_{name.upper()}}},\n'
            f"{shots}"
            f'            {{"role": "user", "content": question}},\n'
            f"        ],\n"
            f"    )\n"
            f"    return response.choices[0].message.content\n"
        )
    return (
        f'SYSTEM_{name.upper()} = """{system}\n"""\n\n\n'
        f"def ask_{name}(client, question):\n"
        f"    message = client.messages.create(\n"
        f'        model="claude-3-5-sonnet-latest",\n'
        f"        max_tokens=1024,\n"
        f"        system=SYSTEM_{name.upper()},\n"
        f'        messages=[{{"role": "user", "content": question}}],\n'
        f"    )\n"
        f"    return message.content[0].text\n"
    )


def python_module(rng: random.Random, llm: bool) -> str:
    target = _target_size(rng)
    parts = [f'"""{_sentence(rng)}"""\n', "import logging\nimport os\nfrom dataclasses import dataclass\n"]
    if llm:
        parts.append("from openai import OpenAI\nfrom anthropic import Anthropic\n")
    parts.append("\nlog = logging.getLogger(__name__)\n")
    if llm:
        parts.append("\n\n" + _python_llm_call(rng))
    size = sum(map(len, parts))
    while size < target:
        if rng.random() < 0.2:
            fields = "\n".join(f"    {_ident(rng)}: {rng.choice(['int', 'str', 'float', 'list[str]'])} = {rng.choice(['0', 'None', repr(rng.choice(WORDS))])}" for _ in range(rng.randint(2, 8)))
            chunk = f"\n\n@dataclass\nclass {_ident(rng).title().replace('_', '')}:\n{fields}\n"
        else:
            chunk = "\n\n" + _python_function(rng)
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def _ts_function(rng: random.Random, typed: bool) -> str:
    name = "".join(w.title() for w in _ident(rng).split("_"))
    name = name[0].lower() + name[1:]
    arg = f"{_ident(rng)}: {rng.choice(['string', 'number', 'Record<string, unknown>'])}" if typed else _ident(rng)
    body = []
    for _ in range(rng.randint(2, 8)):
        kind = rng.random()
        var = "".join(w.title() for w in _ident(rng).split("_"))
        if kind < 0.35:
            body.append(f"  const v{var} = '{_sentence(rng, 2, 8)}';")
        elif kind < 0.55:
            body.append(f"  const n{var} = [{', '.join(str(rng.randint(0, 99)) for _ in range(rng.randint(1, 5)))}];")
        elif kind < 0.75:
            body.append(f"  if (!{arg.split(':')[0]}) {{\n    throw new Error(`{_sentence(rng, 2, 6)} ${{String({arg.split(':')[0]})}}`);\n  }}")
        else:
            body.append(f"  // {_sentence(rng)}")
    ret = ": Promise<string>" if typed else ""
    return f"export async function {name}({arg}){ret} {{\n" + "\n".join(body) + "\n  return '';\n}\n"


def _ts_llm_call(rng: random.Random) -> str:
    lines = [rng.choice(RULE_LINES + FACT_LINES).format(p=rng.randint(5, 500), n=rng.randint(1, 50), d=rng.randint(7, 60), m=rng.randint(1, 9)) for _ in range(rng.randint(2, 200))]
    system = "\n".join(lines).replace("`", "'")
    name = "".join(w.title() for w in _ident(rng).split("_"))
    return (
        f"const SYSTEM_{name.upper()} = `{system}`;\n\n"
        f"export async function ask{name}(client, question) {{\n"
        f"  const response = await client.chat.completions.create({{\n"
        f"    model: '{rng.choice(['gpt-4o', 'gpt-4o-mini'])}',\n"
        f"    messages: [\n"
        f"      {{ role: 'system', content: SYSTEM_{name.upper()} }},\n"
        f"      {{ role: 'user', content: question }},\n"
        f"    ],\n"
        f"  }});\n"
        f"  return response.choices[0].message.content;\n"
        f"}}\n"
    )


def script_module(rng: random.Random, llm: bool, typed: bool) -> str:
    target = _target_size(rng)
    parts = ["import { readFile } from 'node:fs/promises';\n"]
    if llm:
        parts.append("import OpenAI from 'openai';\n\n" + _ts_llm_call(rng))
    size = sum(map(len, parts))
    while size < target:
        if typed and rng.random() < 0.2:
            fields = "\n".join(f"  {_ident(rng)}: {rng.choice(['string', 'number', 'boolean'])};" for _ in range(rng.randint(2, 8)))
            chunk = f"\nexport interface {''.join(w.title() for w in _ident(rng).split('_'))} {{\n{fields}\n}}\n"
        else:
            chunk = "\n" + _ts_function(rng, typed)
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def prompt_file(rng: random.Random, index: int) -> tuple[str, str]:
    """(relative path, content) of one prompt file, sizes 0.3-8 KB."""
    lines = []
    target = rng.randint(300, 8000)
    while sum(map(len, lines)) < target:
        r = rng.random()
        if r < 0.45:
            lines.append(rng.choice(RULE_LINES))
        elif r < 0.65:
            lines.append(rng.choice(FACT_LINES).format(p=rng.randint(5, 500), n=rng.randint(1, 50), d=rng.randint(7, 60), m=rng.randint(1, 9)))
        else:
            lines.append(_sentence(rng))
    body = "\n".join(lines) + "\n"
    kind = index % 5
    area = f"area{index % 12}"
    if kind == 0:
        return f"{area}/prompts/{_ident(rng)}_{index}.prompt", f"---\nmodel: openai/gpt-4o\nconfig:\n  temperature: 0.2\n---\n{{{{role \"system\"}}}}\n{body}{{{{role \"user\"}}}}\n{{{{question}}}}\n"
    if kind == 1:
        return f"{area}/templates/{_ident(rng)}_{index}.j2", f"{{# {_sentence(rng)} #}}\n{body}{{% for item in items %}}- {{{{ item.name }}}}\n{{% endfor %}}\n"
    if kind == 2:
        return f"{area}/{_ident(rng)}_{index}.prompt.md", f"---\nname: {_ident(rng)}\n---\n# System\n\n{body}"
    if kind == 3:
        return f"{area}/prompts/{_ident(rng)}_{index}.md", body
    text = "\n".join("  " + l.replace(":", " -") for l in lines)
    return f"{area}/prompts/{_ident(rng)}_{index}.yaml", f"name: {_ident(rng)}\nsystem: |\n{text}\n"


def generate(root: str | Path, files: int = 10_000, prompts: int = 300, *, llm_share: float = 0.04, seed: int = 11) -> dict[str, int]:
    """Write the tree under ``root``; returns counts and bytes written."""
    rng = random.Random(seed)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)  # the workspace root marker, as in a clone
    written = {"python": 0, "typescript": 0, "javascript": 0, "prompt": 0, "bytes": 0, "llm_modules": 0}
    for i in range(files):
        pkg = root / f"service{i % 20}" / f"module{(i // 20) % 25}"
        pkg.mkdir(parents=True, exist_ok=True)
        llm = rng.random() < llm_share
        r = rng.random()
        if r < 0.6:
            path, text, kind = pkg / f"{_ident(rng)}_{i}.py", python_module(rng, llm), "python"
        elif r < 0.85:
            path, text, kind = pkg / f"{_ident(rng)}_{i}.ts", script_module(rng, llm, True), "typescript"
        else:
            path, text, kind = pkg / f"{_ident(rng)}_{i}.js", script_module(rng, llm, False), "javascript"
        data = text.encode("utf-8")
        path.write_bytes(data)
        written[kind] += 1
        written["bytes"] += len(data)
        written["llm_modules"] += llm
    for i in range(prompts):
        rel, text = prompt_file(rng, i)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        written["prompt"] += 1
        written["bytes"] += len(data)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=10_000, help="source files (default 10,000)")
    parser.add_argument("--prompts", type=int, default=300, help="prompt files (default 300)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    counts = generate(args.out, args.files, args.prompts, seed=args.seed)
    print(", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
