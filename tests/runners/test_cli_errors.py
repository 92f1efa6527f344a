"""A user's mistake ends in one verbatim `error:` line and exit code 2, never a traceback."""

from __future__ import annotations

import pytest

from pipelines.config import load_config
from pipelines.errors import ConfigError
from pipelines.runners.cli import main


def _fails(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "Traceback" not in captured.err + captured.out
    lines = [line for line in err.splitlines() if not line.startswith("meritgen build:")]  # progress bar
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_set_value_of_the_wrong_type_names_key_and_type(tmp_path, capsys):
    line = _fails(["build", "--demo", "--out", str(tmp_path), "--set", "seed=abc"], capsys)
    assert line == "error: seed must be an integer, got 'abc' (string)"


def test_config_file_value_of_the_wrong_type(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('[compose]\nqueries_per_product = "x"\n')
    line = _fails(["build", "--demo", "--out", str(tmp_path), "--config", str(config)], capsys)
    assert line == "error: compose.queries_per_product must be a number, got 'x' (string)"


def test_set_value_that_is_not_json(tmp_path, capsys):
    line = _fails(["build", "--demo", "--out", str(tmp_path), "--set", "compose.condition_counts=[2,3"], capsys)
    assert "compose.condition_counts must be a list of integers, got '[2,3'" in line


def test_unknown_config_key_is_printed_verbatim(tmp_path, capsys):
    line = _fails(["build", "--demo", "--out", str(tmp_path), "--set", "compose.nope=1"], capsys)
    assert line.startswith("error: unknown key(s) ['nope'] in section compose; known: [")
    line = _fails(["build", "--demo", "--out", str(tmp_path), "--set", "nope=1"], capsys)
    assert "in the top level" in line


def test_missing_catalog_leaves_no_run_folder(tmp_path, capsys):
    out = tmp_path / "runs"
    line = _fails(["build", "--catalog", str(tmp_path / "missing.csv"), "--out", str(out)], capsys)
    assert line == f"error: catalog {tmp_path / 'missing.csv'} does not exist"
    assert not out.exists()


def test_bracketed_text_survives_printing(tmp_path, capsys):
    catalog = tmp_path / "cat.csv"
    catalog.write_text("id,name\n1,x\n")
    line = _fails(["build", "--catalog", str(catalog), "--out", str(tmp_path / "runs"), "--no-progress"], capsys)
    assert "Map your column names in the [catalog] config section." in line


def test_bad_inspect_sql_and_a_folder_that_is_no_run(demo_build, tmp_path, capsys):
    line = _fails(["inspect", "--run", str(demo_build.run_dir), "--sql", "SELECT * FROM no_such_view"], capsys)
    assert line.startswith("error: --sql failed: ") and "no_such_view" in line
    _fails(["inspect", "--run", str(tmp_path / "nothing")], capsys)
    assert not (tmp_path / "nothing").exists()


def test_config_types_are_checked_once_for_every_key():
    with pytest.raises(ConfigError, match=r"compose.strategy_weights must be a table \(JSON object\) of numbers"):
        load_config(overrides={"compose.strategy_weights": {"random": "a"}})
    with pytest.raises(ConfigError, match="render.languages must be a list of strings"):
        load_config(overrides={"render.languages": "en"})
    with pytest.raises(ConfigError, match="llm.rewrite must be true or false, got 1"):
        load_config(overrides={"llm.rewrite": 1})
    with pytest.raises(ConfigError, match=r"pool_max_products must be >= 0 \(0: no bound\)"):
        load_config(overrides={"pool_max_products": -1})
    assert load_config(overrides={"compose.max_positive_share": 1}).compose.max_positive_share == 1.0
    assert load_config(overrides={"render.languages": ["en", "th"]}).render.languages == ("en", "th")


def test_the_beam_vllm_backend_on_the_local_runner_is_a_config_error(tmp_path, capsys):
    out = tmp_path / "runs"
    line = _fails(["build", "--demo", "--out", str(out), "--set", "llm.backend=beam_vllm"], capsys)
    assert line.startswith("error: llm.backend = 'beam_vllm' runs only on Beam (`meritgen beam run`)")
    assert not out.exists()
    line = _fails(["build", "--demo", "--out", str(out), "--set", "llm.backend=gpu"], capsys)
    assert line == "error: invalid configuration: llm.backend must be one of ('server', 'beam_vllm'), not 'gpu'"
