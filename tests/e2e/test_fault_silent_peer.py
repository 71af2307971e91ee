"""A node that stops answering without closing its sockets (`docker pause`): the other node gives
up after the collective timeout (TRAINYARD_COLLECTIVE_TIMEOUT, here 20 s) plus at most 30 s, in one line;
while it waits it names the rank it waits for (TRAINYARD_WAIT_REPORT_EVERY, here every 6 s, else 60).

Horovod under mpirun (compose.mpi.yaml) too: its collectives never time out, so the wait watch ends
rank 0 with the same kind of line, and mpirun aborts the job once the silent node's MPI daemon answers.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.containers import PYTORCH_IMAGE, make_writable
from tests.e2e.fault_cluster import (
    FaultCluster,
    MpiFaultCluster,
    checkpoint_steps,
    progress_steps,
    write_override,
)
from tests.required_image import require_image

pytestmark = pytest.mark.faults

TIMEOUT = 20
REPORT_EVERY = 6
COMMAND = ["python", "-m", "train.pytorch", "--dataset", "digits", "--epochs", "3", "--print-freq", "1",
           "--checkpoint-every", "5", "--step-delay", "0.5"]


@pytest.fixture(autouse=True)
def _pytorch_image_built() -> None:
    require_image(PYTORCH_IMAGE)


def test_paused_node_1_fails_node_0_within_the_collective_timeout(tmp_path, fault_figures):
    outputs = make_writable(tmp_path / "outputs")
    override = write_override(tmp_path / "faults.yaml", COMMAND, {"TRAINYARD_COLLECTIVE_TIMEOUT": str(TIMEOUT),
                                                                       "TRAINYARD_WAIT_REPORT_EVERY": str(REPORT_EVERY)})
    with FaultCluster(outputs, override) as cluster:
        cluster.start()
        cluster.wait_for_log("node-0", r"checkpoint \S+ written \(finished step 5\)", timeout=180)
        cluster.pause("node-1")
        paused_at = time.monotonic()
        status = cluster.wait_exit("node-0", timeout=TIMEOUT + 30)
        seconds = time.monotonic() - paused_at
        output = cluster.logs("node-0")

    assert status == 3, f"node-0 exited {status}:\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "stopped answering (collective timeout)" in errors[0], errors
    newest = max(checkpoint_steps(outputs))
    assert f"checkpoint of step {newest} " in errors[0], errors[0]
    waiting = re.findall(r"rank 0: waiting for (.*) since \S+ UTC, in step (\d+); the collective timeout \(20 s\)", output)
    assert len(waiting) >= 2, f"no waiting line every {REPORT_EVERY} s:\n{output[-4000:]}"
    assert waiting[0][0].startswith("rank 1 (node-1; its last report: "), waiting
    fault_figures.record(f"docker pause node-1 (timeout {TIMEOUT} s)", "pytorch DDP", "node-0 exit 3, one line",
                         seconds, steps_lost=max(progress_steps(output)) - newest)


def test_horovod_under_mpirun_ends_rank_0_at_the_collective_timeout(tmp_path, fault_figures):
    outputs = make_writable(tmp_path / "outputs")
    command = ["python", "-m", "train.horovod", *COMMAND[3:], "--collective-timeout", str(TIMEOUT)]
    with MpiFaultCluster(outputs, tmp_path, command, {"TRAINYARD_WAIT_REPORT_EVERY": str(REPORT_EVERY)}) as cluster:
        cluster.start()
        cluster.wait_for_log("node-0", r"checkpoint \S+ written \(finished step 5\)", timeout=180)
        cluster.pause("node-1")
        paused_at = time.monotonic()
        line = cluster.wait_for_log("node-0", r"(?m)^error: rank 0: .*$", timeout=TIMEOUT + 30).group(0)
        seconds = time.monotonic() - paused_at
        # mpirun has seen rank 0 exit non-zero; it ends the job once node 1's daemon can be told to.
        cluster.wait_for_log("node-0", r"1 process returned\s+a non-zero exit code", timeout=30)
        cluster.unpause("node-1")
        status = cluster.wait_exit("node-0", timeout=60)
        output = cluster.logs("node-0")

    assert status != 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    assert "lost a peer (Horovod cannot tell which), which stopped answering (collective timeout)" in line, line
    newest = max(checkpoint_steps(outputs))
    assert f"checkpoint of step {newest} " in line, line
    waiting = re.findall(r"rank 0: waiting for its peers .* in step (\d+); the collective timeout \(20 s\)", output)
    assert waiting, f"no waiting line every {REPORT_EVERY} s:\n{output[-4000:]}"
    fault_figures.record(f"docker pause node-1 (timeout {TIMEOUT} s)", "Horovod (mpirun)",
                         "rank 0: one line, exit 3; mpirun aborts once node-1 answers", seconds,
                         steps_lost=max(progress_steps(output)) - newest)
