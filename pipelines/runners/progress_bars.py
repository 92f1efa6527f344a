"""Progress bars of the local runner: one bar for the build, one inside the step that is running.

Stages report through `pipelines.progress`; this module is the runner-side sink that draws it,
with tqdm, on stderr. Bars appear only on a terminal: piped or redirected output (CI logs,
`nohup`, a test's captured stderr) gets none, and neither does a build with `--no-progress`
(`--quiet`) or `progress = false` in the config. Drawing never changes what a stage returns.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm.auto import tqdm

from pipelines import progress


def bars_wanted(requested: bool, stream: TextIO | None = None) -> bool:
    """True when bars were asked for and `stream` (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(requested) and stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class StepBar:
    """A `progress.Reporter` drawing one tqdm bar, opened on the first report (a skipped or
    silent step shows none) and only in the process that opened it (a forked child stays quiet)."""

    def __init__(self, name: str, stream: TextIO | None = None, position: int = 1) -> None:
        self.name, self.stream, self.position = name, stream or sys.stderr, position
        self.pid = os.getpid()
        self.bar = None

    def _open(self):
        if self.bar is None:
            self.bar = tqdm(total=0, desc=f"  {self.name}", unit="item", file=self.stream,
                            position=self.position, leave=False, dynamic_ncols=True)
        return self.bar

    def add_total(self, n: int) -> None:
        if os.getpid() == self.pid:
            bar = self._open()
            bar.total += n
            bar.refresh()

    def advance(self, n: int) -> None:
        if os.getpid() == self.pid:
            self._open().update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def step_bar(name: str, show: bool) -> Iterator[None]:
    """Draw the progress `name` reports inside the block (nothing when `show` is false)."""
    if not show:
        yield
        return
    bar = StepBar(name)
    try:
        with progress.reporting(bar):
            yield
    finally:
        bar.close()


AFTER_STEPS = ("audit", "card")  # what a build does after its last step, each a tick of the outer bar


class BuildBar:
    """The outer bar over a build's steps and then its audit and card (its postfix names what runs):
    the bar reaches 100% when the build is done, not when its last step is."""

    def __init__(self, steps: list, show: bool) -> None:
        self.bar = tqdm(total=len(steps) + len(AFTER_STEPS), desc="meritgen build", unit="stage",
                        disable=not show, file=sys.stderr, position=0)
        self.current = ""

    def set_postfix_str(self, text: str) -> None:
        self.bar.set_postfix_str(text)

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def phase(self, name: str) -> None:
        """`name` (audit, card) begins, the previous phase is done; "" ends the last one."""
        if self.current:
            self.bar.update(1)
        self.current = name
        if name:
            self.bar.set_postfix_str(name)

    def close(self) -> None:
        self.bar.close()


def build_bar(steps: list, show: bool) -> BuildBar:
    """The outer bar over a build's steps, audit and card."""
    return BuildBar(steps, show)
