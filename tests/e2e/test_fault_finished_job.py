"""A finished job started again says so in one line and trains nothing; a clean run warns of nothing.

As `make up` runs it (--abort-on-container-exit, status of node 0), twice with the same outputs.
"""

from __future__ import annotations

import re

import pytest

from tests.containers import PYTORCH_IMAGE, make_writable
from tests.e2e.fault_cluster import FaultCluster, write_override
from tests.image.ddp_commands import problem_lines
from tests.required_image import require_image

pytestmark = pytest.mark.faults

COMMAND = ["python", "-m", "train.pytorch", "--dataset", "digits", "--epochs", "1", "--checkpoint-every", "5"]
UP = ("up", "--abort-on-container-exit", "--exit-code-from", "node-0", "node-0", "node-1")


@pytest.fixture(autouse=True)
def _pytorch_image_built() -> None:
    require_image(PYTORCH_IMAGE)


def test_a_finished_job_says_so_and_trains_nothing(tmp_path):
    outputs = make_writable(tmp_path / "outputs")
    with FaultCluster(outputs, write_override(tmp_path / "faults.yaml", COMMAND, {})) as cluster:
        first = cluster.run(*UP, timeout=600)
    assert first.returncode == 0, first.stdout[-4000:]
    # The wait for rank 0's exit at the end must not look like a failure.
    assert "recvValueWithTimeout" not in first.stdout, first.stdout[-4000:]
    assert problem_lines(first.stdout) == [], problem_lines(first.stdout)
    steps = int(re.search(r"FINAL .*\bsteps=(\d+)", first.stdout).group(1))

    with FaultCluster(outputs, write_override(tmp_path / "faults.yaml", COMMAND, {})) as cluster:
        again = cluster.run(*UP, timeout=600)
    assert again.returncode == 0, again.stdout[-4000:]
    said = [line for line in again.stdout.splitlines() if "job already finished" in line]
    assert len(said) == 1, again.stdout[-4000:]
    assert f"job already finished at step {steps}" in said[0], said[0]
    assert "remove outputs/checkpoints" in said[0], said[0]
    for absent in ("continuing at step", "samples_per_sec", "FINAL", "Traceback"):
        assert absent not in again.stdout, f"{absent!r} in the second run's output:\n{again.stdout[-4000:]}"
    assert problem_lines(again.stdout) == [], problem_lines(again.stdout)
