"""Suite-wide: what ragtune keeps in the user's cache folder (parsed tokenizer ranks,
rule docs for the editor) goes to a folder of this test session, not the developer's."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _user_cache_of_this_session(tmp_path_factory):
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous
