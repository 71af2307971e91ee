"""A node of a 2-node DDP job is killed (`docker kill`): the survivor says so in one line and exits 3.

Two nodes with Azure's `pytorch` distribution variables (compose.yaml), detached, not under
compose's abort flag (see fault_cluster.py). The line must name the lost rank and host, and the
checkpoint a restart resumes from, which must be the newest checkpoint file on disk; the traceback
goes to the debug log, not the screen. Killing node 1 is short and runs in `make test`; killing
node 0 (rank 1 loses the writer), and DeepSpeed's case (the same Trainer, ZeRO-2), run in `make faults`.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, make_writable
from tests.e2e.fault_cluster import FaultCluster, checkpoint_steps, progress_steps, write_override
from tests.required_image import require_image

# digits, 2 ranks x 32: 23 steps per epoch. Slow steps so the kill lands mid-run.
FLAGS = ["--dataset", "digits", "--epochs", "3", "--print-freq", "1", "--checkpoint-every", "5", "--step-delay", "0.5"]
COMMAND = ["python", "-m", "train.pytorch", *FLAGS]
DEEPSPEED_COMMAND = ["python", "-m", "train.deepspeed", "--zero-stage", "2", *FLAGS]
EXIT_LOST_PEER = 3
# A closed connection is noticed at once; the rest is the next collective and exiting.
EXIT_WITHIN = 60


@pytest.fixture(autouse=True)
def _pytorch_image_built() -> None:
    require_image(PYTORCH_IMAGE)


def run_and_kill(tmp_path: Path, killed: str, survivor: str, fault_figures, command=COMMAND,
                 job: str = "pytorch DDP") -> None:
    outputs = make_writable(tmp_path / "outputs")
    override = write_override(tmp_path / "faults.yaml", command, {})
    with FaultCluster(outputs, override) as cluster:
        cluster.start()
        # After the first checkpoint, so that the line has a step to name.
        cluster.wait_for_log("node-0", r"checkpoint \S+ written \(finished step 5\)", timeout=180)
        cluster.kill(killed)
        killed_at = time.monotonic()
        status = cluster.wait_exit(survivor, timeout=EXIT_WITHIN)
        seconds = time.monotonic() - killed_at
        output = cluster.logs(survivor)
        reached = max(progress_steps(cluster.logs("node-0")) or [0])

    assert status == EXIT_LOST_PEER, f"{survivor} exited {status}, not {EXIT_LOST_PEER}:\n{output[-4000:]}"
    assert "Traceback" not in output, f"a traceback reached the screen:\n{output[-4000:]}"
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, f"expected one error line, got {errors}:\n{output[-4000:]}"
    assert output.rstrip().endswith(errors[0]), "the error line is not the last line"
    lost_rank = int(killed.removeprefix("node-"))
    assert f"lost rank {lost_rank} ({killed}, " in errors[0], errors[0]
    newest = max(checkpoint_steps(outputs))
    assert f"resumes from the checkpoint of step {newest} (continuing at step {newest + 1})" in errors[0], \
        f"{errors[0]}\ncheckpoints on disk: {checkpoint_steps(outputs)}"
    debug_log = re.search(r"traceback in (\S+)$", errors[0]).group(1)
    survivor_rank = int(survivor.removeprefix("node-"))
    assert debug_log == f"outputs/debug/rank-{survivor_rank}.log", errors[0]
    assert "Traceback (most recent call last)" in (outputs / "debug" / f"rank-{survivor_rank}.log").read_text()

    fault_figures.record(f"docker kill {killed} ({job}, 2 nodes)", job,
                         f"{survivor} exit {status}, one line", seconds, steps_lost=reached - newest)


def test_killed_node_1_is_named_by_node_0(tmp_path, fault_figures):
    run_and_kill(tmp_path, killed="node-1", survivor="node-0", fault_figures=fault_figures)


@pytest.mark.faults
def test_killed_node_0_is_named_by_node_1(tmp_path, fault_figures):
    run_and_kill(tmp_path, killed="node-0", survivor="node-1", fault_figures=fault_figures)


@pytest.mark.faults
def test_deepspeed_killed_node_1_is_named_by_node_0(tmp_path, fault_figures):
    run_and_kill(tmp_path, killed="node-1", survivor="node-0", fault_figures=fault_figures,
                 command=DEEPSPEED_COMMAND, job="DeepSpeed ZeRO-2")
