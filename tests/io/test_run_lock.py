"""A second build into the same run folder is refused while the first holds it (every runner)."""

from __future__ import annotations

import pytest

from pipelines.io.run_lock import RunLocked, run_lock
from pipelines.runners.cli import main


def test_a_held_run_folder_refuses_a_second_holder_and_frees_on_exit(tmp_path):
    with run_lock(tmp_path / "r"):
        with pytest.raises(RunLocked, match=r"another build \(pid \d+\) is writing"):
            with run_lock(tmp_path / "r"):
                pass
        with run_lock(tmp_path / "other"):  # another run folder is free
            pass
    with run_lock(tmp_path / "r"):  # released with the block
        pass


def test_meritgen_build_into_a_folder_being_built_is_one_line_error(tmp_path, capsys):
    with run_lock(tmp_path / "demo"):
        assert main(["build", "--demo", "--out", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: another build") and str(tmp_path / "demo") in err and err.count("\n") == 1


def test_remote_run_roots_are_not_locked():
    with run_lock("gs://bucket/runs/x"), run_lock("gs://bucket/runs/x"):
        pass
