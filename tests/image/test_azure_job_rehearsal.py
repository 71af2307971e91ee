"""Every framework's Azure ML job, rehearsed: its EXACT command, run in its image the way Azure runs it.

The command is not retyped here: it is `job.command` of the CommandJob that `make azure-submit` sends
(`submit.plan.build_plan`, the code path of a real submission and of the dry run), with ARGS making
the run tiny. Azure's parts, per docs/azureml-launch-contract.md and Azure's "Distributed GPU
training guide (SDK v2)" (read for this test: `pytorch` sets MASTER_ADDR/MASTER_PORT/WORLD_SIZE/
NODE_RANK/RANK/LOCAL_RANK on every process; `mpi` runs mpirun itself and gives OMPI_COMM_WORLD_* plus
AZ_BATCHAI_MPI_MASTER_NODE on a single-node job; `tensorflow` writes TF_CONFIG for each task):
- an empty working directory: the job has no `code:`, so nothing but the image is there;
- the distribution's variables for one node and one process (plus the job's environment_variables
  and an AZUREML_RUN_ID, one of the Azure markers the launch detection looks for);
- `mpirun` around the command for `mpi` jobs (Azure builds that mpirun; here it is Open MPI's own);
- the job's output bound where Azure mounts it, `${{outputs.checkpoints}}` replaced by that path
  (and `${{inputs.data}}` by the mounted tiny CIFAR-10 in the DATA= case), as Azure substitutes them;
- the command run by bash, as Azure runs a command job's command.
What Azure itself adds and no test here has (its container runtime, blob mounts, a real second node)
is not rehearsed; the compose e2e tests cover several nodes.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

import submit.image_digest as image_digest
from submit.commands import CHECKPOINT_OUTPUT_BINDING, DATA_INPUT_BINDING
from submit.plan import build_plan
from submit.request import SubmitRequest
from tests.containers import PYTORCH_IMAGE, TENSORFLOW_IMAGE, Mount, make_writable, run_container
from tests.image.ddp_commands import final_fields
from tests.required_image import require_image

pytestmark = pytest.mark.image

# Where Azure mounts things is its own business; these stand for its paths.
JOB_DIR = "/mnt/azureml/job/wd"
OUTPUT_DIR = "/mnt/azureml/job/outputs/checkpoints"
DATA_DIR = "/mnt/azureml/job/inputs/data"
# Tiny runs through the same ARGS mechanism a user has.
TINY = ("--epochs", "1", "--max-steps", "4", "--print-freq", "2")
AZURE_MARKERS = {"AZUREML_RUN_ID": "rehearsal_1", "AZUREML_NODE_COUNT": "1"}
TIMEOUT_S = 240

# (framework, distribution, parameter servers, image family, extra ARGS)
JOBS = {
    "pytorch-ddp": ("pytorch", "pytorch", 0, "pytorch", ()),
    "deepspeed": ("deepspeed", "pytorch", 0, "pytorch", ()),
    "horovod": ("horovod", "mpi", 0, "pytorch", ()),
    "tensorflow-mwms": ("tensorflow", "tensorflow", 0, "tensorflow", ()),
    "tensorflow-ps": ("tensorflow", "tensorflow", 1, "tensorflow", ("--coordinator-timeout", "120")),
    "tensorflow-horovod-mpi": ("tensorflow", "mpi", 0, "tensorflow", ()),
}
IMAGES = {"pytorch": PYTORCH_IMAGE, "tensorflow": TENSORFLOW_IMAGE}


def azure_job(framework: str, distribution: str, parameter_servers: int, family: str,
              extra: tuple[str, ...], data: str | None = None):
    """The CommandJob `make azure-submit FRAMEWORK=... NODES=1 PROCS=1 ARGS=...` would send."""
    return build_plan(SubmitRequest(
        framework=framework, distribution=distribution, parameter_servers=parameter_servers,
        nodes=1, procs=None if distribution == "tensorflow" else 1,
        image=f"myacr.azurecr.io/trainyard/{family}:rehearsal", data=data, train_args=TINY + extra)).job


def as_azure_runs_it(command: str) -> str:
    """The command with Azure's bindings replaced by the mounted paths."""
    return command.replace(CHECKPOINT_OUTPUT_BINDING, OUTPUT_DIR).replace(DATA_INPUT_BINDING, DATA_DIR)


def tf_config(cluster: dict[str, list[str]], task_type: str) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": 0}, "environment": "cloud"})


def launcher_script(job) -> tuple[str, dict[str, str]]:
    """Shell script starting the job's process(es) as Azure would on its one node, and their environment."""
    command = shlex.quote(as_azure_runs_it(job.command))
    env = {**job.environment_variables, **AZURE_MARKERS}
    kind = job.distribution.type
    if kind == "pytorch":
        env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29500", WORLD_SIZE="1", NODE_RANK="0", RANK="0",
                   LOCAL_RANK="0")
        return f"exec bash -c {command}", env
    if kind == "mpi":
        # Single-node Azure mpi job: Azure names the head node in AZ_BATCHAI_MPI_MASTER_NODE; local ranks
        # inherit mpirun's environment.
        env["AZ_BATCHAI_MPI_MASTER_NODE"] = "127.0.0.1"
        procs = job.distribution.process_count_per_instance
        return f"exec mpirun -np {procs} --bind-to none --oversubscribe bash -c {command}", env
    assert kind == "tensorflow", kind
    workers, servers = job.distribution.worker_count, job.distribution.parameter_server_count or 0
    assert (workers, servers) in ((1, 0), (1, 1)), "one node: one worker (and one parameter server)"
    if not servers:
        cluster = {"worker": ["127.0.0.1:2222"], "ps": []}   # Azure writes the empty ps list too
        return f"TF_CONFIG={shlex.quote(tf_config(cluster, 'worker'))} exec bash -c {command}", env
    # A parameter-server job is two tasks even on one worker: each is a process of its own, with its TF_CONFIG.
    cluster = {"worker": ["127.0.0.1:2222"], "ps": ["127.0.0.1:2232"]}
    tasks = [f"(TF_CONFIG={shlex.quote(tf_config(cluster, task))} bash -c {command}; echo \"task {task} exit $?\") &"
             for task in ("ps", "worker")]
    return "\n".join([*tasks, "wait"]), env


@pytest.fixture(autouse=True)
def no_local_digests(monkeypatch):
    # The plan pins images to pushed digests through the local Docker daemon; nothing is pushed here.
    monkeypatch.setattr(image_digest, "local_repo_digests", lambda image: [])


def rehearse(job, family: str, tmp_path: Path, extra_mounts=()):
    image = require_image(IMAGES[family])
    workdir = make_writable(tmp_path / "empty-working-dir")
    outputs = make_writable(tmp_path / "checkpoints")
    script, env = launcher_script(job)
    result = run_container(["bash", "-c", script], image=image, timeout=TIMEOUT_S, env=env, workdir=JOB_DIR,
                           mounts=[Mount(workdir, JOB_DIR), Mount(outputs, OUTPUT_DIR), *extra_mounts])
    return result, outputs


@pytest.mark.parametrize("name", sorted(JOBS))
def test_azure_jobs_exact_command_runs_in_its_image(name, tmp_path):
    framework, distribution, servers, family, extra = JOBS[name]
    job = azure_job(framework, distribution, servers, family, extra)
    assert job.distribution.type == distribution and job.resources.instance_count == 1
    result, outputs = rehearse(job, family, tmp_path)
    assert result.returncode == 0, f"{job.command}\n{result.tail()}"
    assert "No such file" not in result.output, result.tail()
    final = final_fields(result.output)
    assert final["world_size"] == "1", result.tail()
    assert int(final["steps"]) == 4, result.tail()
    if servers:
        # Both tasks ended by themselves, with status 0.
        assert re.findall(r"^task (\w+) exit (\d+)$", result.output, re.M) in (
            [("ps", "0"), ("worker", "0")], [("worker", "0"), ("ps", "0")]), result.tail()
    # The job's output holds what it wrote (a restarted job resumes from there).
    written = sorted(p.name for p in outputs.iterdir())
    assert any(n.startswith("model") for n in written), written


def test_data_job_trains_on_the_mounted_cifar10(tmp_path, tiny_cifar10):
    job = azure_job("pytorch", "pytorch", 0, "pytorch", (), data="azureml://datastores/workspaceblobstore/paths/cifar10")
    assert "--dataset cifar10 --data-dir ${{inputs.data}}" in job.command
    result, outputs = rehearse(job, "pytorch", tmp_path, extra_mounts=[Mount(tiny_cifar10, DATA_DIR, read_only=True)])
    assert result.returncode == 0, f"{job.command}\n{result.tail()}"
    assert "cifar10" in result.output and int(final_fields(result.output)["steps"]) == 4, result.tail()
