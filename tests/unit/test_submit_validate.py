"""Offline validation: each invalid request fails with a message naming what to change."""

import pytest

from submit.errors import SubmitError
from submit.request import SubmitRequest
from submit.validate import validate

IMAGE = "myacr.azurecr.io/trainyard/pytorch:0.1"
TF_IMAGE = "myacr.azurecr.io/trainyard/tensorflow:0.1"


def request(**overrides) -> SubmitRequest:
    fields = {"framework": "pytorch", "image": IMAGE}
    fields.update(overrides)
    return SubmitRequest(**fields)


@pytest.mark.parametrize(
    "framework, distribution, image",
    [
        ("pytorch", "pytorch", IMAGE),
        ("pytorch", "mpi", IMAGE),
        ("deepspeed", "pytorch", IMAGE),
        ("deepspeed", "mpi", IMAGE),
        ("horovod", "mpi", IMAGE),
        ("tensorflow", "tensorflow", TF_IMAGE),
    ],
)
def test_supported_pairs_pass(framework, distribution, image):
    validate(request(framework=framework, distribution=distribution, image=image))


@pytest.mark.parametrize(
    "framework, distribution, image, hint",
    [
        ("horovod", "pytorch", IMAGE, "use --distribution mpi"),
        ("horovod", "tensorflow", IMAGE, "use --distribution mpi"),
        ("tensorflow", "mpi", TF_IMAGE, "use --distribution tensorflow"),
        ("tensorflow", "pytorch", TF_IMAGE, "use --distribution tensorflow"),
        ("pytorch", "tensorflow", IMAGE, "use --distribution pytorch or mpi"),
        ("deepspeed", "ray", IMAGE, "use --distribution pytorch or mpi"),
    ],
)
def test_unsupported_pairs_fail(framework, distribution, image, hint):
    with pytest.raises(SubmitError, match=hint):
        validate(request(framework=framework, distribution=distribution, image=image))


def test_unknown_framework_lists_the_known_ones():
    with pytest.raises(SubmitError, match="use one of pytorch, deepspeed, horovod, tensorflow"):
        validate(request(framework="jax"))


def test_unknown_distribution_type():
    with pytest.raises(SubmitError, match="unknown distribution 'nccl'"):
        validate(request(distribution="nccl"))


def test_more_processes_than_gpus_of_a_known_size():
    with pytest.raises(SubmitError, match=r"--procs 2 is more than the 1 GPU\(s\) of Standard_NC6s_v3: use --procs 1"):
        validate(request(procs_per_node=2, vm_size="Standard_NC6s_v3"))


def test_gpu_check_ignores_case_of_the_size():
    with pytest.raises(SubmitError, match="more than the 4 GPU"):
        validate(request(procs_per_node=8, vm_size="standard_nc24s_v3"))


def test_processes_up_to_the_gpu_count_pass():
    validate(request(procs_per_node=8, vm_size="Standard_ND96asr_v4"))


def test_unknown_size_skips_the_gpu_check():
    validate(request(procs_per_node=16, vm_size="Standard_D16s_v5"))


def test_more_nodes_than_the_cluster_maximum():
    with pytest.raises(SubmitError, match="--nodes 4 is more than the cluster's --max-nodes 2: raise --max-nodes"):
        validate(request(nodes=4, max_nodes=2))


def test_max_nodes_defaults_to_nodes():
    validate(request(nodes=4))


def test_min_nodes_above_max_nodes():
    with pytest.raises(SubmitError, match="lower --min-nodes"):
        validate(request(nodes=2, min_nodes=3))


@pytest.mark.parametrize("field, flag", [("nodes", "--nodes"), ("procs_per_node", "--procs")])
def test_counts_must_be_positive(field, flag):
    with pytest.raises(SubmitError, match=f"{flag} must be at least 1"):
        validate(request(**{field: 0}))


def test_tensorflow_takes_one_process_per_node():
    with pytest.raises(SubmitError, match="use --procs 1"):
        validate(request(framework="tensorflow", image=TF_IMAGE, procs_per_node=2, vm_size="Standard_NC12s_v3"))


def test_parameter_servers_only_for_tensorflow():
    with pytest.raises(SubmitError, match="--parameter-servers applies only to the tensorflow distribution"):
        validate(request(parameter_servers=1))


def test_tensorflow_with_parameter_servers_passes():
    validate(request(framework="tensorflow", image=TF_IMAGE, nodes=2, parameter_servers=1))


def test_needs_an_image_or_a_build_context():
    with pytest.raises(SubmitError, match="give exactly one of --image"):
        validate(request(image=None))


def test_refuses_both_image_and_build_context(tmp_path):
    with pytest.raises(SubmitError, match="give exactly one of --image"):
        validate(request(build_context=str(tmp_path)))


def test_build_context_needs_its_dockerfile(tmp_path):
    with pytest.raises(SubmitError, match="no Dockerfile at .*docker/pytorch/Dockerfile: fix --build-context or --dockerfile"):
        validate(request(image=None, build_context=str(tmp_path)))


def test_local_build_name_is_refused_with_the_push_command():
    expected = r"run `make push REGISTRY=<registry>` and pass --image <registry>/trainyard/pytorch:0.1"
    with pytest.raises(SubmitError, match=expected):
        validate(request(image="trainyard/pytorch:0.1"))


def test_image_of_the_other_framework_is_refused():
    with pytest.raises(SubmitError, match="needs trainyard/tensorflow"):
        validate(request(framework="tensorflow", image=IMAGE))


@pytest.mark.parametrize("size", ["16G", "lots", "0g", ""])
def test_bad_shm_size(size):
    with pytest.raises(SubmitError, match="--shm-size"):
        validate(request(shm_size=size))


def test_bad_environment_variable_name():
    with pytest.raises(SubmitError, match="--env '1BAD' is not a valid"):
        validate(request(extra_environment={"1BAD": "x"}))


def test_data_must_be_a_uri_or_an_existing_folder(tmp_path):
    with pytest.raises(SubmitError, match="--data .* is neither an Azure URI nor a local folder"):
        validate(request(data=str(tmp_path / "missing")))
    validate(request(data=str(tmp_path)))
    validate(request(data="azureml://datastores/workspaceblobstore/paths/digits/"))
    validate(request(data="azureml:digits:1"))


def test_build_context_whose_dockerfile_needs_a_local_base_is_refused(tmp_path):
    dockerfile = tmp_path / "docker" / "pytorch" / "Dockerfile"
    dockerfile.parent.mkdir(parents=True)
    dockerfile.write_text("ARG BASE_IMAGE=trainyard/base:latest\nFROM ${BASE_IMAGE} AS runtime\nFROM runtime\n")
    with pytest.raises(SubmitError, match="builds FROM trainyard/base:latest, which Azure cannot pull: use --image"):
        validate(request(image=None, build_context=str(tmp_path)))


def test_build_context_from_a_public_base_passes(tmp_path):
    dockerfile = tmp_path / "docker" / "pytorch" / "Dockerfile"
    dockerfile.parent.mkdir(parents=True)
    dockerfile.write_text("FROM python:3.11-slim AS build\nFROM build\n")
    validate(request(image=None, build_context=str(tmp_path)))
