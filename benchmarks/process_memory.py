"""Proportional set size (PSS) of a process tree, read from /proc: the benchmarks' memory figure.

Pages shared after a fork (the forkserver's pool workers, Beam's worker processes) count once, not
once per process, which `ru_maxrss` of one process cannot see."""

from __future__ import annotations

import os


def tree_pss_mib(root: int) -> tuple[float, float]:
    """PSS of `root` and every descendant, and of the largest descendant alone (MiB)."""
    parents = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parents[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
    tree, grew = {root}, True
    while grew:
        new = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= new
        grew = bool(new)
    total, largest = 0, 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss = next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
        total += pss
        if pid != root:
            largest = max(largest, pss)
    return total / 1024, largest / 1024
