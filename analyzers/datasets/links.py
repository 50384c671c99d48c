"""Which code trains on which dataset: a light scan of code and axolotl configs.

Only paths are needed, so this reads text with bounded regular expressions instead
of parsing: a string literal naming a ``.jsonl``/``.json`` file near an OpenAI upload
(``files.create(..., purpose="fine-tune")``), a fine-tuning job, TRL's
``SFTTrainer`` or ``datasets.load_dataset("json", data_files=...)``, and the
``datasets:`` / ``test_datasets:`` of an axolotl YAML.  Each file's links are memoised
by content hash; the walk itself runs once per workspace state.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..sources.discovery import DEFAULT_EXCLUDE_DIRS
from ..sources.yaml_loading import safe_loader_for
from ..workspace import Workspace

_CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx", ".jsx")
_YAML_SUFFIXES = (".yml", ".yaml")
_MAX_FILES = 20000
_MAX_BYTES = 1024 * 1024
_WINDOW = 800

# bounded repetitions only: linear on any input
_PATH_LITERAL = re.compile(r"""(["'])([^"'\n\\]{1,300}?\.(?:jsonl|json)(?:\.gz)?)\1""")
_ANCHORS = re.compile(r"files\.create\s*\(|fine_tuning\.jobs\.create\s*\(|fineTuning\.jobs\.create\s*\(|SFTTrainer\s*\(|load_dataset\s*\(")
_MODEL = re.compile(r"""\bmodel\s*[=:]\s*(["'])([^"'\n]{1,120})\1""")
_VALIDATION_ARG = re.compile(r"validation_file|eval_dataset|\"validation\"|'validation'|\"test\"|'test'|\"eval\"|'eval'|validation:|test:")
_EVAL_WORD = re.compile(r"(?:^|[^a-z])(val|valid|validation|eval|evaluation|test|dev|holdout|heldout)(?:[^a-z]|$)")
_ASSIGNED = re.compile(r"(\w{1,60})\s*=\s*(?:await\s+)?[\w.]{0,80}$")


@dataclass(frozen=True)
class DatasetLink:
    code_path: str  # absolute
    line: int  # 0-based
    kind: str  # what uses it, in words
    literal: str  # the path as written
    role: str  # "train" or "validation"
    model: str | None = None
    has_validation: bool = False  # the same job/config passes a validation set


def is_eval_name(name: str) -> bool:
    return bool(_EVAL_WORD.search(Path(name).name.lower().split(".")[0]))


def _kind_of(anchor: str) -> str:
    if anchor.startswith("files"):
        return "an OpenAI fine-tuning upload (files.create)"
    if "jobs" in anchor:
        return "an OpenAI fine-tuning job"
    if anchor.startswith("SFTTrainer"):
        return "TRL SFTTrainer"
    return "datasets.load_dataset"


def scan_code_links(text: str, path: str) -> list[DatasetLink]:
    """Links in one code file (paths as written, not yet resolved)."""
    if not any(k in text for k in ("files.create", "jobs.create", "SFTTrainer", "load_dataset")):
        return []
    model = None
    has_validation = False
    for m in re.finditer(r"(?:fine_tuning|fineTuning)\.jobs\.create\s*\(", text):
        window = text[m.end() : m.end() + _WINDOW]
        mm = _MODEL.search(window)
        model = model or (mm.group(2) if mm else None)
        has_validation = has_validation or "validation_file" in window
    for m in re.finditer(r"SFTTrainer\s*\(", text):
        window = text[m.end() : m.end() + _WINDOW]
        has_validation = has_validation or "eval_dataset" in window
        mm = _MODEL.search(window)
        model = model or (mm.group(2) if mm else None)
    links = []
    for m in _ANCHORS.finditer(text):
        anchor = m.group(0)
        window = text[m.end() : m.end() + _WINDOW]
        if anchor.startswith("files") and "fine-tune" not in window[:_WINDOW]:
            continue
        if anchor.startswith("load_dataset") and not re.match(r"""\s*(["'])json\1""", window) and "data_files" not in window[:200]:
            continue
        before = text[max(0, m.start() - 100) : m.start()]
        assigned = _ASSIGNED.search(before.rsplit("\n", 1)[-1])
        var_is_eval = bool(assigned and is_eval_name(assigned.group(1)))
        end = _call_end(window)
        for lm in _PATH_LITERAL.finditer(window, 0, end):
            literal = lm.group(2)
            prefix = window[max(0, lm.start() - 40) : lm.start()]
            role = "validation" if var_is_eval or is_eval_name(literal) or _VALIDATION_ARG.search(prefix) else "train"
            offset = m.end() + lm.start()
            line = text.count("\n", 0, offset)
            links.append(DatasetLink(path, line, _kind_of(anchor), literal, role, model, has_validation))
    if has_validation or any(l.role == "validation" for l in links):
        links = [DatasetLink(l.code_path, l.line, l.kind, l.literal, l.role, l.model, True) for l in links]
    return links


def _call_end(window: str) -> int:
    """Where the call that opened just before ``window`` closes (or the window end)."""
    depth = 1
    for i, c in enumerate(window):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return len(window)


def scan_axolotl_links(text: str, path: str) -> list[DatasetLink]:
    if "datasets:" not in text:
        return []
    try:
        data = yaml.load(text, Loader=safe_loader_for(text))  # noqa: S506 - a safe loader
    except (yaml.YAMLError, RecursionError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
        return []
    model = data.get("base_model") if isinstance(data.get("base_model"), str) else None
    val_size = data.get("val_set_size")
    has_validation = bool(isinstance(val_size, (int, float)) and val_size > 0) or bool(data.get("test_datasets"))
    links = []
    for key, role in (("datasets", "train"), ("test_datasets", "validation")):
        for entry in data.get(key) or []:
            target = entry.get("path") if isinstance(entry, dict) else None
            if not isinstance(target, str) or not target.endswith((".jsonl", ".json", ".jsonl.gz")):
                if isinstance(entry, dict) and isinstance(entry.get("data_files"), str):
                    target = entry["data_files"]
                else:
                    continue
            at = text.find(target)
            line = text.count("\n", 0, at) if at >= 0 else 0
            links.append(DatasetLink(path, line, "an axolotl config", target, role, model, has_validation))
    return links


def _resolve(literal: str, code_path: str, root: Path) -> list[str]:
    """Where a literal path may point: beside the code, or from any folder up to the root."""
    out = []
    here = Path(code_path).parent
    bases = [here, *[p for p in here.parents if p.is_relative_to(root)]]
    for base in bases:
        candidate = (base / literal).resolve()
        if candidate.is_relative_to(root) and str(candidate) not in out:
            out.append(str(candidate))
    return out


def _candidate_files(root: Path) -> list[tuple[str, float, int]]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in DEFAULT_EXCLUDE_DIRS and not d.startswith(".") and not d.endswith(".egg-info")]
        for name in files:
            if name.endswith(_CODE_SUFFIXES) or name.endswith(_YAML_SUFFIXES):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                if st.st_size <= _MAX_BYTES:
                    found.append((path, st.st_mtime, st.st_size))
                if len(found) >= _MAX_FILES:
                    return found
    return found


def _file_links(workspace: Workspace, path: str) -> list[DatasetLink]:
    text = workspace.try_read_text(path)
    if text is None:
        return []
    scan = scan_axolotl_links if path.endswith(_YAML_SUFFIXES) else scan_code_links
    return workspace.memo("dataset-links", path, text, lambda: scan(text, path))


def links_by_dataset(workspace: Workspace) -> dict[str, list[DatasetLink]]:
    """Resolved dataset path → the code that uses it, for the whole workspace."""
    root = workspace.root
    files = _candidate_files(root)
    fingerprint = "\n".join(f"{p}\t{m}\t{s}" for p, m, s in files)

    def compute() -> dict[str, list[DatasetLink]]:
        table: dict[str, list[DatasetLink]] = {}
        for path, _m, _s in files:
            for link in _file_links(workspace, path):
                for target in _resolve(link.literal, path, root):
                    if os.path.exists(target):
                        table.setdefault(target, []).append(link)
        return table

    return workspace.memo("dataset-links-index", str(root), fingerprint, compute)
