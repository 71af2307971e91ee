"""`python -m train.tensorflow` in the TensorFlow image: MultiWorkerMirrored, parameter-server and
Horovod jobs, and resuming after a killed worker.

A job's tasks run as processes of one container on 127.0.0.1 (distinct ports), each with the
TF_CONFIG Azure would write for it (`tf_config`): the same cluster, task and "environment": "cloud"
as compose.tensorflow*.yaml, only with local addresses. One container keeps the test free of Docker
networks; the compose e2e test covers separate nodes.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from pathlib import Path

import pytest

from tests.containers import TENSORFLOW_IMAGE, Container, Mount, make_writable, run_container
from tests.required_image import require_image
from train.common.reporting.final_line import parse_final_line

pytestmark = pytest.mark.image

TRAIN = "python -m train.tensorflow --dataset digits --model-dir /outputs --print-freq 10"
MPIRUN_2 = "mpirun -np 2 --bind-to none --oversubscribe"
# Every task of a job writes one "task <type> <index> exit <status>" line when it ends.
_TASK_EXIT = re.compile(r"^task (\w+) (\d+) exit (\d+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def tensorflow_image() -> str:
    return require_image(TENSORFLOW_IMAGE)


def tf_config(cluster: dict[str, list[str]], task_type: str, index: int) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index},
                       "environment": "cloud"})


def job_script(cluster: dict[str, list[str]], command: str) -> str:
    """Shell script: one background process per task of `cluster`, each reporting its exit status."""
    lines = []
    for kind, addresses in cluster.items():
        for index in range(len(addresses)):
            config = shlex.quote(tf_config(cluster, kind, index))
            lines.append(f"(TF_CONFIG={config} {command}; echo \"task {kind} {index} exit $?\") &")
    return "\n".join([*lines, "wait"])


def task_exits(output: str) -> dict[tuple[str, int], int]:
    return {(kind, int(index)): int(status) for kind, index, status in _TASK_EXIT.findall(output)}


def mwms_cluster(base_port: int, workers: int = 2) -> dict[str, list[str]]:
    return {"worker": [f"127.0.0.1:{base_port + 10 * i}" for i in range(workers)], "ps": []}


# The compose e2e test trains the same job on two nodes with the same assertions: this one-container
# variant runs in make test-matrix.
@pytest.mark.matrix
def test_mwms_two_workers_reach_90_percent_on_digits(tensorflow_image, tmp_path):
    outputs = make_writable(tmp_path / "outputs")
    script = job_script(mwms_cluster(23100), f"{TRAIN} --epochs 5")
    result = run_container(["bash", "-c", script], image=tensorflow_image, timeout=360,
                           mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    assert task_exits(result.output) == {("worker", 0): 0, ("worker", 1): 0}, result.tail()
    final = parse_final_line(result.output)
    assert final["world_size"] == "2"
    assert float(final["accuracy"]) >= 0.9, result.tail()
    assert "MultiWorkerMirroredStrategy: 2 workers" in result.output
    assert result.output.count("FINAL ") == 1, "only the chief reports"
    assert (outputs / "model.keras").is_file()
    assert not list(outputs.glob("workertemp_*")), "a non-chief worker left its model behind"
    assert (outputs / "mlflow.db").is_file()


def test_parameter_servers_one_ps_two_workers_train_and_all_tasks_exit(tensorflow_image, tmp_path):
    """Azure's classic parameter_server_count=1, worker_count=2 job: no chief in TF_CONFIG."""
    outputs = make_writable(tmp_path / "outputs")
    cluster = {"worker": ["127.0.0.1:23200", "127.0.0.1:23210"], "ps": ["127.0.0.1:23220"]}
    script = job_script(cluster, f"{TRAIN} --epochs 3 --coordinator-timeout 120")
    started = time.monotonic()
    result = run_container(["bash", "-c", script], image=tensorflow_image, timeout=240,
                           mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    # The ps and worker servers ended by themselves: `wait` returned for every task.
    assert task_exits(result.output) == {("worker", 0): 0, ("worker", 1): 0, ("ps", 0): 0}, result.tail()
    assert "ParameterServerStrategy: 2 workers, 1 ps" in result.output, result.tail()
    final = parse_final_line(result.output)
    assert float(final["accuracy"]) >= 0.8, result.tail()
    assert (outputs / "model.keras").is_file()
    assert time.monotonic() - started < 240


def test_horovod_two_ranks_under_mpirun(tensorflow_image, tmp_path):
    outputs = make_writable(tmp_path / "outputs")
    command = f"{MPIRUN_2} -x AZ_BATCHAI_MPI_MASTER_NODE=127.0.0.1 {TRAIN} --epochs 5"
    result = run_container(["bash", "-c", command], image=tensorflow_image, timeout=360,
                           mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    assert "with Horovod: 2 ranks" in result.output, result.tail()
    final = parse_final_line(result.output)
    assert final["world_size"] == "2"
    assert float(final["accuracy"]) >= 0.9, result.tail()
    assert (outputs / "model.keras").is_file()


def _backup_files(outputs: Path) -> list[Path]:
    return [p for p in (outputs / "backup").rglob("*.index")] if (outputs / "backup").is_dir() else []


def test_mwms_resumes_from_backup_after_a_worker_is_killed(tensorflow_image, tmp_path):
    """Worker 1 is killed (SIGKILL, like a preempted node) once a backup exists. Worker 0 ends by
    itself with one line naming worker 1 and the backup a restart resumes from; the restart does."""
    outputs = make_writable(tmp_path / "outputs")
    cluster = mwms_cluster(23300)
    flags = "--epochs 4 --checkpoint-every 10 --collective-timeout 60"
    first_script = "\n".join([
        job_script(cluster, f"{TRAIN} {flags} --step-delay 0.3").replace("\nwait", ""),
        "until ls /outputs/backup/*/*.index >/dev/null 2>&1 || ls /outputs/backup/*.index >/dev/null 2>&1;"
        " do sleep 0.5; done",
        # TF_CONFIG is in the environment, not on the command line: find worker 1 by it.
        "for p in $(pgrep -f train.tensorflow); do grep -q '\"index\": 1' /proc/$p/environ && kill -9 $p; done",
        "wait; echo killed",
    ])
    with Container(["bash", "-c", first_script], image=tensorflow_image,
                   mounts=[Mount(outputs, "/outputs")]) as first:
        killed = first.wait(timeout=300)
    assert "killed" in killed.output, killed.tail()
    assert "FINAL" not in killed.output, "the first attempt finished before the kill; raise --step-delay"
    assert task_exits(killed.output) == {("worker", 0): 3, ("worker", 1): 137}, killed.tail()
    line = re.search(r"^error: rank 0: lost worker 1 \(127\.0\.0\.1:23310\), which is gone, during step (\d+); "
                     r"a restart resumes from the checkpoint of step (\d+) \(continuing at step \d+\); "
                     r"traceback in /outputs/debug/rank-0\.log$", killed.output, re.MULTILINE)
    assert line, f"worker 0 did not end with the lost-peer line:\n{killed.tail()}"
    assert "Traceback (most recent call last)" not in killed.output, killed.tail()
    assert (outputs / "debug" / "rank-0.log").is_file()
    promised = int(line.group(2))
    assert _backup_files(outputs), f"no backup in {outputs}"

    resumed = run_container(["bash", "-c", job_script(cluster, f"{TRAIN} {flags}")],
                            image=tensorflow_image, timeout=360, mounts=[Mount(outputs, "/outputs")])
    assert resumed.returncode == 0, resumed.tail()
    assert f"resumed from the backup: {promised} steps already trained" in resumed.output, resumed.tail()
    final = parse_final_line(resumed.output)
    assert 0 < int(final["steps_this_run"]) < int(final["steps"]), final
    assert float(final["accuracy"]) >= 0.9, resumed.tail()


def test_parameter_server_job_ends_in_one_line_when_its_ps_is_killed(tensorflow_image, tmp_path):
    """TensorFlow retries a lost worker's work on the others; a lost parameter server ends the job.
    The coordinator (worker 0) says which task went, and that a restart starts again (no backup)."""
    outputs = make_writable(tmp_path / "outputs")
    cluster = {"worker": ["127.0.0.1:23600", "127.0.0.1:23610"], "ps": ["127.0.0.1:23620"]}
    script = "\n".join([
        job_script(cluster, f"{TRAIN} --epochs 2000 --coordinator-timeout 120").replace("\nwait", ""),
        # The coordinator writes its MLflow run id just before it starts training: then a few epochs.
        "until [ -s /outputs/mlflow-run-id ]; do sleep 0.5; done; sleep 8",
        "for p in $(pgrep -f train.tensorflow); do grep -q '\"type\": \"ps\"' /proc/$p/environ && kill -9 $p; done",
        "wait; echo killed",
    ])
    with Container(["bash", "-c", script], image=tensorflow_image, mounts=[Mount(outputs, "/outputs")]) as job:
        result = job.wait(timeout=300)
    assert "killed" in result.output, result.tail()
    assert task_exits(result.output).get(("worker", 0)) == 3, result.tail()
    assert re.search(r"^error: rank 0: lost ps 0 \(127\.0\.0\.1:23620\), which is gone, during epoch \d+ "
                     r"\(steps after \d+\); a restart starts again at step 1 \(no checkpoint yet\); "
                     r"traceback in /outputs/debug/rank-0\.log$", result.output, re.MULTILINE), result.tail()
    assert "Traceback (most recent call last)" not in result.output, result.tail()
