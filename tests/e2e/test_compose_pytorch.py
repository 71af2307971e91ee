"""End to end: the fake cluster of compose.yaml trains on 2 nodes, as `make up` runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, make_writable
from tests.e2e.compose_cluster import REPOSITORY_ROOT, ComposeCluster
from tests.required_image import require_image


@pytest.fixture(autouse=True)
def _pytorch_image_built() -> None:
    require_image(PYTORCH_IMAGE)

UP_TIMEOUT = 900


def test_two_node_cluster_trains_and_exits_zero(tmp_path: Path) -> None:
    outputs = make_writable(tmp_path / "outputs")
    # Each node gets one core as `make up` gives it on 2 cores (NODE_CPUS = cores / nodes): training
    # must read that quota from its cgroup, which its cpuset does not show, and run one thread.
    with ComposeCluster(outputs, nodes=2, node_cpus="1") as cluster:
        # The flags `make up` uses: the command's status is node 0's, and one node's exit ends all.
        result = cluster.run("up", "--abort-on-container-exit", "--exit-code-from", "node-0",
                             "node-0", "node-1", timeout=UP_TIMEOUT)
    log = result.stdout
    assert result.returncode == 0, f"compose up exited {result.returncode}:\n{log[-6000:]}"
    # Node 1 waits for rank 0's exit at the end (ProcessGroup._wait_for_writer_exit): a clean run
    # must not print c10d's warning about the store connection that this wait sees closing.
    assert "recvValueWithTimeout" not in log, f"a clean run warned:\n{log[-6000:]}"
    # A job's first run creates its MLflow store: alembic's migration lines are not the user's concern.
    assert "alembic" not in log, f"MLflow's store creation reached the log:\n{log[-6000:]}"

    threads = re.findall(r"node-\d\S* +\|.* (\d+) CPU thread\(s\) per process \(\d+ core\(s\) in the cpuset, "
                         r"a cgroup quota of 1 CPU\(s\)", log)
    assert threads == ["1", "1"], f"each node should run 1 thread in its 1-CPU share:\n{log[-6000:]}"

    final = re.search(r"FINAL world_size=(\d+) accuracy=([0-9.]+)", log)
    assert final, f"rank 0 printed no FINAL line:\n{log[-6000:]}"
    assert int(final.group(1)) == 2
    assert float(final.group(2)) >= 0.9

    checkpoints = list((outputs / "checkpoints").glob("*"))
    assert checkpoints, f"no checkpoint in {outputs / 'checkpoints'}"
    mlflow_stores = [p for p in outputs.iterdir() if p.name in ("mlruns", "mlflow.db")]
    assert mlflow_stores, f"no MLflow store in {sorted(p.name for p in outputs.iterdir())}"


def test_each_node_sees_azure_pytorch_distribution_variables(tmp_path: Path) -> None:
    outputs = make_writable(tmp_path / "outputs")
    with ComposeCluster(outputs, nodes=2) as cluster:
        result = cluster.run("run", "--rm", "--no-deps", "-T", "node-1", "python", "-m", "train.env", timeout=180)
    assert result.returncode == 0, result.stdout
    resolved = json.loads(result.stdout.strip().splitlines()[-1])
    assert resolved["source"] == "azureml-pytorch"
    assert (resolved["rank"], resolved["world_size"], resolved["node_rank"]) == (1, 2, 1)
    assert resolved["master_addr"] == "node-0"


def test_more_nodes_by_variable_get_their_own_ranks(tmp_path: Path) -> None:
    generated = tmp_path / "nodes.yaml"
    generated.write_text(subprocess.run(
        [sys.executable, str(REPOSITORY_ROOT / "scripts" / "compose_nodes.py"), "3"],
        capture_output=True, text=True, timeout=30, check=True).stdout)
    outputs = make_writable(tmp_path / "outputs")
    with ComposeCluster(outputs, nodes=3, extra_files=(generated,)) as cluster:
        result = cluster.run("run", "--rm", "--no-deps", "-T", "node-2", "python", "-m", "train.env", timeout=180)
    assert result.returncode == 0, result.stdout
    resolved = json.loads(result.stdout.strip().splitlines()[-1])
    assert (resolved["rank"], resolved["world_size"], resolved["node_rank"]) == (2, 3, 2)
