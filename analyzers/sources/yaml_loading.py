"""Which PyYAML loader reads a text: libyaml's when it is safe to, else the pure-Python one.

libyaml's loader gives the same nodes and marks and is about 10x faster, but its
composer recurses in C and overflows the stack on very deep nesting (measured: fine at
10,000 levels, a crash at 50,000), where the pure-Python one raises RecursionError; so
the C loader only reads text whose nesting is bounded well below that.
"""

from __future__ import annotations

import yaml

# Nesting bound under which libyaml's recursive composer is safe (10x below the 10,000
# levels measured to be safe).
C_LOADER_MAX_DEPTH = 1_000


def yaml_depth_bound(text: str) -> int:
    """An upper bound of the nesting depth of a YAML text: every flow bracket, plus the
    deepest line's indentation and block indicators."""
    bound = text.count("[") + text.count("{")
    if bound >= C_LOADER_MAX_DEPTH:
        return bound
    block = 0
    for line in text.split("\n"):
        body = line.lstrip(" ")
        depth = len(line) - len(body) + body.count("-") + body.count(":") + body.count("?")
        if depth > block:
            block = depth
    return bound + block


def safe_loader_for(text: str):
    """A safe loader class for ``text`` (libyaml's when its nesting is bounded)."""
    if getattr(yaml, "__with_libyaml__", False) and yaml_depth_bound(text) < C_LOADER_MAX_DEPTH:
        return yaml.CSafeLoader
    return yaml.SafeLoader
