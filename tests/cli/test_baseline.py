"""--write-baseline / --baseline: matched by fingerprint, so moved lines still match."""

from __future__ import annotations

import json

from cli_sources import UNUSED, few_shot_source


def test_baseline_survives_moved_lines_and_reports_only_new(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    (project / "triage.py").write_text(few_shot_source())
    run = ragtune("check", "--write-baseline", "ragtune-baseline.json", ".", cwd=project)
    assert run.code == 0
    saved = json.loads((project / "ragtune-baseline.json").read_text("utf-8"))
    assert {row["code"] for row in saved["findings"]} >= {"RT001", "FT201", "FT202"}
    saved_count = len(saved["findings"])

    # lines move: code inserted above every finding
    (project / "a.py").write_text("import os\n\n\n" + UNUSED)
    (project / "triage.py").write_text("# moved down\n\n" + few_shot_source())
    run = ragtune("check", "--baseline", "ragtune-baseline.json", ".", cwd=project)
    assert run.code == 0, run.out
    assert f"{saved_count} findings hidden by the baseline." in run.out

    # a new finding is reported; the old ones stay hidden
    (project / "b.py").write_text("y = 2  # ragtune: ignore[RAG102]\n")
    run = ragtune("check", "--baseline", "ragtune-baseline.json", "--output-format", "concise", ".", cwd=project)
    assert run.code == 1
    assert [l.split(":")[0] for l in run.out.splitlines() if ": RT001 " in l] == ["b.py"]


def test_a_second_equal_finding_in_the_same_file_is_new(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    ragtune("check", "--write-baseline", "base.json", ".", cwd=project)
    (project / "a.py").write_text(UNUSED + "\n" + UNUSED)
    run = ragtune("check", "--baseline", "base.json", "--output-format", "json", ".", cwd=project)
    assert run.code == 1
    assert len(json.loads(run.out)) == 1


def test_same_text_in_another_file_is_new(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    ragtune("check", "--write-baseline", "base.json", ".", cwd=project)
    (project / "copy.py").write_text(UNUSED)
    run = ragtune("check", "--baseline", "base.json", "--output-format", "json", ".", cwd=project)
    assert [f["path"] for f in json.loads(run.out)] == ["copy.py"]


def test_fingerprint_is_the_same_in_sarif_json_and_baseline(ragtune, project):
    (project / "a.py").write_text(UNUSED)
    ragtune("check", "--write-baseline", "base.json", ".", cwd=project)
    base = json.loads((project / "base.json").read_text())["findings"][0]["fingerprint"]
    sarif = json.loads(ragtune("check", "--output-format", "sarif", ".", cwd=project).out)
    as_json = json.loads(ragtune("check", "--output-format", "json", ".", cwd=project).out)
    assert sarif["runs"][0]["results"][0]["partialFingerprints"]["ragtuneFingerprint/v1"] == base == as_json[0]["fingerprint"]
