"""The engine: files → facts → rules → findings.  No editor or CLI code here.

``Engine`` is shared by the CLI and the language server, so both render the same
findings from the same call.
"""

from __future__ import annotations

import dataclasses
import functools

import logging
import os
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from .config import ConfigError, LoadedConfig, Settings, find_config, find_config_in, load_config_file, merge_overrides
from .models import Finding, Range
from .prices import PriceDataError, PriceTable, load_prices
from .rules.base import FileContext
from .rules.registry import BY_CODE, enabled_codes, load_rule
from .sources.discovery import WalkLog, file_kind, iter_files
from .suppression import Suppression, apply_suppressions, find_suppressions
from .workspace import UnreadableFile, Workspace

log = logging.getLogger("ragtune.engine")

# A prompt or code file bigger than this is reported (RT002) rather than parsed.
MAX_ANALYSED_BYTES = 5 * 1024 * 1024


def _reraise_unless_internal(exc: BaseException) -> None:
    """Let an interrupt or an exit through; an error of ours or of a library is one
    file's problem.  A panic in a Rust extension (tiktoken's encoder) arrives as
    pyo3's PanicException, a BaseException, and is a library error like any other."""
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0


@dataclass(frozen=True)
class ResolvedConfig:
    settings: Settings
    root: Path
    origin: str | None
    enabled: frozenset[str]
    prices: PriceTable


class Engine:
    """Analyses files of one workspace with the configuration in force for each."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        config_file: str | None = None,
        overrides: dict | None = None,
        overrides_origin: str = "command line",
    ):
        self.workspace = workspace
        self._config_file = config_file
        self._overrides = overrides or {}
        self._overrides_origin = overrides_origin
        self._resolved: dict[str, ResolvedConfig] = {}
        # configuration per folder; a resolved folder's entry is the same either way
        self._config_by_dir: dict[str, ResolvedConfig] = {}
        self._fixed: LoadedConfig | None = None
        if config_file is not None:
            loaded = load_config_file(Path(config_file))
            if loaded is None:
                raise ConfigError(f"{config_file}: no [tool.ragtune] table")
            self._fixed = loaded

    # -- configuration --------------------------------------------------
    def config_for(self, path: str | Path) -> ResolvedConfig:
        """Settings in force for ``path`` (a file or folder).  Raises ConfigError."""
        return self._resolved_config(self._fixed or find_config(Path(path)))

    def config_for_folder(self, folder: str) -> ResolvedConfig:
        """``config_for`` a folder that is absolute and resolved (from a walk); memoised
        per folder.  Raises ConfigError."""
        cfg = self._config_by_dir.get(folder)
        if cfg is None:
            cfg = self._config_by_dir[folder] = self._resolved_config(self._fixed or find_config_in(folder))
        return cfg

    def _resolved_config(self, loaded: LoadedConfig) -> ResolvedConfig:
        key = loaded.path or f"<defaults:{loaded.root}>"
        cached = self._resolved.get(key)
        if cached is not None:
            return cached
        if loaded.path is None:
            # no configuration file: every folder gets the same defaults, only the root
            # differs; build them once (a large tree has hundreds of such folders)
            template = self._resolved.get("<defaults>")
            if template is None:
                template = self._resolved["<defaults>"] = self._resolve(loaded)
            resolved = self._resolved[key] = dataclasses.replace(template, root=Path(loaded.root))
            return resolved
        resolved = self._resolved[key] = self._resolve(loaded)
        return resolved

    def _resolve(self, loaded: LoadedConfig) -> ResolvedConfig:
        settings = loaded.settings
        if self._overrides:
            settings = merge_overrides(settings, self._overrides, self._overrides_origin)
        try:
            prices = load_prices(
                str(Path(loaded.root) / settings.prices_file) if settings.prices_file else None
            )
        except PriceDataError as exc:
            raise ConfigError(str(exc)) from None
        resolved = ResolvedConfig(
            settings=settings,
            root=Path(loaded.root),
            origin=loaded.path,
            enabled=enabled_codes(settings.select, settings.ignore, settings.extend_select),
            prices=prices,
        )
        return resolved

    def config_files(self) -> set[str]:
        """The configuration and price files the configurations resolved so far came from."""
        files: set[str] = set()
        for cfg in self._resolved.values():
            if cfg.origin:
                files.add(os.path.abspath(cfg.origin))
            if cfg.settings.prices_file:
                files.add(os.path.abspath(os.path.join(cfg.root, cfg.settings.prices_file)))
        return files

    def reset_config(self) -> None:
        from .config import clear_config_cache

        clear_config_cache()
        self._resolved.clear()
        self._config_by_dir.clear()

    # -- whole runs ---------------------------------------------------------
    def iter_targets(self, roots: Iterable[str | Path], log: WalkLog | None = None) -> Iterator[tuple[Path, str, bool]]:
        """Files to analyse under ``roots``; ``log`` collects what the walk looked at."""
        for root in roots:
            root = Path(root)
            cfg = self.config_for(root)
            yield from iter_files([root], cfg.settings, cfg.root, log)

    def check(self, roots: Iterable[str | Path]) -> CheckResult:
        result = CheckResult()
        for path, kind, explicit in self.iter_targets(roots):
            result.files_checked += 1
            result.findings.extend(self.analyze_file(str(path), kind=kind, explicit=explicit))
        result.findings.sort(key=finding_sort_key)
        return result

    # -- one file ----------------------------------------------------------
    def analyze_file(self, path: str, *, kind: str | None = None, explicit: bool = True, text: str | None = None) -> list[Finding]:
        """Findings for one file; ``text`` (an editor buffer) overrides the disk."""
        return self.analyze_with_context(path, kind=kind, explicit=explicit, text=text)[0]

    def analyze_with_context(
        self, path: str, *, kind: str | None = None, explicit: bool = True, text: str | None = None
    ) -> tuple[list[Finding], FileContext | None]:
        """``analyze_file``, plus the file context the rules saw (its prompt sites, token
        counts and facts, for an editor's hover and code lens); None when the file was
        not read (unreadable, or of no kind ragtune analyses)."""
        # abspath, not resolve(): a string operation instead of a stat per path
        # component, which cost more than the prefilter on large trees
        abs_path = os.path.abspath(path)
        directory = os.path.dirname(abs_path)
        cfg = self._config_by_dir.get(directory)
        if cfg is None:
            cfg = self._config_by_dir[directory] = self.config_for(abs_path)
        settings = cfg.settings
        if kind is None:
            kind = file_kind(abs_path, settings, explicit=explicit) or "unknown"
        ctx = FileContext(
            path=abs_path,
            display_path=path,
            kind=kind,
            text="",
            settings=settings,
            workspace=self.workspace,
            prices=cfg.prices,
        )
        if text is None:
            try:
                text = self._read(abs_path, kind)
            except UnreadableFile as exc:
                return self._finish(ctx, cfg, [_unreadable(ctx, str(exc))], []), None
        ctx.text = text
        if kind == "unknown":
            return [], None
        try:
            self._extract(ctx)
        except BaseException as exc:  # an extractor bug must not end the run
            _reraise_unless_internal(exc)
            # the user sees RT002; the traceback is for a bug report (--verbose)
            log.debug("extracting facts from %s failed:\n%s", abs_path, traceback.format_exc())
            return self._finish(ctx, cfg, [_unreadable(ctx, f"internal error while reading it ({exc.__class__.__name__}); please report this")], find_suppressions(text)), ctx
        findings: list[Finding] = []
        for code in sorted(cfg.enabled):
            spec = BY_CODE[code]
            # RT001 runs last, over the suppressions; project rules run once per run;
            # dataset rules only have something to say about datasets (and importing
            # them, numpy included, is not for runs over code alone)
            if spec.scope == "project" or code == "RT001" or (spec.scope == "dataset" and ctx.kind != "dataset"):
                continue
            try:
                findings.extend(self._run_rule(code, ctx))
            except BaseException as exc:
                _reraise_unless_internal(exc)
                log.debug("rule %s failed on %s:\n%s", code, abs_path, traceback.format_exc())
                if "RT002" in cfg.enabled:
                    findings.append(_unreadable(ctx, f"internal error in rule {code} ({exc.__class__.__name__}); the other rules still ran; please report this"))
        return self._finish(ctx, cfg, findings, find_suppressions(text) if kind != "dataset" else []), ctx

    def _run_rule(self, code: str, ctx: FileContext) -> Iterable[Finding]:
        """One rule over one file (a hook: the language server stops here when the text
        being analysed was replaced)."""
        return load_rule(code).check(ctx)

    def _read(self, path: str, kind: str) -> str:
        if kind == "dataset":
            # datasets are streamed by their own reader; no size limit applies here
            return ""
        return self.workspace.read_text(path, max_bytes=MAX_ANALYSED_BYTES)

    def _extract(self, ctx: FileContext) -> None:
        if ctx.kind in ("python", "javascript", "typescript", "tsx", "notebook"):
            from .sources.code import extract_code_facts

            gate = code_gate()
            may_call, found = gate.scan(ctx.text)
            if not may_call:
                ctx.facts[FILE_NEEDLES_FACT] = (gate.extra, found)
                return
            facts = extract_code_facts(ctx.path, ctx.text, ctx.kind, self.workspace, ctx.settings.default_model)
            ctx.sites = list(facts.sites)
            ctx.retrieval = list(facts.retrieval)
            ctx.errors.extend(facts.errors)
            ctx.facts["code"] = facts
        elif ctx.kind == "prompt":
            from .sources.prompt_files import read_prompt_file

            facts = read_prompt_file(ctx.path, ctx.text)
            ctx.sites = list(facts.sites)
            ctx.errors.extend(facts.errors)
            ctx.facts["prompt_file"] = facts
        elif ctx.kind == "dataset":
            from .datasets import analyse_dataset

            analysis = analyse_dataset(ctx)  # streamed from disk, or from ctx.text (an editor buffer)
            if analysis is not None:
                ctx.facts["dataset"] = analysis
        # every path a prompt was read from that is itself analysed as a prompt file
        paths = {
            part.location.path
            for site in ctx.sites
            for prompt in [site.system, *(m.prompt for m in site.messages)]
            if prompt is not None
            for part in prompt.parts
            if part.location is not None and part.location.path != ctx.path
        }
        ctx.prompt_file_paths = frozenset(p for p in paths if file_kind(p, ctx.settings) == "prompt")

    def _finish(self, ctx: FileContext, cfg: ResolvedConfig, findings: list[Finding], suppressions: list[Suppression]) -> list[Finding]:
        findings = [f for f in findings if f.code in cfg.enabled]
        findings = _apply_per_file_ignores(findings, ctx.path, cfg)
        if ctx.kind == "dataset" and cfg.settings.jsonl_ignores:
            from .datasets.suppression import apply_jsonl_ignores

            findings = apply_jsonl_ignores(ctx, cfg.settings, cfg.root, cfg.origin, cfg.enabled, findings)
        findings = apply_suppressions(findings, suppressions)
        if "RT001" in cfg.enabled:
            from .rules.rt.unused_suppression import unused_suppression_findings

            findings.extend(apply_suppressions(unused_suppression_findings(ctx, suppressions, cfg.enabled), [s for s in suppressions if s.file_level]))
        findings.sort(key=finding_sort_key)
        return findings


# What the code gate saw in a file it found no LLM call in: (needles looked for, found).
FILE_NEEDLES_FACT = "file_needles"


@functools.cache
def code_gate():
    """The prefilter, also noting the needles rules declare as ``FILE_NEEDLES`` (the
    strings without which a rule has nothing to find in a file with no call site)."""
    from .sources.code.prefilter import CodeGate

    extra: set[str] = set()
    for code, spec in BY_CODE.items():
        if spec.scope == "prompt":  # the rules that read code files
            extra.update(getattr(load_rule(code), "FILE_NEEDLES", ()))
    return CodeGate(tuple(sorted(extra)))


def _unreadable(ctx: FileContext, reason: str) -> Finding:
    return ctx.finding("RT002", f"Skipped: {reason}", Range.of(0, 0, 0, 0))


def _apply_per_file_ignores(findings: list[Finding], path: str, cfg: ResolvedConfig) -> list[Finding]:
    if not cfg.settings.per_file_ignores or not findings:
        return findings
    try:
        rel = Path(path).resolve().relative_to(cfg.root.resolve()).as_posix()
    except ValueError:
        rel = Path(path).name
    ignored: list[str] = []
    for glob, codes in cfg.settings.per_file_ignores.items():
        if pathspec.PathSpec.from_lines("gitignore", [glob]).match_file(rel):
            ignored.extend(codes)
    if not ignored:
        return findings
    return [f for f in findings if not any(c == "ALL" or f.code.startswith(c) for c in ignored)]


def finding_sort_key(f: Finding):
    return (f.path, f.range.start.line, f.range.start.character, f.code)
