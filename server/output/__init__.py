"""Renderers of engine findings for the CLI.  Each takes the same findings."""
