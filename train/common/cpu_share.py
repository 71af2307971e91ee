"""How many CPU threads each training process of this node should use.

A node is not always a whole machine: the fake cluster runs N nodes on one host, and each container
may be given a share of it (compose's `cpus:`, which the Makefile sets to cores / nodes). Such a
share is a CFS quota in the container's cgroup, which the cpuset (sched_getaffinity) does not show,
so a framework's default of one thread per visible core runs N x too many threads and each node
spends its quota waiting to be scheduled. The cores a node really has are the smaller of its cpuset
and its quota; its processes split them. OMP_NUM_THREADS, when set, wins: it is how a user (or
torchrun) says so explicitly. Pure: no framework is imported here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from train.common.errors import UsageError

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class CpuShare:
    threads: int
    reason: str

    def describe(self) -> str:
        return f"{self.threads} CPU thread(s) per process ({self.reason})"


def cgroup_cpu_quota(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs this cgroup may use per period (1.5 = one and a half cores), or None without a limit.
    cgroup v2 writes "QUOTA PERIOD" (or "max PERIOD") in cpu.max; v1 splits it into two files."""
    v2 = root / "cpu.max"
    if v2.is_file():
        quota, _, period = v2.read_text().strip().partition(" ")
        return None if quota == "max" else int(quota) / int(period or 100000)
    for folder in (root / "cpu", root / "cpu,cpuacct"):
        quota_file, period_file = folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"
        if quota_file.is_file() and period_file.is_file():
            quota = int(quota_file.read_text().strip())
            return None if quota < 0 else quota / int(period_file.read_text().strip())
    return None


def threads_per_process(local_processes: int, *, environ: Mapping[str, str] = os.environ,
                        cpuset_cores: int | None = None, cgroup_root: Path = CGROUP_ROOT) -> CpuShare:
    """The thread count for one of `local_processes` processes on this node, and why."""
    explicit = environ.get("OMP_NUM_THREADS", "").strip()
    if explicit:
        first = explicit.split(",")[0]   # OpenMP allows a list, one count per nesting level
        if not first.isdigit() or int(first) < 1:
            raise UsageError(f"OMP_NUM_THREADS={explicit!r} is not a thread count: set it to a whole number "
                             f"of at least 1, or unset it to share this node's cores among its processes")
        return CpuShare(int(first), f"OMP_NUM_THREADS={explicit}")
    cores = cpuset_cores if cpuset_cores is not None else len(os.sched_getaffinity(0))
    quota = cgroup_cpu_quota(cgroup_root)
    usable = cores if quota is None else max(1, min(cores, math.floor(quota + 1e-6)))
    threads = max(1, usable // max(1, local_processes))
    where = f"{cores} core(s) in the cpuset" + ("" if quota is None else f", a cgroup quota of {quota:g} CPU(s)")
    return CpuShare(threads, f"{where}, {local_processes} process(es) on this node")
