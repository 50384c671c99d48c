"""Errors the front-ends report to the user, importable without the engine (the
language server's process starts before the engine is loaded)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration problem, with a message fit for the user (file and key named)."""
