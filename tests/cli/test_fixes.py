"""--fix, --unsafe-fixes and --diff: only the fixed span changes, writes are atomic,
a failure half-way leaves every file old, new files never overwrite."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli_sources import UNUSED, few_shot_source
from ragtune.analyzers.models import Applicability, FileEdit, Finding, Fix, NewFile, Range, Remedy, Severity, TextEdit
from ragtune.server import fixes
from ragtune.server.cache import content_hash
from ragtune.server.fixes import FixError, apply_plan, plan_fixes


def _finding(path: Path, fix: Fix, line: int = 0) -> Finding:
    return Finding(
        code="RT001", name="unused-suppression", message="m", severity=Severity.INFO, remedy=Remedy.NONE,
        path=str(path), range=Range.of(line, 0, line, 1), fix=fix,
    )


def _edit(path: Path, line: int, start: int, end: int, text: str, applicability=Applicability.SAFE) -> Fix:
    return Fix(title="t", applicability=applicability, file_edits=[FileEdit(path=str(path), edits=[TextEdit(range=Range.of(line, start, line, end), new_text=text)])])


def _contents(*paths: Path) -> dict[str, str]:
    return {str(p.resolve()): content_hash(p.read_bytes()) for p in paths}


def test_fix_keeps_crlf_bom_and_everything_outside_the_span(ragtune, project):
    crlf = b"a = 1\r\nx = 1  # ragtune: ignore[FT201]\r\n\r\nz = 'caf\xc3\xa9'\r\nlast"
    bom = b"\xef\xbb\xbfy = 2  # ragtune: ignore[FT201, RAG102]\ntail = 3\r\n"
    (project / "crlf.py").write_bytes(crlf)
    (project / "bom.py").write_bytes(bom)
    run = ragtune("check", "--fix", ".", cwd=project)
    assert run.code == 0, run.out + run.err
    assert "Applied 3 fixes." in run.out  # bom.py's two codes overlap: one per round
    assert (project / "crlf.py").read_bytes() == b"a = 1\r\nx = 1\r\n\r\nz = 'caf\xc3\xa9'\r\nlast"
    assert (project / "bom.py").read_bytes() == b"\xef\xbb\xbfy = 2\ntail = 3\r\n"
    leftovers = [p.name for p in project.iterdir() if "ragtune-tmp" in p.name]
    assert leftovers == []


def test_fix_with_two_codes_in_one_comment(ragtune, project):
    (project / "two.py").write_bytes(b"y = 2  # ragtune: ignore[FT201, RAG102]\r\n")
    assert ragtune("check", "--fix", ".", cwd=project).code == 0
    assert (project / "two.py").read_bytes() == b"y = 2\r\n"


def test_diff_prints_and_writes_nothing(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    before = (project / "a.py").read_bytes()
    run = ragtune("check", "--diff", ".", cwd=project)
    assert run.code == 1
    assert run.out.splitlines()[:5] == ["--- a/a.py", "+++ b/a.py", "@@ -1 +1 @@", "-x = 1  # ragtune: ignore[FT201]", "+x = 1"]
    assert (project / "a.py").read_bytes() == before
    clean = project / "clean"
    clean.mkdir()
    (clean / "ok.py").write_text("x = 1\n")
    assert ragtune("check", "--diff", "clean", cwd=project).code == 0


def test_ft202_safe_fix_creates_a_dataset_and_never_overwrites(ragtune, project):
    (project / "triage.py").write_text(few_shot_source())
    run = ragtune("check", "--fix", "--no-cache", ".", cwd=project)
    created = project / "triage.few-shot.jsonl"
    assert created.exists(), run.out + run.err
    records = [json.loads(l) for l in created.read_text("utf-8").splitlines()]
    assert len(records) == 22 and records[0]["messages"][-1]["role"] == "assistant"
    assert (project / "triage.py").read_text() == few_shot_source()  # the source is not edited
    assert "FT202" in run.out  # the finding stays: exporting does not remove the examples
    assert not (project / "triage.few-shot-2.jsonl").exists()  # one round of file creation only


def test_new_file_that_exists_is_refused(tmp_path):
    target = tmp_path / "data.jsonl"
    target.write_text("mine\n")
    f = _finding(tmp_path / "a.py", Fix(title="t", applicability=Applicability.SAFE, new_files=[NewFile(path=str(target), content="theirs\n")]))
    plan = plan_fixes([f], {}, unsafe=False, root=tmp_path)
    assert plan.empty and "exists" in plan.refused[0][1]
    with pytest.raises(FileExistsError):
        fixes.create_exclusively(target, b"theirs\n")
    assert target.read_text() == "mine\n"


def test_new_file_appearing_before_commit_rolls_back_everything(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("abc\n")
    target = tmp_path / "new.jsonl"
    f1 = _finding(a, _edit(a, 0, 0, 1, "X"))
    f2 = _finding(a, Fix(title="t", applicability=Applicability.SAFE, new_files=[NewFile(path=str(target), content="new\n")]))
    plan = plan_fixes([f1, f2], _contents(a), unsafe=False, root=tmp_path)
    target.write_text("someone else's\n")  # created between planning and writing
    with pytest.raises(FixError):
        apply_plan(plan)
    assert a.read_text() == "abc\n"
    assert target.read_text() == "someone else's\n"


def test_unsafe_fixes_need_the_flag(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("abc\n")
    f = _finding(a, _edit(a, 0, 0, 3, "xyz", Applicability.UNSAFE))
    display = _finding(a, _edit(a, 0, 0, 3, "xyz", Applicability.DISPLAY_ONLY))
    assert plan_fixes([f, display], _contents(a), unsafe=False, root=tmp_path).empty
    plan = plan_fixes([f, display], _contents(a), unsafe=True, root=tmp_path)
    assert plan.applied == [f]
    apply_plan(plan)
    assert a.read_text() == "xyz\n"


def test_file_changed_since_analysis_is_refused(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("abc\n")
    contents = _contents(a)
    a.write_text("abd\n")
    plan = plan_fixes([_finding(a, _edit(a, 0, 0, 1, "X"))], contents, unsafe=False, root=tmp_path)
    assert plan.empty and "changed since it was analysed" in plan.refused[0][1]
    assert a.read_text() == "abd\n"


def test_file_changed_while_writing_aborts_everything(tmp_path, monkeypatch):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("aaa\n")
    b.write_text("bbb\n")
    plan = plan_fixes([_finding(a, _edit(a, 0, 0, 1, "A")), _finding(b, _edit(b, 0, 0, 1, "B"))], _contents(a, b), unsafe=False, root=tmp_path)
    real_replace = os.replace

    def replace_then_edit(src, dst):
        real_replace(src, dst)
        if Path(dst) == a:
            b.write_text("bbb edited by the user\n")

    monkeypatch.setattr(fixes.os, "replace", replace_then_edit)
    with pytest.raises(FixError, match="changed while fixes were being written"):
        apply_plan(plan)
    assert a.read_text() == "aaa\n"
    assert b.read_text() == "bbb edited by the user\n"


def test_failure_half_way_leaves_every_file_old(tmp_path, monkeypatch):
    paths = [tmp_path / f"f{i}.py" for i in range(4)]
    for i, p in enumerate(paths):
        p.write_bytes(f"value_{i} = {i}\r\n".encode())
    originals = {p: p.read_bytes() for p in paths}
    plan = plan_fixes([_finding(p, _edit(p, 0, 0, 5, "renamed")) for p in paths], _contents(*paths), unsafe=False, root=tmp_path)
    assert len(plan.applied) == 4
    real_replace = os.replace
    calls = []

    def fail_on_third(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(fixes.os, "replace", fail_on_third)
    with pytest.raises(FixError, match="no file was changed"):
        apply_plan(plan)
    monkeypatch.setattr(fixes.os, "replace", real_replace)
    for p in paths:
        assert p.read_bytes() == originals[p]
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temporary files left


def test_failure_while_preparing_changes_nothing(tmp_path, monkeypatch):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("aaa\n")
    b.write_text("bbb\n")
    plan = plan_fixes([_finding(a, _edit(a, 0, 0, 1, "A")), _finding(b, _edit(b, 0, 0, 1, "B"))], _contents(a, b), unsafe=False, root=tmp_path)
    real = fixes._temp_beside
    calls = []

    def fail_second(path, data, mode):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(13, "Permission denied")
        return real(path, data, mode)

    monkeypatch.setattr(fixes, "_temp_beside", fail_second)
    with pytest.raises(FixError):
        apply_plan(plan)
    assert (a.read_text(), b.read_text()) == ("aaa\n", "bbb\n")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.py", "b.py"]


def test_overlapping_fixes_wait_for_the_next_round(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("abcdef\n")
    first = _finding(a, _edit(a, 0, 0, 3, "X"))
    overlapping = _finding(a, _edit(a, 0, 2, 5, "Y"))
    apart = _finding(a, _edit(a, 0, 5, 6, "Z"))
    plan = plan_fixes([first, overlapping, apart], _contents(a), unsafe=False, root=tmp_path)
    assert plan.applied == [first, apart] and plan.conflicts == 1
    apply_plan(plan)
    assert a.read_text() == "XdeZ\n"


def test_inserted_newlines_follow_the_file(tmp_path):
    a = tmp_path / "a.py"
    a.write_bytes(b"one\r\ntwo\r\n")
    plan = plan_fixes([_finding(a, _edit(a, 1, 0, 0, "inserted\nline\n"))], _contents(a), unsafe=False, root=tmp_path)
    apply_plan(plan)
    assert a.read_bytes() == b"one\r\ninserted\r\nline\r\ntwo\r\n"


def test_file_mode_is_kept(ragtune, project):
    script = project / "tool.py"
    script.write_text(UNUSED)
    script.chmod(0o751)
    ragtune("check", "--fix", ".", cwd=project)
    assert script.read_text() == "x = 1\n"
    assert script.stat().st_mode & 0o777 == 0o751
