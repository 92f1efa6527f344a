"""The runner's progress bars: drawn on a terminal only, one per step, opened by the step's first report."""

from __future__ import annotations

import io

from pipelines import progress
from pipelines.resources import DEMO_DIR
from pipelines.runners.progress_bars import StepBar, bars_wanted, step_bar

DEMO = DEMO_DIR / "catalog.jsonl"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_only_when_asked_for_and_on_a_terminal():
    assert bars_wanted(True, Terminal())
    assert not bars_wanted(False, Terminal())
    assert not bars_wanted(True, io.StringIO())  # piped, redirected, captured
    assert not bars_wanted(True, object())  # a stream replaced by something without isatty


def test_a_step_bar_draws_what_the_step_reports_and_nothing_before():
    out = Terminal()
    bar = StepBar("compose", out)
    assert out.getvalue() == ""
    with progress.reporting(bar):
        for _ in progress.each(range(4)):
            pass
    assert bar.bar.n == bar.bar.total == 4
    bar.close()
    assert "compose" in out.getvalue()


def test_a_hidden_step_bar_installs_no_reporter():
    with step_bar("render", show=False):
        assert progress._REPORTER.get() is None
    with step_bar("render", show=True):
        assert isinstance(progress._REPORTER.get(), StepBar)
    assert progress._REPORTER.get() is None


SMALL = ["--set", "compose.max_queries=30", "--set", 'render.languages=["en","ms"]']


def _bars(text: str) -> list[str]:
    """tqdm's lines: a percentage bar or a rate."""
    return [line for line in text.replace("\r", "\n").splitlines() if "%|" in line or "it/s" in line or "item/s" in line]


def test_cli_build_off_a_terminal_prints_no_bars(tmp_path, capsys):
    from pipelines.runners.cli import main

    assert main(["build", "--demo", "--out", str(tmp_path), *SMALL]) == 0  # captured stderr: not a terminal
    assert _bars(capsys.readouterr().err) == []


def test_run_build_on_a_terminal_draws_a_bar_inside_steps_unless_the_config_turns_them_off(tmp_path, monkeypatch):
    import sys

    from pipelines.config import load_config
    from pipelines.runners.local import run_build

    overrides = {"compose.max_queries": 30, "render.languages": ["en", "ms"]}
    for name, wanted in (("on", True), ("off", False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        run_build(DEMO, tmp_path, load_config(overrides={**overrides, "progress": wanted}), run_id=name)
        monkeypatch.undo()
        bars = _bars(terminal.getvalue())
        if wanted:
            assert [b for b in bars if "meritgen build" in b] and [b for b in bars if "compose" in b], bars[:5]
        else:
            assert bars == []
