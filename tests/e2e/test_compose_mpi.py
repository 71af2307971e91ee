"""End to end: compose.mpi.yaml, the fake cluster of an Azure ML `mpi` distribution job, trains with
Horovod across 2 nodes (1 and 2 processes per node) and exits 0.

Node 0 makes the SSH keys at `up`, waits for node 1's sshd and runs mpirun over both nodes, as Azure
runs it; ranks see OMPI_COMM_WORLD_* and AZ_BATCH_MASTER_NODE (docs/azureml-launch-contract.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, make_writable
from tests.e2e.compose_cluster import REPOSITORY_ROOT, ComposeCluster
from tests.required_image import require_image

UP_TIMEOUT = 900


@pytest.fixture(autouse=True)
def _pytorch_image_built() -> None:
    require_image(PYTORCH_IMAGE)


class MpiCluster(ComposeCluster):
    """compose.mpi.yaml alone (not compose.yaml), P processes per node."""

    def __init__(self, outputs: Path, procs_per_node: int) -> None:
        super().__init__(outputs, nodes=2, compose_file="compose.mpi.yaml")
        self._env["PROCS_PER_NODE"] = str(procs_per_node)


@pytest.mark.parametrize("procs_per_node", [pytest.param(1, marks=pytest.mark.matrix), 2])   # 2x2 covers 2x1's path
def test_horovod_trains_across_two_nodes_and_exits_zero(procs_per_node: int, tmp_path: Path) -> None:
    outputs = make_writable(tmp_path / "outputs")
    with MpiCluster(outputs, procs_per_node) as cluster:
        result = cluster.run("up", "--abort-on-container-exit", "--exit-code-from", "node-0",
                             timeout=UP_TIMEOUT)
    log = result.stdout
    assert result.returncode == 0, f"compose up exited {result.returncode}:\n{log[-6000:]}"
    world = 2 * procs_per_node
    final = re.search(r"FINAL world_size=(\d+) accuracy=([0-9.]+)", log)
    assert final, f"rank 0 printed no FINAL line:\n{log[-6000:]}"
    assert int(final.group(1)) == world
    assert float(final.group(2)) >= 0.9
    # Azure's multi-node MPI variables reached the ranks, and ranks ran on both nodes.
    assert "launch source azureml-mpi" in log, log[-6000:]
    assert f"mpirun: 2 node(s) x {procs_per_node} process(es)" in log, log[-6000:]
    assert re.search(rf"\[rank {world - 1}/{world}\]", log), log[-6000:]
    assert (outputs / "model.pt").is_file()


def test_no_port_is_published_and_sshd_runs_as_the_runtime_user() -> None:
    text = (REPOSITORY_ROOT / "compose.mpi.yaml").read_text()
    assert "ports:" not in text
    assert re.search(r'user: "1000:1000"', text)
