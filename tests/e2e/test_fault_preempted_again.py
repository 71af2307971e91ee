"""Preempted again and again: a 2-node job (DDP, DeepSpeed ZeRO-2, and Horovod under mpirun) loses a
random node at a random step three times, is restarted each time, and ends with weights bit-identical
to an uninterrupted run.

Like a low-priority Azure job: the kill sends no signal (`docker kill`), and the job restarts from its
checkpoints with the same outputs. Under Azure's `pytorch` distribution (compose.yaml) the survivor
exits on its own (one line, status 3). Under its `mpi` distribution (compose.mpi.yaml) node 0's mpirun
owns every rank: losing node 1 ends mpirun, which ends rank 0; losing node 0 ends mpirun itself, and
node 1's MPI daemon ends its rank. The random choices come from a seeded generator whose seed the test
prints, so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import re
import time
from pathlib import Path

import pytest

from tests.containers import PYTORCH_IMAGE, make_writable
from tests.e2e.fault_cluster import (
    FaultCluster,
    MpiFaultCluster,
    checkpoint_steps,
    progress_steps,
    write_override,
)
from tests.image.ddp_commands import final_fields
from tests.required_image import require_image

pytestmark = pytest.mark.faults

FLAGS = ["--dataset", "digits", "--epochs", "3", "--seed", "5", "--print-freq", "1", "--checkpoint-every", "5"]
JOBS = {"pytorch DDP": ["python", "-m", "train.pytorch"],
        "DeepSpeed ZeRO-2": ["python", "-m", "train.deepspeed", "--zero-stage", "2"],
        "Horovod (mpirun)": ["python", "-m", "train.horovod"]}
MPI_JOBS = {"Horovod (mpirun)"}
# After node 0 (mpirun) is killed, node 1's MPI daemon loses it and ends its rank; sshd stays.
ORPHAN_GONE_WITHIN = 60
UP = ("up", "--abort-on-container-exit", "--exit-code-from", "node-0", "node-0", "node-1")
KILLS = 3
TOTAL_STEPS = 69            # digits, 2 ranks x 32: 23 steps per epoch


@pytest.fixture(autouse=True)
def _pytorch_image_built() -> None:
    require_image(PYTORCH_IMAGE)


def compose_final(output: str) -> dict[str, str]:
    """The FINAL line's fields from `compose up` output, whose lines start with a (coloured) "node-0_1  | "."""
    return final_fields("\n".join(line[line.find("FINAL "):] for line in output.splitlines() if "FINAL " in line))


def wait_for_step(cluster: FaultCluster, step: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reached = max(progress_steps(cluster.logs("node-0")) or [0])
        if reached >= step:
            return reached
        time.sleep(0.1)
    raise AssertionError(f"node-0 did not reach step {step} in {timeout}s:\n{cluster.logs('node-0')[-4000:]}")


def open_cluster(job: str, outputs: Path, tmp_path: Path, command: list[str], name: str) -> FaultCluster:
    if job in MPI_JOBS:
        return MpiFaultCluster(outputs, tmp_path, command)
    return FaultCluster(outputs, write_override(tmp_path / f"{name}.yaml", command, {}))


def kill_and_wait(cluster: FaultCluster, job: str, victim: str) -> tuple[str, float, str]:
    """Kill `victim`, wait for the job to end: (outcome, seconds until it took effect, the output to check)."""
    if job in MPI_JOBS:
        assert "train." in cluster.processes("node-1"), \
            f"no rank runs on node-1 before the kill:\n{cluster.processes('node-1')}"
    cluster.kill(victim)
    killed_at = time.monotonic()
    if job in MPI_JOBS and victim == "node-0":
        # mpirun died with node 0: nothing is left to exit on node 1 but its rank, which must go.
        deadline = killed_at + ORPHAN_GONE_WITHIN
        while "train." in cluster.processes("node-1"):
            assert time.monotonic() < deadline, \
                f"node-1's rank still runs {ORPHAN_GONE_WITHIN}s after mpirun was killed:\n{cluster.processes('node-1')}"
            time.sleep(0.2)
        return "node-1's rank ended", time.monotonic() - killed_at, cluster.logs("node-1")
    survivor = "node-1" if victim == "node-0" else "node-0"
    status = cluster.wait_exit(survivor, timeout=60)
    seconds = time.monotonic() - killed_at
    output = cluster.logs(survivor)
    if job in MPI_JOBS:
        # mpirun's own report of the lost node, and its status: neither is ours to shape.
        assert status != 0, f"mpirun exited 0 after node-1 was killed:\n{output[-4000:]}"
    else:
        assert status == 3, f"{survivor} exited {status} after {victim} was killed:\n{output[-4000:]}"
    return f"{survivor} exit {status}", seconds, output


@pytest.mark.parametrize("job", sorted(JOBS))
def test_three_preemptions_end_with_the_weights_of_an_uninterrupted_run(tmp_path, fault_figures, job):
    seed = int(os.environ.get("TRAINYARD_FAULT_SEED", time.time_ns() % 10_000))
    print(f"TRAINYARD_FAULT_SEED={seed}")
    chance = random.Random(seed)
    command = [*JOBS[job], *FLAGS]

    reference_outputs = make_writable(tmp_path / "reference")
    with open_cluster(job, reference_outputs, tmp_path, command, "reference") as cluster:
        reference = cluster.run(*UP, timeout=600)
    assert reference.returncode == 0, reference.stdout[-4000:]
    expected = compose_final(reference.stdout)["weights_sha256"]

    outputs = make_writable(tmp_path / "outputs")
    resume = 0
    for kill in range(KILLS):
        with open_cluster(job, outputs, tmp_path, [*command, "--step-delay", "0.3"], "slow") as cluster:
            cluster.start()
            # Somewhere in the next stretch of the run, leaving steps for the later kills.
            target = min(resume + chance.randint(2, 14), TOTAL_STEPS - (KILLS - kill) * 4)
            reached = wait_for_step(cluster, max(target, resume + 1), timeout=240)
            victim = chance.choice(["node-0", "node-1"])
            outcome, seconds, output = kill_and_wait(cluster, job, victim)
            reached = max(progress_steps(cluster.logs("node-0")) or [reached])
        assert "Traceback" not in output, output[-4000:]
        newest = max(checkpoint_steps(outputs) or [0])
        assert newest >= resume, f"checkpoints went backwards: {resume} -> {newest}"
        fault_figures.record(f"preemption {kill + 1}/{KILLS}: docker kill {victim} at step ~{reached} "
                             f"(seed {seed})", job, outcome, seconds, steps_lost=reached - newest)
        resume = newest

    with open_cluster(job, outputs, tmp_path, command, "last") as cluster:
        started = time.monotonic()
        last = cluster.run(*UP, timeout=600)
        seconds = time.monotonic() - started
    assert last.returncode == 0, last.stdout[-4000:]
    assert f"continuing at step {resume + 1}" in last.stdout or resume == 0, last.stdout[-4000:]
    final = compose_final(last.stdout)
    assert final["steps"] == str(TOTAL_STEPS)
    match = final["weights_sha256"] == expected
    fault_figures.record(f"after {KILLS} preemptions (seed {seed}): restart to the end", job,
                         "exit 0", seconds, steps_lost=None, weights_match=match)
    assert match, f"weights differ from the uninterrupted run's (seed {seed})"
    assert re.search(r"FINAL .*\bsteps_this_run=(\d+)", last.stdout)
