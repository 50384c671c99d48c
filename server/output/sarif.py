"""SARIF 2.1.0 for code scanning: every rule with its documentation, every finding
with its region, its fix where it has one, and a fingerprint that does not move with
line numbers (``partialFingerprints``), so code scanning tracks a finding across
commits.  Columns are Unicode code points, which the run declares (``columnKind``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ragtune.analyzers.models import Finding, Range, Severity
from ragtune.analyzers.rules.registry import RULES, load_rule

from .common import display_path

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "ragtuneFingerprint/v1"
SRCROOT = "%SRCROOT%"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.HINT: "note"}
_SECTION = re.compile(r"^## What it does\s*\n(.*?)(?=^## |\Z)", re.S | re.M)


def _project_urls() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("ragtune").get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    return urls


def rule_help_uri(code: str, urls: dict[str, str]) -> str | None:
    """Where a rule's documentation is published: the package's ``Rules`` project URL
    (``{code}`` is replaced), else its ``Documentation`` URL with the code as anchor."""
    if "rules" in urls:
        return urls["rules"].replace("{code}", code)
    if "documentation" in urls:
        return f"{urls['documentation']}#{code.lower()}"
    return None


def _rule_descriptor(spec, urls: dict[str, str]) -> dict:
    doc = (load_rule(spec.code).__doc__ or "").strip()
    found = _SECTION.search(doc)
    what = " ".join((found.group(1) if found else doc).split()) or spec.name
    first_sentence = what.split(". ")[0].rstrip(".") + "."
    descriptor = {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": first_sentence},
        "fullDescription": {"text": what},
        "help": {"text": doc or what, "markdown": doc or what},
        "defaultConfiguration": {"level": _LEVEL[spec.severity]},
        "properties": {"tags": [spec.remedy.value, spec.code.rstrip("0123456789")], "remedy": spec.remedy.value, "status": spec.status},
    }
    uri = rule_help_uri(spec.code, urls)
    if uri:
        descriptor["helpUri"] = uri
    return descriptor


def _region(r: Range) -> dict:
    return {
        "startLine": r.start.line + 1,
        "startColumn": r.start.character + 1,
        "endLine": max(r.end.line, r.start.line) + 1,
        "endColumn": r.end.character + 1 if (r.end.line, r.end.character) >= (r.start.line, r.start.character) else r.start.character + 1,
    }


def _artifact(path: str, cwd: Path) -> dict:
    shown = display_path(path, cwd)
    if Path(shown).is_absolute():
        return {"uri": Path(shown).as_uri()}
    return {"uri": shown, "uriBaseId": SRCROOT}


def _physical(path: str, r: Range, cwd: Path) -> dict:
    return {"physicalLocation": {"artifactLocation": _artifact(path, cwd), "region": _region(r)}}


def _fix(f: Finding, cwd: Path) -> dict:
    changes = [
        {
            "artifactLocation": _artifact(fe.path, cwd),
            "replacements": [{"deletedRegion": _region(e.range), "insertedContent": {"text": e.new_text}} for e in fe.edits],
        }
        for fe in f.fix.file_edits
    ]
    changes += [
        {
            "artifactLocation": _artifact(nf.path, cwd),
            # a new file: insert the whole content into an empty artifact
            "replacements": [{"deletedRegion": {"charOffset": 0, "charLength": 0}, "insertedContent": {"text": nf.content}}],
        }
        for nf in f.fix.new_files
    ]
    return {
        "description": {"text": f"{f.fix.title} ({f.fix.applicability.value} fix)"},
        "artifactChanges": changes,
        "properties": {"applicability": f.fix.applicability.value},
    }


def sarif_log(findings: list[Finding], fingerprints: list[str], version: str, cwd: Path | None = None) -> dict:
    cwd = (cwd or Path.cwd()).resolve()
    urls = _project_urls()
    index = {spec.code: i for i, spec in enumerate(RULES)}
    results = []
    for f, fp in zip(findings, fingerprints):
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [_physical(f.path, f.range, cwd)],
            "partialFingerprints": {FINGERPRINT_KEY: fp},
            "properties": {"remedy": f.remedy.value, "severity": f.severity.value, **({"figures": f.figures} if f.figures else {})},
        }
        related = [
            {"id": i, "message": {"text": ev.message}, **_physical(ev.location.path, ev.location.range, cwd)}
            for i, ev in enumerate(f.evidence)
            if ev.location is not None
        ]
        if related:
            result["relatedLocations"] = related
        if f.fix is not None and (f.fix.file_edits or f.fix.new_files):
            result["fixes"] = [_fix(f, cwd)]
        results.append(result)
    driver = {
        "name": "ragtune",
        "version": version,
        "semanticVersion": version if re.fullmatch(r"\d+\.\d+\.\d+", version) else None,
        "rules": [_rule_descriptor(spec, urls) for spec in RULES],
    }
    if "homepage" in urls or "repository" in urls:
        driver["informationUri"] = urls.get("homepage") or urls["repository"]
    driver = {k: v for k, v in driver.items() if v is not None}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: {"uri": cwd.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(findings: list[Finding], fingerprints: list[str], version: str, cwd: Path | None = None) -> str:
    return json.dumps(sarif_log(findings, fingerprints, version, cwd), indent=2, ensure_ascii=False) + "\n"
