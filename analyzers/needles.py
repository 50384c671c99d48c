"""Many fixed strings found in one pass over a text.

Testing a hundred needles one after another, or as one regex alternation, costs
seconds on a large tree; an Aho–Corasick automaton (pyahocorasick, in C) finds them
all in one pass.  ``Needles.finditer`` gives what a regex alternation of the needles
(longest first) gives with ``finditer``: leftmost matches, the longest at each start,
none overlapping.  Needles listed as ``words`` only count between word boundaries
(``\\b`` in a regex).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import ahocorasick


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class Needles:
    __slots__ = ("_automaton", "_words")

    def __init__(self, needles: Iterable[str], words: Iterable[str] = ()):
        self._words = frozenset(words)
        self._automaton = ahocorasick.Automaton()
        for needle in {*needles, *self._words}:
            if not needle:
                raise ValueError("an empty needle matches everywhere")
            self._automaton.add_word(needle, needle)
        self._automaton.make_automaton()

    def _bounded(self, text: str, start: int, end: int) -> bool:
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        return not (before and _is_word_char(before)) and not (after and _is_word_char(after))

    def any_in(self, text: str) -> bool:
        for end, needle in self._automaton.iter(text):
            if needle not in self._words or self._bounded(text, end - len(needle) + 1, end + 1):
                return True
        return False

    def finditer(self, text: str, start: int = 0) -> Iterator[tuple[int, int, str]]:
        """(start, end, needle) of each match, as a longest-first alternation finds them."""
        found = []
        for last, needle in self._automaton.iter(text, start):
            begin = last - len(needle) + 1
            if needle in self._words and not self._bounded(text, begin, last + 1):
                continue
            found.append((begin, last + 1, needle))
        found.sort(key=lambda m: (m[0], -m[1]))
        taken_to = -1
        for match in found:
            if match[0] >= taken_to:
                taken_to = match[1]
                yield match
