"""FT203-FT206: figures from the tokenizer, the FT203 fix, JSON output, partial code."""

import json
import subprocess
import sys
from pathlib import Path

from ragtune.analyzers.engine import Engine
from ragtune.analyzers.tokens import tokenizer_for_model
from ragtune.analyzers.workspace import Workspace

SYSTEM = "You convert support tickets into JSON records for the billing team. Keep every field."

RETRY = f'''import json
from openai import OpenAI
from pydantic import BaseModel, ValidationError

client = OpenAI()
SYSTEM = "{SYSTEM}"


class Ticket(BaseModel):
    category: str


def convert(text):
    messages = [{{"role": "system", "content": SYSTEM}}, {{"role": "user", "content": text}}]
    for attempt in range(3):
        resp = client.chat.completions.create(model="gpt-4o", messages=messages)
        try:
            return Ticket.model_validate_json(resp.choices[0].message.content)
        except ValidationError as err:
            messages.append({{"role": "user", "content": str(err)}})
'''


def _findings(tmp_path: Path, name: str, text: str, code: str, overrides=None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    engine = Engine(Workspace(tmp_path), overrides=overrides)
    return [f for f in engine.analyze_file(str(path)) if f.code == code]


def test_ft203_worst_case_is_attempts_times_prompt_tokens(tmp_path):
    [finding] = _findings(tmp_path, "convert.py", RETRY, "FT203")
    tokens = tokenizer_for_model("gpt-4o").count(SYSTEM + "\n")  # the user turn is a hole
    assert finding.figures["attempts"] == 3
    assert finding.figures["prompt_tokens"] == tokens
    assert finding.figures["worst_case_tokens"] == 3 * tokens
    assert f"3 attempts × {tokens:,} tokens" in finding.message
    assert "appended to the conversation" in finding.message
    assert finding.remedy.value == "structured-output"


def test_ft203_fix_switches_to_the_parse_helper(tmp_path):
    [finding] = _findings(tmp_path, "convert.py", RETRY, "FT203")
    assert finding.fix is not None and finding.fix.applicability.value == "unsafe"
    lines = RETRY.splitlines()
    for edit in sorted(finding.fix.file_edits[0].edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        line = lines[edit.range.start.line]
        lines[edit.range.start.line] = line[: edit.range.start.character] + edit.new_text + line[edit.range.end.character :]
    assert "client.chat.completions.parse(response_format=Ticket, model=" in "\n".join(lines)


def test_ft203_transport_retry_and_client_retries_are_not_flagged(tmp_path):
    text = '''from openai import OpenAI, RateLimitError
from tenacity import retry, retry_if_exception_type

client = OpenAI(max_retries=5)


@retry(retry=retry_if_exception_type(RateLimitError))
def ask(text):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
'''
    assert _findings(tmp_path, "ask.py", text, "FT203") == []


def test_partial_code_does_not_crash(tmp_path):
    for cut in range(40, len(RETRY), 37):
        engine_text = RETRY[:cut]
        for code in ("FT203", "FT204", "FT205", "FT206"):
            _findings(tmp_path, "partial.py", engine_text, code)


def test_ft206_threshold_is_configurable(tmp_path):
    text = '''from openai import OpenAI
client = OpenAI()
SYSTEM = """Classify the request into one category:
- billing
- shipping
- returns
- account
- other
"""
client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": SYSTEM}])
'''
    assert _findings(tmp_path, "route.py", text, "FT206") == []
    [finding] = _findings(tmp_path, "route.py", text, "FT206", overrides={"thresholds": {"classifier-labels": 5}})
    assert finding.figures["labels"] == 5


def test_json_output_carries_size_and_remedy():
    fixture = Path(__file__).parent / "fixtures" / "ft203" / "retries.py"
    out = subprocess.run(
        [str(Path(sys.executable).with_name("ragtune")), "check", "--output-format", "json", "--select", "FT203", str(fixture)],
        capture_output=True, text=True, check=False,
    )
    data = json.loads(out.stdout)
    items = data if isinstance(data, list) else data.get("findings", [])
    ft203 = [f for f in items if f.get("code") == "FT203"]
    assert ft203
    first = ft203[0]
    assert first["remedy"] == "structured-output"
    assert first["figures"]["attempts"] == 4 and first["figures"]["worst_case_tokens"] > 0
