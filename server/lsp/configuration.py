"""Configuration: client settings (``workspace/configuration``, section ``ragtune``)
over ``[tool.ragtune]`` / ``ragtune.toml`` over defaults, reloaded when either changes.

Client settings use the editor's camelCase names (``thresholds.systemPromptTokens``);
they are mapped onto the file's kebab-case keys and validated by the engine.  A bad
setting is shown to the user and logged, never replaced silently by a default.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from .server import RagtuneLanguageServer

CONFIG_FILES = ("pyproject.toml", "ragtune.toml")
# Settings that only decide how the server is launched (the client restarts it).
LAUNCH_SETTINGS = {"path", "interpreter", "trace", "args"}
# Settings of the server itself, not of the rules.
SERVER_SETTINGS = {"debounce-ms": int, "code-lens": bool}
WATCHED_GLOBS = (
    "**/pyproject.toml", "**/ragtune.toml", "**/*.jsonl", "**/*.prompt", "**/*.prompty", "**/*.j2",
    "**/*.jinja", "**/*.jinja2", "**/*.prompt.{md,yml,yaml,txt,json}", "**/prompts/**", "**/*.py",
    "**/*.{js,ts,tsx,mjs,cjs,mts,cts}",
)


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).replace("_", "-").lower()


def normalise_settings(raw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(engine overrides, server options) from the client's section ``ragtune``."""
    if not isinstance(raw, dict):
        return {}, {}
    overrides: dict[str, Any] = {}
    server: dict[str, Any] = {}
    for key, value in raw.items():
        name = _kebab(str(key))
        if name in LAUNCH_SETTINGS or value is None:
            continue
        if name in SERVER_SETTINGS:
            server[name] = value
        elif name in ("thresholds", "per-file-ignores") and isinstance(value, dict):
            overrides[name] = {(_kebab(str(k)) if name == "thresholds" else k): v for k, v in value.items()}
        else:
            overrides[name] = value
    return overrides, server


def apply_server_options(ls: RagtuneLanguageServer, options: dict[str, Any]) -> list[str]:
    problems = []
    for name, value in options.items():
        name = _kebab(name)
        kind = SERVER_SETTINGS.get(name)
        if kind is None:
            continue
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(f"'{name}' must be a whole number of milliseconds ≥ 0 (got {value!r})")
            continue
        if kind is bool and not isinstance(value, bool):
            problems.append(f"'{name}' must be true or false (got {value!r})")
            continue
        ls.server_options[name] = value
    return problems


def is_config_file(path: str) -> bool:
    return Path(path).name in CONFIG_FILES


def init_message(ls: RagtuneLanguageServer) -> tuple:
    return ("init", ls.root or str(Path.cwd()), ls.settings, "editor settings (ragtune)")


def send_init(ls: RagtuneLanguageServer) -> None:
    ls.config_generation += 1  # results of jobs sent before this are of the old settings
    for backend in ls.backends():
        backend.send(init_message(ls))


def settle_configuration(ls: RagtuneLanguageServer) -> None:
    """The client's settings are known (or it has none to give): show the results held
    meanwhile, those computed under the settings now in force."""
    from .diagnostics import accept_result

    ls.config_settled = True
    held, ls.held_results = ls.held_results, []
    for job_id, job, path, payload in held:
        accept_result(ls, job_id, job, path, payload)


async def reload_configuration(ls: RagtuneLanguageServer, reanalyse: bool = True, files_changed: bool = False) -> None:
    """Fetch the client's settings; re-initialise the engine when they or the files changed."""
    raw: Any = {}
    caps = ls.client_capabilities
    if caps.workspace is not None and caps.workspace.configuration:
        try:
            answer = await asyncio.wait_for(
                ls.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section="ragtune", scope_uri=ls.uri_of(ls.root) if ls.root else None)])
                ),
                timeout=5,
            )
            raw = answer[0] if answer else {}
        except Exception as exc:  # a client that cannot answer keeps the file settings
            ls.log(f"workspace/configuration failed ({exc.__class__.__name__}: {exc}); using file settings")
            raw = {}
    overrides, server = normalise_settings(raw)
    problems = apply_server_options(ls, server)
    if problems:
        report_config_problem(ls, "editor settings (ragtune): " + "; ".join(problems))
    if overrides == ls.settings and not files_changed:
        return
    ls.settings = overrides
    ls.pending_reanalyse = reanalyse
    send_init(ls)


def on_config_applied(ls: RagtuneLanguageServer, error: str | None) -> None:
    """The analysis process took the configuration; ``error`` says what was refused."""
    from .diagnostics import reanalyse_everything, request_refresh

    if error:
        report_config_problem(ls, error)
    elif ls.config_problem:
        ls.log("configuration is valid again", types.MessageType.Info)
        ls.config_problem = None
    if getattr(ls, "pending_reanalyse", False):
        ls.pending_reanalyse = False
        reanalyse_everything(ls)
        request_refresh(ls)


def report_config_problem(ls: RagtuneLanguageServer, message: str) -> None:
    """Shown once per distinct problem (not on every keystroke), always logged."""
    if message == ls.config_problem:
        return
    ls.config_problem = message
    ls.tell_user(f"ragtune: invalid configuration: {message}", types.MessageType.Error)


async def register_watchers(ls: RagtuneLanguageServer) -> None:
    caps = ls.client_capabilities.workspace
    registrations = []
    if caps is not None and caps.did_change_watched_files is not None and caps.did_change_watched_files.dynamic_registration:
        registrations.append(
            types.Registration(
                id="ragtune-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED_GLOBS]
                ),
            )
        )
    if caps is not None and caps.did_change_configuration is not None and caps.did_change_configuration.dynamic_registration:
        registrations.append(types.Registration(id="ragtune-configuration", method=types.WORKSPACE_DID_CHANGE_CONFIGURATION, register_options=types.DidChangeConfigurationRegistrationOptions(section="ragtune")))
    if not registrations:
        return
    try:
        await asyncio.wait_for(ls.client_register_capability_async(types.RegistrationParams(registrations=registrations)), timeout=5)
    except Exception as exc:
        ls.log(f"the client refused file watching ({exc}); changes on disk are seen on save only")


def register(server: RagtuneLanguageServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: RagtuneLanguageServer, params: types.DidChangeConfigurationParams):
        await reload_configuration(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: RagtuneLanguageServer, params: types.DidChangeWatchedFilesParams):
        from .diagnostics import publish, reanalyse_dependents, send_closed_job

        config_changed = False
        for change in params.changes:
            path = ls.path_of(change.uri)
            if path is None:
                continue
            if is_config_file(path):
                config_changed = True
                continue
            if path in ls.doc_uris:
                continue  # the buffer is the truth for an open file
            if change.type == types.FileChangeType.Deleted:
                gone = ls.results.pop(path, None)
                if gone is not None and gone.diagnostics:
                    publish(ls, gone.uri, None, [])
                    ls.workspace_changed.set()
            elif path in ls.results or path in ls.scan_state.get("targets", ()) or change.type == types.FileChangeType.Created:
                send_closed_job(ls, path)
            reanalyse_dependents(ls, path)
        if config_changed:
            await reload_configuration(ls, files_changed=True)
