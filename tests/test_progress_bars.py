"""The runner's progress bars: drawn on a terminal only, one per step, opened by the step's first report."""

from __future__ import annotations

import io

from pipelines import progress
from pipelines.progress_bars import StepBar, bars_wanted, step_bar


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
