"""Readers, bad input, thresholds, suppression, links and the split fix, on datasets
written into a temporary project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragtune.analyzers.config import clear_config_cache
from ragtune.analyzers.datasets import lines as lines_module
from ragtune.analyzers.datasets.lines import iter_lines, iter_parsed_lines, parse_line, split_ranges
from ragtune.analyzers.datasets.scan import ScanOptions, scan_dataset
from ragtune.analyzers.engine import Engine
from ragtune.analyzers.rules.registry import RULES, load_rule
from ragtune.analyzers.sources.discovery import file_kind
from ragtune.analyzers.config import Settings
from ragtune.analyzers.workspace import Workspace


def chat(user: str, answer: str, system: str | None = None) -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user},
        {"role": "assistant", "content": answer},
    ]
    return json.dumps({"messages": messages}, ensure_ascii=False)


def behaviour_rows(n: int) -> list[str]:
    return [chat(f"Rewrite politely, variant {i}: send me the report {i} now", f"Could you please send me report number {i} when you have a moment? Thank you, variant {i}.") for i in range(n)]


def check(root: Path, name: str, config: str = "", text: str | None = None):
    clear_config_cache()
    if config:
        (root / "ragtune.toml").write_text(config)
    engine = Engine(Workspace(root))
    return engine.analyze_file(str(root / name), kind="dataset", text=text)


def codes_by_line(findings) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for f in findings:
        out.setdefault(f.range.start.line + 1, set()).add(f.code)
    return out


def test_bad_input_is_reported_on_its_line_and_the_rest_analysed(tmp_path):
    rows = behaviour_rows(3)
    huge = chat("Summarise this log", "x " * (10 * 1024 * 1024))  # a 20 MB single line
    body = "\n".join(rows).encode() + b"\n"
    body += b'{"messages": [{"role": "user", "content": "a\x00b"}]}\n'  # 4: NUL bytes
    body += b'{"messages": [{"role": "user", "content": "caf\xe9"}]}\n'  # 5: invalid UTF-8
    body += json.dumps({"instruction": "Say hi", "output": "Hi there"}).encode() + b"\n"  # 6: mixed format
    body += huge.encode() + b"\n"  # 7
    body += rows[0].encode()[:40]  # 8: truncated last line
    (tmp_path / "train.jsonl").write_bytes(body)
    findings = check(tmp_path, "train.jsonl")
    by_line = codes_by_line(findings)
    ds303 = {f.range.start.line + 1: f.message for f in findings if f.code == "DS303"}
    assert set(ds303) == {4, 5, 6, 8}
    assert "NUL" in ds303[4] and "UTF-8" in ds303[5] and "Alpaca" in ds303[6] and "cut off" in ds303[8]
    assert "DS303" not in by_line.get(7, set())  # the 20 MB line is read, not refused
    profile = next(f for f in findings if f.code == "DS300")
    assert profile.figures["examples"] == 5 and profile.figures["malformed"] == 4


def test_over_context_uses_the_target_models_window(tmp_path):
    long_answer = " ".join(f"word{i}" for i in range(9000))
    (tmp_path / "train.jsonl").write_text("\n".join([*behaviour_rows(2), chat("Continue the story", long_answer)]) + "\n")
    findings = check(tmp_path, "train.jsonl", 'default-model = "gpt-4"\n')
    over = [f for f in findings if f.code == "DS304"]
    assert [f.range.start.line for f in over] == [2]
    assert "8,192-token context window of gpt-4" in over[0].message and over[0].figures["tokens"] > 8192


def test_duplicates_exact_and_near(tmp_path):
    rows = behaviour_rows(5)
    # the same text but for case, spacing and punctuation
    near = rows[1].replace("Could you please", "could you  please,").replace("moment?", "moment!!")
    long_answer = "Thank you for the detailed report. " + " ".join(f"Step {w}: check the {w} settings and restart the service." for w in ["network", "proxy", "cache", "browser", "account", "token"])
    long_a = chat("My sync keeps failing after the update", long_answer)
    long_b = chat("My sync keeps failing after the update", long_answer.replace("detailed", "thorough"))
    (tmp_path / "train.jsonl").write_text("\n".join([*rows, rows[3], near, long_a, long_b]) + "\n")
    dups = {f.range.start.line + 1: f for f in check(tmp_path, "train.jsonl") if f.code == "DS302"}
    assert set(dups) == {6, 7, 9}
    assert dups[6].figures["kind"] == "exact" and dups[6].figures["duplicate_of_line"] == 4
    assert dups[7].figures["kind"] == "near" and dups[7].figures["duplicate_of_line"] == 2
    assert dups[9].figures["kind"] == "near" and dups[9].figures["duplicate_of_line"] == 8


def test_shared_system_prompt_is_not_duplication(tmp_path):
    system = "You are a support agent. " * 200
    rows = [chat(f"Ticket {i}: {w} is broken", f"Sorry about {w}; I have opened case {i}.", system) for i, w in enumerate(["login", "export", "billing page", "search", "upload"])]
    (tmp_path / "train.jsonl").write_text("\n".join(rows) + "\n")
    assert not [f for f in check(tmp_path, "train.jsonl") if f.code == "DS302"]


def test_jsonl_ignores_suppress_and_report_unused(tmp_path):
    rows = behaviour_rows(3)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("\n".join([*rows, rows[0]]) + "\n")
    config = (
        'jsonl-ignores = [{path = "data/train.jsonl", codes = ["DS302"], lines = [4]},\n'
        '  {path = "data/train.jsonl", codes = ["DS304"]},\n'
        '  {path = "data/*.jsonl", codes = ["DS305"]}]\n'
    )
    findings = check(tmp_path, "data/train.jsonl", config)
    codes = {f.code for f in findings}
    assert "DS302" not in codes and "DS305" not in codes
    unused = [f for f in findings if f.code == "RT001"]
    assert len(unused) == 1 and unused[0].range.start.line == 0
    assert 'codes = ["DS304"]' in unused[0].message and "ragtune.toml" in unused[0].message


def test_split_fix_creates_new_files_and_never_overwrites(tmp_path):
    rows = [
        chat("How much is the Pro plan?", "The Pro plan costs $29 per month and includes 10 projects."),
        chat("Rewrite politely: fix it now", "Could you please look into this when you have a moment?"),
        chat("What is the upload limit?", "Uploads are limited to 2 GB per file on every plan."),
    ]
    (tmp_path / "train.jsonl").write_text("\n".join(rows) + "\n")
    (tmp_path / "train.behaviour.jsonl").write_text("taken\n")
    summary = next(f for f in check(tmp_path, "train.jsonl") if f.code == "RAG101" and f.range.start.line == 0)
    files = {Path(nf.path).name: nf.content for nf in summary.fix.new_files}
    assert set(files) == {"train-2.behaviour.jsonl", "train.knowledge.md"}
    assert files["train-2.behaviour.jsonl"] == rows[1] + "\n"
    assert "$29 per month" in files["train.knowledge.md"] and "2 GB" in files["train.knowledge.md"]
    assert (tmp_path / "train.behaviour.jsonl").read_text() == "taken\n"


@pytest.mark.parametrize(
    "code",
    [
        'client.fine_tuning.jobs.create(training_file=t.id, validation_file=v.id, model="gpt-4o-mini")\nt = client.files.create(file=open("data/train.jsonl", "rb"), purpose="fine-tune")\n',
        'from trl import SFTTrainer\nds = load_dataset("json", data_files={"train": "data/train.jsonl", "validation": "data/holdout.jsonl"})\ntrainer = SFTTrainer(model=m, train_dataset=ds["train"], eval_dataset=ds["validation"])\n',
    ],
)
def test_validation_in_the_training_code_counts_as_an_eval_split(tmp_path, code):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("\n".join(behaviour_rows(3)) + "\n")
    (tmp_path / "train.py").write_text(code)
    findings = check(tmp_path, "data/train.jsonl")
    assert "DS305" not in {f.code for f in findings}
    small = next(f for f in findings if f.code == "DS301")
    assert any("train.py" in e.message for e in small.evidence)


def test_no_eval_split_names_the_job(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("\n".join(behaviour_rows(3)) + "\n")
    (tmp_path / "job.py").write_text('f = client.files.create(\n    file=open("data/train.jsonl", "rb"),\n    purpose="fine-tune",\n)\n')
    ds305 = next(f for f in check(tmp_path, "data/train.jsonl") if f.code == "DS305")
    assert "passes none" in ds305.message and ds305.evidence[0].message.endswith("job.py:2")


def test_json_array_and_sharegpt_and_completion_formats(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"instruction": "Say hi", "input": "", "output": "Hi"}] * 2, indent=1))
    (tmp_path / "s.jsonl").write_text(json.dumps({"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": ""}]}) + "\n")
    (tmp_path / "c.jsonl").write_text(json.dumps({"prompt": "p", "completion": " c"}) + "\n")
    assert file_kind(tmp_path / "a.json", Settings()) == "dataset"
    a = codes_by_line(check(tmp_path, "a.json"))
    assert "DS302" in a[7]  # the second element starts on line 7 of the indented array
    s = [f for f in check(tmp_path, "s.jsonl") if f.code == "DS303"]
    assert "empty answer" in s[0].message
    c = next(f for f in check(tmp_path, "c.jsonl") if f.code == "DS300")
    assert c.figures["examples"] == 1


def test_jsonl_that_is_not_training_data_is_left_alone(tmp_path):
    (tmp_path / "events.jsonl").write_text('{"ts": 1, "event": "click"}\n{"ts": 2, "event": "view"}\nnot json\n')
    assert check(tmp_path, "events.jsonl") == []


def test_editor_buffer_wins_over_disk(tmp_path):
    (tmp_path / "train.jsonl").write_text("\n".join(behaviour_rows(2)) + "\n")
    buffer = "\n".join(behaviour_rows(2)) + '\n{"messages": [{"role": "bot", "content": "x"}]}\n'
    ds303 = [f for f in check(tmp_path, "train.jsonl", text=buffer) if f.code == "DS303"]
    assert [f.range.start.line for f in ds303] == [2] and "unknown role 'bot'" in ds303[0].message


def test_byte_ranges_split_at_newlines_and_workers_agree(tmp_path):
    rows = behaviour_rows(400) + behaviour_rows(50)  # 50 exact duplicates across the split
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(rows) + "\n")
    with open(path, "rb") as f:
        ranges = split_ranges(f, path.stat().st_size, 3)
        lines = [raw.data for s, e in ranges for raw in iter_lines(f, s, e)]
    assert [ln.decode().rstrip("\n") for ln in lines] == rows
    one = scan_dataset(str(path), ScanOptions(), workers=1)
    two = scan_dataset(str(path), ScanOptions(), workers=2)
    assert (one.examples, one.tokens, one.duplicates.exact) == (two.examples, two.tokens, two.duplicates.exact) == (450, one.tokens, 50)
    assert one.duplicates.pairs == two.duplicates.pairs


@pytest.mark.parametrize("max_line", [200, 10**6])  # the long lines over the limit, then within it
def test_parsed_lines_match_line_by_line_parsing(tmp_path, monkeypatch, max_line):
    # the fast reader must report every kind of bad line exactly as parse_line does
    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", max_line)
    rows = behaviour_rows(3)
    data = b"\n".join([
        rows[0].encode(), b"", b"   ", b'{"a": 1}\x00', b"\xff\xfe not utf-8", b'{"messages": [', b"[1, 2] [3]",
        b'"' + b"x" * 500 + b'"', rows[1].encode(), b"[" * 100000 + b"]" * 100000, rows[2].encode(), b'{"cut": ',
    ])
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    with open(path, "rb") as f:
        for s, e in [(0, len(data))] + split_ranges(f, len(data), 3):
            slow = [(raw.number, parse_line(raw)) for raw in iter_lines(f, s, e)]
            fast = list(iter_parsed_lines(f, s, e))
            assert fast == slow


def test_dataset_rules_are_harmless_on_other_files(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    clear_config_cache()
    findings = Engine(Workspace(tmp_path)).analyze_file(str(tmp_path / "a.py"))
    assert not [f for f in findings if f.code.startswith(("DS", "RAG101"))]


@pytest.mark.parametrize("spec", [r for r in RULES if r.scope == "dataset"], ids=lambda r: r.code)
def test_rule_docs_have_the_fixed_sections(spec):
    doc = load_rule(spec.code).__doc__
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "## Source"):
        assert section in doc


def test_split_fix_is_not_offered_again_once_applied(tmp_path):
    rows = [
        chat("How much is the Pro plan?", "The Pro plan costs $29 per month and includes 10 projects."),
        chat("Rewrite politely: fix it now", "Could you please look into this when you have a moment?"),
    ]
    (tmp_path / "train.jsonl").write_text("\n".join(rows) + "\n")
    summary = next(f for f in check(tmp_path, "train.jsonl") if f.code == "RAG101" and f.range.start.line == 0)
    for nf in summary.fix.new_files:  # what applying the fix writes
        Path(nf.path).write_text(nf.content, encoding="utf-8")
    again = next(f for f in check(tmp_path, "train.jsonl") if f.code == "RAG101" and f.range.start.line == 0)
    assert again.fix is None  # the original still stores facts, but its split exists
    (tmp_path / "train.knowledge.md").write_text("# edited by hand\n")
    offered = next(f for f in check(tmp_path, "train.jsonl") if f.code == "RAG101" and f.range.start.line == 0)
    assert {Path(nf.path).name for nf in offered.fix.new_files} == {"train-2.behaviour.jsonl", "train-2.knowledge.md"}


def test_a_line_cut_inside_a_string_says_where_the_string_starts(tmp_path):
    rows = behaviour_rows(2)
    cut_line = rows[1][:60]
    (tmp_path / "train.jsonl").write_text(rows[0] + "\n" + cut_line)
    (cut,) = [f.message for f in check(tmp_path, "train.jsonl") if f.code == "DS303"]
    column = cut_line.rindex('"') + 1  # the opening quote of the string that never ends
    assert cut.endswith(f"the last line is cut off: the JSON ends early (Unterminated string starting at column {column}).")


def test_a_walk_past_package_json_does_not_load_the_dataset_pass(tmp_path):
    """Every JS project has .json files that are not datasets: telling them apart reads
    4 KB and loads neither the dataset package nor numpy (0.09-0.13 s a run, before)."""
    (tmp_path / "package.json").write_text('{"name": "app", "version": "1.0.0"}\n')
    (tmp_path / "tsconfig.json").write_text('{"compilerOptions": {"strict": true}}\n')
    (tmp_path / "train.json").write_text(json.dumps([{"prompt": "p", "completion": "c"}]))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ragtune.analyzers.engine import Engine\n"
        "from ragtune.analyzers.workspace import Workspace\n"
        "root = Path(sys.argv[1])\n"
        "kinds = {p.name: k for p, k, _ in Engine(Workspace(root)).iter_targets([root])}\n"
        "print(kinds, 'ragtune.analyzers.datasets' in sys.modules, 'numpy' in sys.modules)\n"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{'train.json': 'dataset'} False False"


def test_a_number_too_long_to_read_is_one_malformed_line_and_the_rest_is_analysed(tmp_path):
    rows = behaviour_rows(300)
    rows.insert(5, '{"messages": [{"role": "user", "content": "x"}], "n": ' + "9" * 4301 + "}")
    (tmp_path / "train.jsonl").write_text("\n".join(rows) + "\n")
    findings = check(tmp_path, "train.jsonl")
    assert not [f for f in findings if f.code == "RT002"]
    malformed = [f for f in findings if f.code == "DS303"]
    assert [f.range.start.line + 1 for f in malformed] == [6]
    assert "4,300 digits" in malformed[0].message
    assert any(f.code == "DS305" and "300 examples" in f.message for f in findings)


def test_a_number_too_long_to_read_in_a_json_array_is_reported_not_a_crash(tmp_path):
    rows = [json.loads(r) for r in behaviour_rows(2)]
    (tmp_path / "train.json").write_text(json.dumps(rows)[:-1] + ', {"n": ' + "9" * 4400 + "}]")
    findings = check(tmp_path, "train.json")
    assert not [f for f in findings if f.code == "RT002"]
    assert any(f.code == "DS303" and "4,300 digits" in f.message for f in findings)
