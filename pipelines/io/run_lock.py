"""One build at a time per run folder: a lock file in the run folder (`.build.lock`), held with an
OS file lock for the whole build, so a second `meritgen build`, Prefect flow run or Beam launch into
the same `<out>/<run_id>` is refused at once instead of interleaving its writes with the first's.

The OS releases the lock when its process ends, however it ends (a kill leaves no stale lock); the
file itself stays and names the last holder's pid for the error message. Remote run roots (gs://)
are not locked: the Beam launcher's machine does not own them.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.errors import MeritgenError

LOCK_FILE = ".build.lock"


class RunLocked(MeritgenError):
    """Another build is writing this run folder."""


@contextmanager
def run_lock(run_dir: str | Path) -> Iterator[None]:
    """Hold the run folder's build lock inside the block, or raise RunLocked naming the holder."""
    if "://" in str(run_dir):
        yield
        return
    path = Path(run_dir) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise RunLocked(f"another build (pid {holder}) is writing {run_dir}; wait for it to finish, "
                            "or build into another --out or --run-id") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
