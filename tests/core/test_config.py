"""Configuration discovery and validation: errors name the key and the file."""

import subprocess
import sys
from pathlib import Path

import pytest

from ragtune.analyzers.config import ConfigError, clear_config_cache, find_config, load_config_file
from ragtune.analyzers.rules.registry import enabled_codes


@pytest.fixture(autouse=True)
def _fresh():
    clear_config_cache()
    yield
    clear_config_cache()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_found_upward_and_ragtune_toml_wins(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.ragtune]\ndefault-model = 'gpt-4.1'\n")
    f = write(tmp_path / "pkg" / "sub" / "a.py", "")
    assert find_config(f).settings.default_model == "gpt-4.1"
    write(tmp_path / "pkg" / "ragtune.toml", "default-model = 'gpt-4o-mini'\n")
    clear_config_cache()
    assert find_config(f).settings.default_model == "gpt-4o-mini"


def test_pyproject_without_section_is_passed_over(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.ragtune]\nignore = ['FT202']\n")
    write(tmp_path / "inner" / "pyproject.toml", "[project]\nname = 'x'\n")
    loaded = find_config(tmp_path / "inner" / "x.py")
    assert loaded.settings.ignore == ["FT202"]


def test_unknown_key_names_key_and_file(tmp_path):
    p = write(tmp_path / "pyproject.toml", "[tool.ragtune]\nselcet = ['FT']\n")
    with pytest.raises(ConfigError) as exc:
        load_config_file(p)
    assert "selcet" in str(exc.value) and str(p) in str(exc.value)


def test_bad_value_names_key(tmp_path):
    p = write(tmp_path / "ragtune.toml", "[thresholds]\nsystem-prompt-tokens = 'big'\n")
    with pytest.raises(ConfigError) as exc:
        load_config_file(p)
    assert "thresholds.system-prompt-tokens" in str(exc.value)


def test_unknown_rule_code(tmp_path):
    p = write(tmp_path / "ragtune.toml", "select = ['FT999']\n")
    with pytest.raises(ConfigError, match="FT999"):
        load_config_file(p)


def test_invalid_toml(tmp_path):
    p = write(tmp_path / "ragtune.toml", "select = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config_file(p)


def test_prices_file_cannot_escape_the_workspace(tmp_path):
    p = write(tmp_path / "ragtune.toml", "prices-file = '../../etc/passwd'\n")
    with pytest.raises(ConfigError, match="prices-file"):
        load_config_file(p)


def test_select_ignore_most_specific_wins():
    assert "FT201" in enabled_codes(["ALL"], [])
    assert "FT201" not in enabled_codes(["ALL"], ["FT"])
    assert "FT201" in enabled_codes(["FT201"], ["FT"])
    assert enabled_codes(["RAG1"], []) >= {"RAG102", "RAG103", "RAG104"}
    assert not any(c.startswith("FT") for c in enabled_codes(["RAG"], []))


def test_readme_configuration_example_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    p = write(tmp_path / "pyproject.toml", block)
    loaded = load_config_file(p)
    assert loaded.settings.thresholds.system_prompt_tokens == 4000
    assert loaded.settings.ignore == ["FT202"]


@pytest.mark.parametrize("name, body", [
    ("ragtune.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n"),
    ("pyproject.toml", "[tool.ragtune]\nselect = " + "[" * 2000 + "]" * 2000 + "\n"),
])
def test_deep_nesting_is_a_configuration_error_not_a_traceback(tmp_path, name, body):
    (tmp_path / name).write_text(body)
    with pytest.raises(ConfigError, match="nests too deeply"):
        load_config_file(tmp_path / name)


def test_deep_nesting_ends_the_check_with_exit_2_and_one_line(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.ragtune]\nselect = " + "[" * 2000 + "]" * 2000 + "\n")
    (tmp_path / "sub" / "a.py").write_text("x = 1\n")
    run = subprocess.run([str(Path(sys.executable).with_name("ragtune")), "check", "."], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "nests too deeply" in run.stderr
