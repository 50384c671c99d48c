"""Every `expect:` in the fixtures is reported, and nothing else is."""

from expectations import run_fixtures


def test_fixtures_match_their_expectations():
    matched, missed, unexpected = run_fixtures()
    problems = [f"missed {m.code} at {m.path}:{m.line + 1}" for m in missed]
    problems += [f"unexpected {f.code} at {f.path}:{f.range.start.line + 1}: {f.message}" for f in unexpected]
    assert not problems, "\n".join(problems)
    assert matched, "the fixtures expect findings"
    codes = {e.code for e, _ in matched}
    assert {"FT201", "FT202", "RAG102", "RAG103", "RAG104"} <= codes
