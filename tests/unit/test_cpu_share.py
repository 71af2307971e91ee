"""train.common.cpu_share: a node's processes split the smaller of its cpuset and its cgroup quota.

The cgroup files are written as Docker writes them (v1: cpu/cpu.cfs_quota_us and cpu.cfs_period_us;
v2: cpu.max); the image test of compose's `cpus:` reads the real ones.
"""

from pathlib import Path

import pytest

from train.common.cpu_share import cgroup_cpu_quota, threads_per_process
from train.common.errors import UsageError


def cgroup_v1(root: Path, quota_us: int, period_us: int = 100000) -> Path:
    (root / "cpu").mkdir(parents=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota_us}\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text(f"{period_us}\n")
    return root


def cgroup_v2(root: Path, cpu_max: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cpu.max").write_text(cpu_max + "\n")
    return root


def test_quota_from_either_cgroup_version(tmp_path):
    assert cgroup_cpu_quota(cgroup_v1(tmp_path / "v1", 150000)) == 1.5
    assert cgroup_cpu_quota(cgroup_v1(tmp_path / "v1-unlimited", -1)) is None
    assert cgroup_cpu_quota(cgroup_v2(tmp_path / "v2", "50000 100000")) == 0.5
    assert cgroup_cpu_quota(cgroup_v2(tmp_path / "v2-unlimited", "max 100000")) is None
    assert cgroup_cpu_quota(tmp_path / "no-cgroup-files") is None


def test_a_quota_below_the_cpuset_sets_the_threads(tmp_path):
    # Two fake-cluster nodes on a 2-core host, `cpus: 1` each: one thread, not two.
    share = threads_per_process(1, environ={}, cpuset_cores=2, cgroup_root=cgroup_v1(tmp_path, 100000))
    assert share.threads == 1
    assert "quota of 1 CPU" in share.describe()


def test_without_a_quota_the_cpuset_is_split_among_local_processes(tmp_path):
    assert threads_per_process(1, environ={}, cpuset_cores=8, cgroup_root=tmp_path).threads == 8
    assert threads_per_process(4, environ={}, cpuset_cores=8, cgroup_root=tmp_path).threads == 2
    assert threads_per_process(16, environ={}, cpuset_cores=8, cgroup_root=tmp_path).threads == 1


def test_a_fractional_quota_rounds_down_but_never_to_zero(tmp_path):
    assert threads_per_process(1, environ={}, cpuset_cores=16,
                               cgroup_root=cgroup_v2(tmp_path / "a", "250000 100000")).threads == 2
    assert threads_per_process(1, environ={}, cpuset_cores=16,
                               cgroup_root=cgroup_v2(tmp_path / "b", "66000 100000")).threads == 1


def test_a_quota_above_the_cpuset_changes_nothing(tmp_path):
    share = threads_per_process(2, environ={}, cpuset_cores=4, cgroup_root=cgroup_v2(tmp_path, "800000 100000"))
    assert share.threads == 2


def test_omp_num_threads_wins(tmp_path):
    share = threads_per_process(1, environ={"OMP_NUM_THREADS": "3"}, cpuset_cores=8,
                                cgroup_root=cgroup_v1(tmp_path, 100000))
    assert (share.threads, share.reason) == (3, "OMP_NUM_THREADS=3")
    assert threads_per_process(1, environ={"OMP_NUM_THREADS": "4,2"}, cpuset_cores=8, cgroup_root=tmp_path).threads == 4


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_omp_num_threads_names_itself(tmp_path, value):
    with pytest.raises(UsageError, match=f"OMP_NUM_THREADS='{value}' is not a thread count"):
        threads_per_process(1, environ={"OMP_NUM_THREADS": value}, cpuset_cores=2, cgroup_root=tmp_path)
