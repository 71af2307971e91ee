"""SIGTERM (`docker stop`, `docker compose stop`/`down`): the run finishes its step, writes a checkpoint,
exits 143 within the grace period, and a restart continues at the next step with nothing lost.

"Nothing lost" is checked the strict way: the resumed run's final weights are bit-identical to an
uninterrupted run's (weights_sha256 of the FINAL line), as tests/image/test_pytorch_checkpoints.py
does for a killed run.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.containers import PYTORCH_IMAGE, Container, Mount, docker, make_writable, run_container
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

# One process on digits: 57 steps per epoch; a checkpoint every 50 steps, so the one SIGTERM writes
# (around step 8) is not a periodic one.
TRAIN = ["python", "-m", "train.pytorch", "--dataset", "digits", "--epochs", "2", "--seed", "3",
         "--print-freq", "1", "--checkpoint-every", "50", "--model-dir", "/outputs"]
GRACE = 30          # compose.yaml's stop_grace_period
EXIT_STOPPED = 143
STOPPED_LINE = r"rank (\d+): stopped by SIGTERM after step (\d+), checkpoint written; a restart continues at step (\d+)"


@pytest.fixture(autouse=True)
def _pytorch_image_built() -> None:
    require_image(PYTORCH_IMAGE)


def test_docker_stop_checkpoints_and_the_restart_continues(tmp_path, fault_figures):
    reference = run_container(TRAIN, image=PYTORCH_IMAGE, timeout=180,
                              mounts=[Mount(make_writable(tmp_path / "reference"), "/outputs")])
    assert reference.returncode == 0, reference.tail()

    outputs = make_writable(tmp_path / "outputs")
    with Container([*TRAIN, "--step-delay", "0.3"], image=PYTORCH_IMAGE, mounts=[Mount(outputs, "/outputs")]) as run:
        deadline = time.monotonic() + 120
        while not re.search(r"step 8/", run.logs()):
            assert time.monotonic() < deadline, f"no step 8 in 120 s:\n{run.logs()[-4000:]}"
            time.sleep(0.2)
        started = time.monotonic()
        docker("stop", "--time", str(GRACE), run.name, timeout=GRACE + 30)
        seconds = time.monotonic() - started
        stopped = run.wait(timeout=30)

    assert stopped.returncode == EXIT_STOPPED, f"exit {stopped.returncode}:\n{stopped.tail()}"
    assert seconds < GRACE, f"docker stop took {seconds:.1f}s: SIGKILL, not our exit"
    line = re.search(STOPPED_LINE, stopped.output)
    assert line, f"no stop line:\n{stopped.tail()}"
    step = int(line.group(2))
    assert stopped.output.rstrip().endswith(line.group(0)), "the stop line is not the last line"
    assert "Traceback" not in stopped.output
    assert step == max(progress_steps(stopped.output)), "the last step the run reported is not the one it saved"
    assert step in checkpoint_steps(outputs) and step % 50 != 0, checkpoint_steps(outputs)

    resumed = run_container(TRAIN, image=PYTORCH_IMAGE, timeout=180, mounts=[Mount(outputs, "/outputs")])
    assert resumed.returncode == 0, resumed.tail()
    assert f"continuing at step {step + 1}" in resumed.output, resumed.tail()
    assert progress_steps(resumed.output)[0] == step + 1
    match = final_fields(resumed.output)["weights_sha256"] == final_fields(reference.output)["weights_sha256"]
    assert match, "the resumed run's weights differ from the uninterrupted run's"
    fault_figures.record("docker stop (SIGTERM), 1 process", "pytorch", "exit 143, checkpoint, resumed",
                         seconds, steps_lost=0, weights_match=match)


def stop_mid_run(cluster: FaultCluster) -> tuple[float, dict[str, int]]:
    """Start the cluster, `compose stop` it at step 8: (seconds the stop took, each node's exit status)."""
    cluster.start()
    cluster.wait_for_log("node-0", r"step 8/", timeout=180)
    started = time.monotonic()
    result = cluster.run("stop", "--timeout", str(GRACE), timeout=GRACE + 60)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stdout
    return seconds, {node: cluster.wait_exit(node, timeout=10) for node in ("node-0", "node-1")}


@pytest.mark.parametrize("job, entrypoint", [("pytorch DDP", ["train.pytorch"]),
                                             ("DeepSpeed ZeRO-2", ["train.deepspeed", "--zero-stage", "2"])])
def test_compose_stop_stops_both_nodes_after_the_same_step(tmp_path, fault_figures, job, entrypoint):
    outputs = make_writable(tmp_path / "outputs")
    command = ["python", "-m", *entrypoint, "--dataset", "digits", "--epochs", "3", "--print-freq", "1",
               "--checkpoint-every", "50", "--step-delay", "0.3"]
    with FaultCluster(outputs, write_override(tmp_path / "faults.yaml", command, {})) as cluster:
        seconds, statuses = stop_mid_run(cluster)
        lines = {node: re.search(STOPPED_LINE, cluster.logs(node)) for node in ("node-0", "node-1")}

    assert statuses == {"node-0": EXIT_STOPPED, "node-1": EXIT_STOPPED}, statuses
    assert seconds < GRACE, f"compose stop took {seconds:.1f}s: SIGKILL, not our exit"
    assert all(lines.values()), lines
    steps = {node: int(line.group(2)) for node, line in lines.items()}
    assert steps["node-0"] == steps["node-1"], f"the nodes stopped after different steps: {steps}"
    assert steps["node-0"] in checkpoint_steps(outputs), checkpoint_steps(outputs)
    fault_figures.record("compose stop (SIGTERM), 2 nodes", job, "both exit 143, same step",
                         seconds, steps_lost=0)


def test_compose_stop_of_the_mpirun_cluster_stops_every_rank_after_the_same_step(tmp_path, fault_figures):
    # Horovod under mpirun (compose.mpi.yaml): each node's entry passes SIGTERM to its own ranks; mpirun
    # reports their 143 as node 0's status, and node 1's entry ends once mpirun's daemon has.
    outputs = make_writable(tmp_path / "outputs")
    command = ["python", "-m", "train.horovod", "--dataset", "digits", "--epochs", "3", "--print-freq", "1",
               "--checkpoint-every", "50", "--step-delay", "0.3"]
    with MpiFaultCluster(outputs, tmp_path, command) as cluster:
        seconds, statuses = stop_mid_run(cluster)
        output = cluster.logs("node-0")     # mpirun's: every rank's lines

    assert statuses == {"node-0": EXIT_STOPPED, "node-1": 0}, f"{statuses}\n{output[-4000:]}"
    assert seconds < GRACE, f"compose stop took {seconds:.1f}s: SIGKILL, not our exit"
    lines = {int(rank): int(step) for rank, step, _ in re.findall(STOPPED_LINE, output)}
    assert sorted(lines) == [0, 1], f"not every rank stopped by SIGTERM:\n{output[-4000:]}"
    assert len(set(lines.values())) == 1, f"the ranks stopped after different steps: {lines}"
    assert lines[0] in checkpoint_steps(outputs), checkpoint_steps(outputs)
    assert "Traceback" not in output, output[-4000:]
    fault_figures.record("compose stop (SIGTERM), 2 nodes under mpirun", "Horovod (mpirun)",
                         "every rank exits 143 after the same step; mpirun 143", seconds, steps_lost=0)
