"""Dry run: every framework/distribution pair writes CLI v2 YAML that azure-ai-ml loads back.

No test here has Azure credentials or network: `offline` below makes any socket connection or
any attempt to build an Azure credential or client fail the test, standing in for "no network,
no credentials" on a machine that might have both.
"""

import socket

import pytest
import yaml

import submit.image_digest
from submit.__main__ import run
from submit.commands import TRAIN_COMMANDS

REGISTRY = "myacr.azurecr.io"
IMAGES = {"pytorch": f"{REGISTRY}/trainyard/pytorch:0.1", "tensorflow": f"{REGISTRY}/trainyard/tensorflow:0.1"}
IMAGE_OF = {"pytorch": IMAGES["pytorch"], "deepspeed": IMAGES["pytorch"], "horovod": IMAGES["pytorch"],
            "tensorflow": IMAGES["tensorflow"]}
PAIRS = [("pytorch", "pytorch"), ("pytorch", "mpi"), ("deepspeed", "pytorch"), ("deepspeed", "mpi"),
         ("horovod", "mpi"), ("tensorflow", "tensorflow"), ("tensorflow", "mpi")]


class _Forbidden(AssertionError):
    pass


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise _Forbidden("a dry run tried to reach the network or build an Azure credential")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr("azure.identity.DefaultAzureCredential.__init__", refuse)
    monkeypatch.setattr("azure.ai.ml.MLClient.__init__", refuse)
    # The local Docker daemon is not part of the test: no pushed digests are known.
    monkeypatch.setattr(submit.image_digest, "local_repo_digests", lambda image: [])


def dry_run(tmp_path, *arguments):
    exit_status = run([*arguments, "--dry-run", "--out", str(tmp_path)])
    return exit_status


def load(tmp_path, framework, name):
    with open(tmp_path / framework / f"{name}.yaml", encoding="utf-8") as document:
        return yaml.safe_load(document)


@pytest.mark.parametrize("framework, distribution", PAIRS)
def test_dry_run_yaml_loads_back_with_the_requested_shape(tmp_path, capsys, framework, distribution):
    nodes, procs = 2, (1 if distribution == "tensorflow" else 4)
    status = dry_run(tmp_path, "--framework", framework, "--distribution", distribution,
                     "--nodes", str(nodes), "--procs", str(procs), "--vm-size", "Standard_NC96ads_A100_v4",
                     "--image", IMAGE_OF[framework])
    assert status == 0
    from azure.ai.ml import load_environment, load_job

    job = load_job(tmp_path / framework / "job.yaml")
    assert job.type == "command"
    assert job.distribution.type == distribution
    assert job.resources.instance_count == nodes
    if distribution == "tensorflow":
        assert job.distribution.worker_count == nodes
    else:
        assert job.distribution.process_count_per_instance == procs
    assert job.command.startswith(TRAIN_COMMANDS[framework] + " ")
    assert job.limits.timeout == 24 * 60 * 60
    environment = load_environment(tmp_path / framework / "environment.yaml")
    assert environment.image == IMAGE_OF[framework]
    assert job.environment == f"{environment.name}:{environment.version}"  # the SDK drops "azureml:"
    assert capsys.readouterr().out == (tmp_path / framework / "job.yaml").read_text()


def test_default_distributions(tmp_path):
    for framework, expected in [("pytorch", "pytorch"), ("deepspeed", "pytorch"), ("horovod", "mpi"),
                                ("tensorflow", "tensorflow")]:
        assert dry_run(tmp_path, "--framework", framework, "--image", IMAGE_OF[framework]) == 0
        assert load(tmp_path, framework, "job")["distribution"]["type"] == expected


def test_data_input_is_trained_on_as_cifar10(tmp_path):
    uri = "azureml://datastores/workspaceblobstore/paths/cifar10/"
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"], "--data", uri) == 0
    job = load(tmp_path, "pytorch", "job")
    assert job["inputs"]["data"] == {"type": "uri_folder", "path": uri}
    assert "--dataset cifar10 --data-dir ${{inputs.data}}" in job["command"]
    assert "--dataset digits" not in job["command"]


def test_default_size_and_procs(tmp_path):
    from azure.ai.ml import load_compute

    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"]) == 0
    compute = load_compute(tmp_path / "pytorch" / "compute.yaml")
    assert (compute.size, compute.identity.type) == ("Standard_NC24ads_A100_v4", "system_assigned")
    assert load(tmp_path, "pytorch", "job")["distribution"]["process_count_per_instance"] == 1


def test_procs_default_to_one_per_gpu(tmp_path):
    assert dry_run(tmp_path, "--framework", "deepspeed", "--image", IMAGES["pytorch"],
                   "--vm-size", "Standard_ND96isr_H100_v5") == 0
    assert load(tmp_path, "deepspeed", "job")["distribution"]["process_count_per_instance"] == 8


def test_timeout_is_the_jobs_limit(tmp_path):
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"], "--timeout", "90") == 0
    assert load(tmp_path, "pytorch", "job")["limits"] == {"timeout": 5400}


def test_infiniband_size_gets_microsofts_nccl_environment(tmp_path):
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"],
                   "--vm-size", "Standard_ND96amsr_A100_v4", "--nodes", "2") == 0
    variables = load(tmp_path, "pytorch", "job")["environment_variables"]
    assert variables["NCCL_SOCKET_IFNAME"] == "eth0" and variables["NCCL_IB_PCI_RELAXED_ORDERING"] == "1"
    assert variables["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"


def test_ethernet_size_gets_no_infiniband_settings(tmp_path):
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"]) == 0
    assert "NCCL_IB_PCI_RELAXED_ORDERING" not in load(tmp_path, "pytorch", "job")["environment_variables"]


def test_checkpoints_go_to_a_declared_output(tmp_path):
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"]) == 0
    job = load(tmp_path, "pytorch", "job")
    assert job["outputs"]["checkpoints"] == {"type": "uri_folder", "mode": "rw_mount"}
    assert "--model-dir ${{outputs.checkpoints}}" in job["command"]


def test_shm_size_nccl_and_extra_environment(tmp_path):
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"], "--shm-size", "32g",
                   "--env", "NCCL_DEBUG=INFO", "--env", "NCCL_IB_DISABLE=1") == 0
    job = load(tmp_path, "pytorch", "job")
    assert job["resources"]["shm_size"] == "32g"
    assert job["environment_variables"] == {
        "NCCL_DEBUG": "INFO", "NCCL_IB_DISABLE": "1", "TORCH_NCCL_ASYNC_ERROR_HANDLING": "1"}


def test_tensorflow_parameter_servers(tmp_path):
    assert dry_run(tmp_path, "--framework", "tensorflow", "--image", IMAGES["tensorflow"], "--nodes", "3",
                   "--parameter-servers", "1") == 0
    distribution = load(tmp_path, "tensorflow", "job")["distribution"]
    assert distribution == {"type": "tensorflow", "worker_count": 3, "parameter_server_count": 1}


def test_compute_yaml_for_low_priority(tmp_path):
    from azure.ai.ml import load_compute

    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"], "--nodes", "2",
                   "--max-nodes", "4", "--compute", "gpu-spot", "--vm-size", "Standard_NC48ads_A100_v4",
                   "--low-priority") == 0
    compute = load_compute(tmp_path / "pytorch" / "compute.yaml")
    assert (compute.name, compute.size, compute.min_instances, compute.max_instances, compute.tier) == (
        "gpu-spot", "Standard_NC48ads_A100_v4", 0, 4, "low_priority")
    assert load(tmp_path, "pytorch", "job")["compute"] == "azureml:gpu-spot"


def test_build_context_environment(tmp_path):
    context = tmp_path / "repo"
    (context / "docker" / "pytorch").mkdir(parents=True)
    (context / "docker" / "pytorch" / "Dockerfile").write_text("FROM python:3.11-slim\n")
    out = tmp_path / "out"
    assert dry_run(out, "--framework", "horovod", "--build-context", str(context)) == 0
    from azure.ai.ml import load_environment

    environment = load_environment(out / "horovod" / "environment.yaml")
    assert environment.build.dockerfile_path == "docker/pytorch/Dockerfile"
    assert environment.image is None


def test_rerun_overwrites_the_previous_files(tmp_path):
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"], "--nodes", "1") == 0
    assert dry_run(tmp_path, "--framework", "pytorch", "--image", IMAGES["pytorch"], "--nodes", "2",
                   "--max-nodes", "2") == 0
    assert load(tmp_path, "pytorch", "job")["resources"]["instance_count"] == 2


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--framework", "horovod", "--distribution", "pytorch", "--image", IMAGES["pytorch"]], "use DISTRIBUTION=mpi"),
        (["--framework", "pytorch", "--procs", "2", "--image", IMAGES["pytorch"]],
         "use PROCS=1 (the default) or a larger VM_SIZE"),
        (["--framework", "pytorch", "--vm-size", "Standard_NC6s_v3", "--image", IMAGES["pytorch"]],
         "VM_SIZE (--vm-size) Standard_NC6s_v3 was retired by Azure on 2025-09-30: use Standard_NC24ads_A100_v4"),
        (["--framework", "pytorch", "--parameter-servers", "1", "--image", IMAGES["pytorch"]], "TensorFlow strategy"),
        (["--framework", "pytorch", "--image", "trainyard/pytorch:0.1"], "make push"),
        (["--framework", "pytorch", "--image", IMAGES["pytorch"], "--env", "NOVALUE"], "NAME=VALUE"),
    ],
)
def test_invalid_request_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, arguments, message):
    assert dry_run(tmp_path, *arguments) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not any(tmp_path.iterdir())
