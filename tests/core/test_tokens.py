"""Token counts are exact, offline, and chosen by the model at the call site."""

import os
import socket
import subprocess
import sys

import pytest

from ragtune.analyzers import tokens


def test_counts_with_sockets_disabled(monkeypatch):
    """The tokenizer must never need the network: any socket use fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the tokenizer tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    tokens._encodings.clear()
    assert tokens.count_tokens("hello world") == 2
    assert tokens.count_tokens("hello world", "cl100k_base") == 2


def test_fresh_process_without_cache_or_network(tmp_path):
    """A new process with an empty tiktoken cache dir and a dead proxy still counts."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise SystemExit('network used')\n"
        "socket.socket = refuse; socket.create_connection = refuse\n"
        "from ragtune.analyzers.tokens import count_tokens\n"
        "print(count_tokens('Résumé: 東京 🚀 tokens', 'o200k_base'), count_tokens('Résumé: 東京 🚀 tokens', 'cl100k_base'))\n"
    )
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "user-cache"), "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    o200k, cl100k = map(int, out.stdout.split())
    assert o200k > 0 and cl100k > 0
    # nothing written to tiktoken's cache; ragtune's parsed ranks in the user's cache
    assert [p.name for p in tmp_path.iterdir()] == ["user-cache"]


def test_counts_match_tiktoken_reference_values():
    # Reference counts from tiktoken's own encoders for these strings.
    enc = tokens.get_encoding("o200k_base")
    text = "The Pro plan costs $49/month."
    assert tokens.count_tokens(text) == len(enc.encode(text, disallowed_special=()))
    assert enc.decode(enc.encode(text)) == text


def test_special_token_text_is_counted_not_refused():
    assert tokens.count_tokens("say <|endoftext|> literally") > 3


def test_checksum_mismatch_is_refused(monkeypatch):
    with pytest.raises(tokens.TokenizerDataError):
        tokens._load_bundled_ranks("https://example.invalid/o200k_base.tiktoken", expected_hash="0" * 64)


@pytest.mark.parametrize(
    ("model", "encoding", "exact"),
    [
        ("gpt-4o", "o200k_base", True),
        ("gpt-4o-mini-2024-07-18", "o200k_base", True),
        ("gpt-4", "cl100k_base", True),
        ("gpt-3.5-turbo", "cl100k_base", True),
        ("o3-mini", "o200k_base", True),
        ("ft:gpt-4o-mini:acme::abc123", "o200k_base", True),
        ("claude-3-5-sonnet-latest", "o200k_base", False),
        ("gemini-2.0-flash", "o200k_base", False),
        (None, "o200k_base", True),
    ],
)
def test_encoding_by_model(model, encoding, exact):
    t = tokens.tokenizer_for_model(model)
    assert (t.encoding, t.exact) == (encoding, exact)
    if not exact:
        assert "approximate" in t.label


def _fresh_encoding(monkeypatch, cache_home):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    monkeypatch.setattr(tokens, "_encodings", {})
    return tokens.get_encoding("o200k_base")


def test_parsed_ranks_are_kept_in_the_user_cache_and_reused(tmp_path, monkeypatch):
    text = "Résumé: 東京 🚀 the Pro plan costs $49/month."
    first = _fresh_encoding(monkeypatch, tmp_path).encode_ordinary(text)
    (kept,) = (tmp_path / "ragtune" / "tokenizer").iterdir()
    assert kept.name.startswith("o200k_base-") and kept.stat().st_size > 1_000_000

    def no_rank_file(*args):
        raise AssertionError("the rank file was parsed again")

    monkeypatch.setattr(tokens, "_load_rank_file", no_rank_file)
    assert _fresh_encoding(monkeypatch, tmp_path).encode_ordinary(text) == first


def test_a_damaged_ranks_cache_is_ignored_and_rewritten(tmp_path, monkeypatch):
    reference = _fresh_encoding(monkeypatch, tmp_path).encode_ordinary("hello world, 東京")
    (kept,) = (tmp_path / "ragtune" / "tokenizer").iterdir()
    data = bytearray(kept.read_bytes())
    data[1000] ^= 0xFF  # one flipped byte in the payload
    kept.write_bytes(bytes(data))
    assert tokens._read_cached_ranks(kept) is None
    assert _fresh_encoding(monkeypatch, tmp_path).encode_ordinary("hello world, 東京") == reference
    assert tokens._read_cached_ranks(kept) is not None  # written again, whole
    kept.write_bytes(b"short")
    assert tokens._read_cached_ranks(kept) is None


def test_an_unwritable_cache_folder_only_costs_the_speed_up(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    assert _fresh_encoding(monkeypatch, blocker).encode_ordinary("hello world") == [24912, 2375]
    assert blocker.read_text() == "a file where the cache folder would go"


def test_no_known_home_means_no_ranks_cache_and_nothing_written_here(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # "~" stays "~"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tokens, "_encodings", {})
    assert tokens._ranks_cache_file("o200k_base", "0" * 64) is None
    assert tokens.get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]
    assert list(tmp_path.iterdir()) == []  # no "~" folder in the working folder
