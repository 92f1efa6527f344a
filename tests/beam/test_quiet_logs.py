"""`meritgen beam run` keeps Beam's noise out of the log and bm25s's DEBUG lines out of every runner's."""

from __future__ import annotations

import logging

import pytest

from pipelines.beam.quiet import DropNoise
from pipelines.retrieval.index import BM25Index
from pipelines.store import RunStore, _output_name


def _record(msg: str, level=logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord("x", level, __file__, 1, msg, None, None)


def test_known_noise_is_dropped_and_other_warnings_pass():
    drop = DropNoise()
    assert not drop.filter(_record("apitools not found, and bigquery client libraries are not available"))
    assert not drop.filter(_record("Discarding unparseable args: %s"))
    assert drop.filter(_record("Failed to write rejects"))


def test_a_discarded_meritgen_option_is_not_hidden():
    drop = DropNoise()
    beams_own = logging.LogRecord("x", logging.WARNING, __file__, 1, "Discarding unparseable args: %s",
                                  (["--pipeline_type_check"],), None)
    ours = logging.LogRecord("x", logging.WARNING, __file__, 1, "Discarding unparseable args: %s",
                             (["--pipeline_type_check", "--llm_batch_size=32"],), None)
    assert not drop.filter(beams_own) and drop.filter(ours)


def test_building_an_index_leaves_bm25s_at_warning():
    from pipelines.retrieval import BM25Config

    BM25Index(BM25Config()).build(["a", "b"], ["red shirt", "blue shirt"])
    assert logging.getLogger("bm25s").getEffectiveLevel() >= logging.WARNING


def test_sharded_files_at_a_stage_folders_top_give_one_view_named_for_their_prefix(tmp_path):
    from pathlib import Path

    assert _output_name(Path("rejects-00000-of-00002.parquet")) == "rejects"
    assert _output_name(Path("data/queries/train-00000-of-00002.parquet")) == "queries"
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "run" / "rejects"
    folder.mkdir(parents=True)
    for i in range(2):
        pq.write_table(pa.table({"stage": ["ingest"], "reason": ["x"]}), folder / f"rejects-0000{i}-of-00002.parquet")
    (folder / "_SUCCESS.json").write_text("{}")
    # one view for the shards (no shard-named view), plus the run's `rejects` view over it
    assert RunStore(tmp_path / "run").refresh_views() == ["rejects", "rejects__rejects"]


def test_worker_stderr_is_sorted_into_progress_on_the_terminal_and_the_rest_in_a_log(tmp_path, capfd):
    import os
    import subprocess
    import sys

    from pipelines.beam.quiet import workers_log

    log = tmp_path / "beam-logs" / "r.log"
    with workers_log(log) as terminal:
        subprocess.run([sys.executable, "-c", "import sys; print('INFO:__main__:Logging handler created.', file=sys.stderr);"
                        "print('INFO:pipelines.beam.progress:meritgen beam [1/2] ingest done: rejects=0', file=sys.stderr)"],
                       check=True)
        os.write(2, b"WARNING:root:apitools not found\n")
        terminal_fd = terminal.fileno()
    assert terminal_fd != 2
    text = log.read_text()
    assert "Logging handler created" in text and "apitools" in text and "meritgen beam" not in text
    assert capfd.readouterr().err == "meritgen beam [1/2] ingest done: rejects=0\n"


@pytest.mark.slow
def test_the_readme_beam_command_logs_fewer_than_20_lines(tmp_path):
    """`meritgen beam run` as README.md gives it (2 worker processes): progress lines only on stderr."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pipelines.runners.cli", "beam", "run", "--demo", "--out", str(tmp_path),
                           "--direct_num_workers", "2", "--direct_running_mode", "multi_processing",
                           "--set", "compose.max_queries=30", "--set", 'render.languages=["en"]'],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stderr.splitlines()
    assert len(lines) < 20, done.stderr
    assert not [line for line in lines if "apitools" in line or "Discarding" in line or "bm25s" in line]
    assert sum("meritgen beam [" in line for line in lines) >= 10  # the progress lines still show
    assert (tmp_path / "beam-logs" / "demo.log").stat().st_size > 0


def test_progress_relayed_by_the_runner_reaches_stderr_once_and_nothing_else_does(tmp_path, capfd):
    """With Beam's GCP packages installed, multi_processing workers send their log records to the runner,
    which logs them as its own INFO records: the progress text of one is shown (once, even if the worker's
    stderr carries it too), the runner's other relayed records stay in the log file."""
    import os

    from pipelines.beam.quiet import RELAY_LOGGER, RelayedProgress, quiet_logs, workers_log

    quiet_logs()
    relay = logging.getLogger(RELAY_LOGGER)
    assert any(isinstance(h, RelayedProgress) for h in relay.handlers) and relay.isEnabledFor(logging.INFO)
    log = tmp_path / "beam-logs" / "r.log"
    with workers_log(log):
        relay.info('Worker: severity: INFO timestamp {   seconds: 1 } message: "meritgen beam [3/13] compose done: '
                   'plans=27, rejects=3" instruction_id: "bundle_1" transform_id: "Progress_compose/Done"')
        relay.info('Worker: severity: INFO timestamp {   seconds: 1 } message: "Python sdk harness starting."')
        os.write(2, b"meritgen beam [3/13] compose done: plans=27, rejects=3\n")  # the same line from a worker's stderr
    assert capfd.readouterr().err == "meritgen beam [3/13] compose done: plans=27, rejects=3\n"
    assert "harness starting" not in log.read_text() or "meritgen beam" not in log.read_text()
