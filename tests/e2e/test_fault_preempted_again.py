"""Preempted again and again: a 2-node job (DDP, and DeepSpeed ZeRO-2) loses a random node at a random
step three times, is restarted each time, and ends with weights bit-identical to an uninterrupted run.

Like a low-priority Azure job: the kill sends no signal (`docker kill`), the survivor exits on its own
(one line, status 3) and the job restarts from its checkpoints with the same outputs. The random
choices come from a seeded generator whose seed the test prints, so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import re
import time

import pytest

from tests.containers import PYTORCH_IMAGE, make_writable
from tests.e2e.fault_cluster import FaultCluster, checkpoint_steps, progress_steps, write_override
from tests.image.ddp_commands import final_fields
from tests.required_image import require_image

pytestmark = pytest.mark.faults

FLAGS = ["--dataset", "digits", "--epochs", "3", "--seed", "5", "--print-freq", "1", "--checkpoint-every", "5"]
JOBS = {"pytorch DDP": ["python", "-m", "train.pytorch"],
        "DeepSpeed ZeRO-2": ["python", "-m", "train.deepspeed", "--zero-stage", "2"]}
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


@pytest.mark.parametrize("job", sorted(JOBS))
def test_three_preemptions_end_with_the_weights_of_an_uninterrupted_run(tmp_path, fault_figures, job):
    seed = int(os.environ.get("TRAINYARD_FAULT_SEED", time.time_ns() % 10_000))
    print(f"TRAINYARD_FAULT_SEED={seed}")
    chance = random.Random(seed)
    command = [*JOBS[job], *FLAGS]

    reference_outputs = make_writable(tmp_path / "reference")
    with FaultCluster(reference_outputs, write_override(tmp_path / "reference.yaml", command, {})) as cluster:
        reference = cluster.run(*UP, timeout=600)
    assert reference.returncode == 0, reference.stdout[-4000:]
    expected = compose_final(reference.stdout)["weights_sha256"]

    outputs = make_writable(tmp_path / "outputs")
    slow = write_override(tmp_path / "slow.yaml", [*command, "--step-delay", "0.3"], {})
    resume = 0
    for kill in range(KILLS):
        with FaultCluster(outputs, slow) as cluster:
            cluster.start()
            # Somewhere in the next stretch of the run, leaving steps for the later kills.
            target = min(resume + chance.randint(2, 14), TOTAL_STEPS - (KILLS - kill) * 4)
            reached = wait_for_step(cluster, max(target, resume + 1), timeout=240)
            victim = chance.choice(["node-0", "node-1"])
            survivor = "node-1" if victim == "node-0" else "node-0"
            cluster.kill(victim)
            killed_at = time.monotonic()
            status = cluster.wait_exit(survivor, timeout=60)
            seconds = time.monotonic() - killed_at
            output = cluster.logs(survivor)
            reached = max(progress_steps(cluster.logs("node-0")) or [reached])
        assert status == 3, f"{survivor} exited {status} after {victim} was killed:\n{output[-4000:]}"
        assert "Traceback" not in output, output[-4000:]
        newest = max(checkpoint_steps(outputs) or [0])
        assert newest >= resume, f"checkpoints went backwards: {resume} -> {newest}"
        fault_figures.record(f"preemption {kill + 1}/{KILLS}: docker kill {victim} at step ~{reached} "
                             f"(seed {seed})", job, f"{survivor} exit {status}", seconds,
                             steps_lost=reached - newest)
        resume = newest

    with FaultCluster(outputs, write_override(tmp_path / "last.yaml", command, {})) as cluster:
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
