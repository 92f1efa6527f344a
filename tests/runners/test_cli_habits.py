"""The CLI behaves as Unix tools do: results on stdout, diagnostics on stderr, piped tables whole,
`--version`, `audit --run` like `inspect --run`, and hints that work with what is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.runners.cli import inspect_footer, listed_views, main
from pipelines.runners.progress_bars import BuildBar


def test_version_prints_the_package_version_on_stdout(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip().startswith("meritgen ")


def test_audit_takes_the_run_as_option_or_positional_once(demo_run_copy, capsys):
    assert main(["audit", "--run", str(demo_run_copy)]) == 0
    out, err = capsys.readouterr()
    assert "meritgen audit: PASSED" in out and f"audit: {demo_run_copy / 'audit.json'}" in out  # results: stdout
    assert "PASSED" not in err
    assert main(["audit", str(demo_run_copy)]) == 0
    capsys.readouterr()
    assert main(["audit", str(demo_run_copy), "--run", str(demo_run_copy)]) == 2
    assert main(["audit"]) == 2
    assert "give the run folder once" in capsys.readouterr().err


def test_inspect_lists_rejects_and_its_hint_runs_without_a_duckdb_program(demo_run_copy, capsys):
    from pipelines.runners.local import audit_with_card

    audit_with_card(demo_run_copy)
    assert main(["inspect", "--run", str(demo_run_copy)]) == 0
    out, err = capsys.readouterr()
    assert "rejects" in [line.strip("│ ").split()[0] for line in out.splitlines() if line.startswith("│")]
    assert "duckdb /" not in err  # the duckdb command-line program is not installed with meritgen
    python_hint = err.splitlines()[-1].split(": ", 1)[1]
    assert python_hint.startswith("python -c ")
    done = subprocess.run([sys.executable, "-c", python_hint.split('"')[1]], capture_output=True, text=True)
    assert done.returncode == 0 and "reason" in done.stdout


def test_footer_names_the_rejects_view_only_when_a_stage_has_rejects():
    assert listed_views(["a__rejects", "a__rows"]) == ["a__rejects", "a__rows", "rejects"]
    assert listed_views(["a__rows"]) == ["a__rows"]
    assert "FROM a__rows" in inspect_footer("runs/x", Path("runs/x/run.duckdb"), ["a__rows"])


def test_piped_tables_are_not_cut_to_80_columns(demo_run_copy):
    wide = "x" * 150
    done = subprocess.run([sys.executable, "-m", "pipelines.runners.cli", "inspect", "--run", str(demo_run_copy),
                           "--sql", f"SELECT '{wide}' AS wide_column_name_{'y' * 20}"],
                          capture_output=True, text=True, env=None)
    assert done.returncode == 0, done.stderr
    assert ("x" * 80) in done.stdout and f"wide_column_name_{'y' * 20}" in done.stdout


def test_an_empty_catalog_error_ends_with_its_file_name(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["build", "--catalog", str(empty), "--out", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(str(empty)) and "First:" not in err


def test_the_ingest_message_has_no_dangling_first_when_nothing_was_rejected():
    from pipelines.results import RejectLog
    from pipelines.stages.ingest import _no_valid_rows_message

    assert not _no_valid_rows_message({"c.csv"}, 1, RejectLog("ingest")).rstrip().endswith("First:")


def test_the_build_bar_ticks_for_the_audit_and_the_card(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = BuildBar(["ingest", "export"], show=True)
    for _ in range(2):
        bar.update(1)
    for phase in ("audit", "card", ""):
        bar.phase(phase)
    assert bar.bar.n == bar.bar.total == 4
    bar.close()
    text = terminal.getvalue()
    assert "audit" in text and "card" in text



@pytest.mark.parametrize("command", [["build"], ["vocab", "induce"]])
def test_a_folder_given_as_the_catalog_names_the_catalog_file_it_holds(tmp_path, capsys, command):
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "catalog.csv").write_text("product_id,title\n1,x\n")
    (folder / "notes.txt").write_text("")
    assert main([*command, "--catalog", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --catalog {folder} is a folder, not a catalog file; give one of its catalog files: "
                   f"{folder / 'catalog.csv'}"]
