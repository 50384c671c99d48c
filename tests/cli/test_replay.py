"""Run records: an unchanged tree replays the last identical run's report; any change
the run depended on makes it analyse again."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from cli_sources import few_shot_source
from ragtune.server import check, replay
from ragtune.server.cache import CACHE_DIR_NAME

RACY_SECONDS_REAL = replay.RACY_NS / 1e9
OLD = time.time() - 3600  # files an hour old are past the racily-clean window


@pytest.fixture(autouse=True)
def _replays_on(monkeypatch):
    monkeypatch.delenv("RAGTUNE_NO_REPLAY", raising=False)


@pytest.fixture
def analyses(monkeypatch):
    """How many runs reached the engine (a replay does not)."""
    count = {"runs": 0}
    real = check.run

    def counting(*args, **kwargs):
        count["runs"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(check, "run", counting)
    return count


def _age(root: Path) -> None:
    """Make every file and folder under ``root`` (and ``root``) an hour old.  ctime cannot
    be set back, so the racy window is narrowed to the run itself instead."""
    for folder, dirs, files in os.walk(root):
        for name in files + dirs:
            os.utime(os.path.join(folder, name), (OLD, OLD))
    os.utime(root, (OLD, OLD))


@pytest.fixture
def tree(project, monkeypatch):
    monkeypatch.setattr(replay, "RACY_NS", 0)
    (project / "src").mkdir()
    (project / "src" / "triage.py").write_text(few_shot_source())
    (project / "src" / "clean.py").write_text("x = 1\n")
    (project / "lib").mkdir()
    (project / "lib" / "prompts.py").write_text('SYSTEM = "Answer briefly."\n')
    (project / "src" / "uses_lib.py").write_text(
        "from openai import OpenAI\nfrom lib.prompts import SYSTEM\n\nclient = OpenAI()\n\n"
        "def ask(q):\n    return client.chat.completions.create(model='gpt-4o', messages=[{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': q}])\n"
    )
    (project / CACHE_DIR_NAME).mkdir()
    _age(project)
    return project


def _records(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR_NAME).glob("run-*.json"))


def test_unchanged_tree_replays_the_same_bytes_and_exit_code(tree, ragtune, analyses):
    first = ragtune("check", ".", "--output-format", "json-lines", cwd=tree)
    assert first.code == 1 and first.out.count("\n") >= 2
    assert len(_records(tree)) == 1 and analyses["runs"] == 1
    second = ragtune("check", ".", "--output-format", "json-lines", cwd=tree)
    assert analyses["runs"] == 1  # replayed: the engine was not reached
    assert (second.code, second.out, second.err) == (first.code, first.out, first.err)
    # another command line is another record
    ragtune("check", ".", "--output-format", "concise", cwd=tree)
    assert analyses["runs"] == 2 and len(_records(tree)) == 2


@pytest.mark.parametrize(
    "change",
    [
        "edit a file",
        "edit a file keeping size and mtime",
        "add a file",
        "delete a file",
        "edit a module read for its constants",
        "add a config file above the root",
        "add a .gitignore",
        "change the environment",
    ],
)
def test_a_change_the_run_depended_on_is_seen(tree, ragtune, analyses, change, monkeypatch):
    args = ("check", "src", "--output-format", "json-lines")
    first = ragtune(*args, cwd=tree)
    assert len(_records(tree)) == 1
    triage = tree / "src" / "triage.py"
    if change == "edit a file":
        triage.write_text(few_shot_source(pairs=3))
    elif change == "edit a file keeping size and mtime":
        st = triage.stat()
        triage.write_text(triage.read_text().replace('model="gpt-4o"', 'model="o3-pro"'))
        os.utime(triage, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert triage.stat().st_size == st.st_size and triage.stat().st_mtime_ns == st.st_mtime_ns
    elif change == "add a file":
        (tree / "src" / "more.py").write_text(few_shot_source(pairs=4))
    elif change == "delete a file":
        triage.unlink()
    elif change == "edit a module read for its constants":
        # lib/ is outside the walked folder (src); the analysis of uses_lib.py read it
        (tree / "lib" / "prompts.py").write_text('SYSTEM = "Answer briefly. Pro costs $49 per month, Team $99 per month; refunds within 30 days."\n')
    elif change == "add a config file above the root":
        (tree.parent / "ragtune.toml").write_text('[tool.ragtune]\nignore = ["FT202"]\n')
    elif change == "add a .gitignore":
        (tree / ".gitignore").write_text("src/triage.py\n")
    elif change == "change the environment":
        monkeypatch.setenv("RAGTUNE_ANYTHING", "1")
    second = ragtune(*args, cwd=tree)
    assert analyses["runs"] == 2, "the change was not noticed"
    if change != "change the environment":
        assert second.out != first.out


def test_no_record_while_files_are_racily_clean(project, ragtune, analyses):
    # files written just now: their stat could hide a change made within the clock's
    # granularity, so the run is not recorded (and the next one analyses again)
    (project / "triage.py").write_text(few_shot_source())
    ragtune("check", ".", cwd=project)
    assert _records(project) == []
    ragtune("check", ".", cwd=project)
    assert analyses["runs"] == 2


def test_runs_that_are_never_recorded(tree, ragtune, analyses):
    (tree / "data").mkdir()
    (tree / "data" / "train.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}) + "\n")
    _age(tree)
    ragtune("check", ".", cwd=tree)  # a dataset: its checks read the whole workspace
    ragtune("check", "src", "--no-cache", cwd=tree)
    ragtune("check", "src", "--diff", cwd=tree)
    ragtune("check", "src", "--write-baseline", str(tree.parent / "base.json"), cwd=tree)
    assert _records(tree) == []


def test_a_damaged_record_is_a_normal_run(tree, ragtune, analyses):
    first = ragtune("check", "src", cwd=tree)
    for record in _records(tree):
        record.write_text("{not json")
    second = ragtune("check", "src", cwd=tree)
    assert analyses["runs"] == 2 and second.out == first.out
    (record,) = _records(tree)
    record.with_suffix(".out").write_text("tampered\n")
    third = ragtune("check", "src", cwd=tree)
    assert analyses["runs"] == 3 and third.out == first.out


def test_replay_rewrites_the_output_file(tree, ragtune, analyses, tmp_path):
    report = tmp_path / "report.sarif"
    ragtune("check", "src", "--output-format", "sarif", "--output-file", str(report), cwd=tree)
    expected = report.read_bytes()
    report.unlink()
    ragtune("check", "src", "--output-format", "sarif", "--output-file", str(report), cwd=tree)
    assert analyses["runs"] == 1 and report.read_bytes() == expected


def test_replay_switch_off(tree, ragtune, analyses, monkeypatch):
    ragtune("check", "src", cwd=tree)
    monkeypatch.setenv("RAGTUNE_NO_REPLAY", "1")
    ragtune("check", "src", cwd=tree)
    assert analyses["runs"] == 2


def test_replay_through_the_real_entry_point(tree, ragtune_process, monkeypatch):
    monkeypatch.delenv("RAGTUNE_NO_REPLAY", raising=False)
    # the subprocess has the real racy window, and no file's ctime can be set back
    time.sleep(RACY_SECONDS_REAL + 0.1)
    first = ragtune_process("check", "src", "--output-format", "json-lines", cwd=tree)
    assert len(_records(tree)) == 1
    second = ragtune_process("check", "src", "--output-format", "json-lines", cwd=tree)
    assert (second.returncode, second.stdout, second.stderr) == (first.returncode, first.stdout, first.stderr)
    assert first.returncode == 1 and first.stdout


def test_a_parallel_run_is_recorded_from_the_stats_its_workers_took(tree, ragtune, analyses):
    """In a parallel run the files' stats come from the workers, taken before each read;
    the record holds them, so it replays, and an edit after the run is still seen."""
    for i in range(60):
        (tree / "src" / f"mod{i}.py").write_text(f"value_{i} = {i}\n")
    _age(tree)
    args = ("check", ".", "--jobs", "2", "--output-format", "json-lines")
    first = ragtune(*args, cwd=tree)
    assert len(_records(tree)) == 1
    record = json.loads(_records(tree)[0].read_text())
    recorded = {path: sig for path, sig in record["files"]}
    module = tree / "src" / "mod7.py"
    st = module.stat()
    assert recorded[str(module)] == [st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    assert ragtune(*args, cwd=tree).out == first.out and analyses["runs"] == 1
    module.write_text("value_7 = 'seven'\n")
    ragtune(*args, cwd=tree)
    assert analyses["runs"] == 2


def test_a_report_that_could_not_be_printed_leaves_no_record(tree, ragtune, analyses, monkeypatch):
    """The record is made by a thread while the report is printed, and written only once
    the printing succeeded: a report that could not be written is analysed again next
    time, not replayed."""
    missing = tree.parent / "no-such-folder" / "report.json"
    failed = ragtune("check", "src", "--output-format", "json", "--output-file", str(missing), cwd=tree)
    assert failed.code == 2 and "does not exist" in failed.err
    assert _records(tree) == []
    made = []
    real_make = replay.Recorder._make

    def make(self, *args):
        made.append(threading.current_thread() is not threading.main_thread())
        return real_make(self, *args)

    monkeypatch.setattr(replay.Recorder, "_make", make)
    printed = ragtune("check", "src", "--output-format", "json", cwd=tree)
    assert made == [True] and len(_records(tree)) == 1 and analyses["runs"] == 2
    assert ragtune("check", "src", "--output-format", "json", cwd=tree).out == printed.out
    assert analyses["runs"] == 2


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_record_that_fails_to_be_made_is_no_record_and_no_traceback(tree, ragtune, analyses, monkeypatch):
    real_make = replay.Recorder._make

    def broken(self, *args):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(replay.Recorder, "_make", broken)
    first = ragtune("check", "src", "--output-format", "json", cwd=tree)
    assert first.code == 1 and first.err == "" and _records(tree) == []
    monkeypatch.setattr(replay.Recorder, "_make", real_make)
    assert ragtune("check", "src", "--output-format", "json", cwd=tree).out == first.out
    assert analyses["runs"] == 2 and len(_records(tree)) == 1
