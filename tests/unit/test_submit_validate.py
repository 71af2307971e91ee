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
        ("tensorflow", "mpi", TF_IMAGE),  # TensorFlow with Horovod
    ],
)
def test_supported_pairs_pass(framework, distribution, image):
    validate(request(framework=framework, distribution=distribution, image=image))


@pytest.mark.parametrize(
    "framework, distribution, image, hint",
    [
        ("horovod", "pytorch", IMAGE, "use DISTRIBUTION=mpi"),
        ("horovod", "tensorflow", IMAGE, "use DISTRIBUTION=mpi"),
        ("tensorflow", "pytorch", TF_IMAGE, "use DISTRIBUTION=tensorflow or mpi"),
        ("pytorch", "tensorflow", IMAGE, "use DISTRIBUTION=pytorch or mpi"),
        ("deepspeed", "ray", IMAGE, "use DISTRIBUTION=pytorch or mpi"),
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


def test_more_processes_than_gpus_of_the_size():
    with pytest.raises(SubmitError, match=r"^PROCS \(--procs\) 2 is more than the 1 GPU\(s\) of Standard_NC24ads_A100_v4: "
                                          r"use PROCS=1 \(the default\) or a larger VM_SIZE"):
        validate(request(procs=2, vm_size="Standard_NC24ads_A100_v4"))


def test_gpu_check_ignores_case_of_the_size():
    with pytest.raises(SubmitError, match="more than the 4 GPU"):
        validate(request(procs=8, vm_size="standard_nc96ads_a100_v4"))


def test_processes_up_to_the_gpu_count_pass():
    validate(request(procs=8, vm_size="Standard_ND96isr_H100_v5"))


def test_procs_default_to_the_gpus_of_the_size():
    assert request(vm_size="Standard_ND96amsr_A100_v4").procs_per_node == 8
    assert request(vm_size="Standard_NC48ads_A100_v4").procs_per_node == 2
    assert request().procs_per_node == 1  # the default size has one GPU


def test_tensorflow_distribution_defaults_to_one_process_per_node():
    tf = request(framework="tensorflow", image=TF_IMAGE, vm_size="Standard_NC96ads_A100_v4")
    assert tf.procs_per_node == 1
    validate(tf)
    assert request(framework="tensorflow", image=TF_IMAGE, distribution="mpi",
                   vm_size="Standard_NC96ads_A100_v4").procs_per_node == 4


@pytest.mark.parametrize("retired, replacement", [
    ("Standard_NC6s_v3", "Standard_NC24ads_A100_v4"), ("Standard_NC12s_v3", "Standard_NC48ads_A100_v4"),
    ("standard_nc24s_v3", "Standard_NC96ads_A100_v4"), ("Standard_NC24rs_v3", "Standard_ND96amsr_A100_v4"),
    ("Standard_NC6", "Standard_NC24ads_A100_v4"), ("Standard_ND24rs", "Standard_NC96ads_A100_v4"),
    ("Standard_NV12", "Standard_NV72ads_A10_v5")])
def test_retired_size_is_refused_naming_a_current_replacement(retired, replacement):
    with pytest.raises(SubmitError, match=rf"^VM_SIZE \(--vm-size\) Standard_\w+ was retired by Azure .*: use {replacement} "):
        validate(request(vm_size=retired))


def test_unknown_size_is_refused_listing_current_ones():
    with pytest.raises(SubmitError,
                       match=r"^VM_SIZE \(--vm-size\) Standard_D16s_v5 is not a GPU size .*Standard_NC24ads_A100_v4"):
        validate(request(procs=1, vm_size="Standard_D16s_v5"))


def test_partial_gpu_size_is_refused():
    with pytest.raises(SubmitError, match="1/6 of an A10.*use Standard_NV36ads_A10_v5"):
        validate(request(vm_size="Standard_NV6ads_A10_v5"))


@pytest.mark.parametrize("framework, distribution, image", [
    ("deepspeed", "pytorch", IMAGE), ("horovod", "mpi", IMAGE), ("tensorflow", "mpi", TF_IMAGE)])
def test_t4_is_refused_where_the_images_prebuilt_kernels_run(framework, distribution, image):
    with pytest.raises(SubmitError, match=r"T4 GPUs \(compute capability 7.5\).*built for 8.0, 8.6, 9.0 only"):
        validate(request(framework=framework, distribution=distribution, image=image, vm_size="Standard_NC4as_T4_v3"))


@pytest.mark.parametrize("framework, image", [("pytorch", IMAGE), ("tensorflow", TF_IMAGE)])
def test_t4_passes_where_only_the_framework_wheels_kernels_run(framework, image):
    validate(request(framework=framework, image=image, vm_size="Standard_NC4as_T4_v3"))


def test_more_nodes_than_the_cluster_maximum():
    with pytest.raises(SubmitError, match="--nodes 4 is more than the cluster's --max-nodes 2: raise --max-nodes"):
        validate(request(nodes=4, max_nodes=2))


def test_max_nodes_defaults_to_nodes():
    validate(request(nodes=4))


def test_min_nodes_above_max_nodes():
    with pytest.raises(SubmitError, match="lower --min-nodes"):
        validate(request(nodes=2, min_nodes=3))


@pytest.mark.parametrize("field, flag", [("nodes", "NODES"), ("procs", "PROCS")])
def test_counts_must_be_positive(field, flag):
    with pytest.raises(SubmitError, match=f"^{flag} .* must be at least 1"):
        validate(request(**{field: 0}))


def test_tensorflow_takes_one_process_per_node():
    with pytest.raises(SubmitError, match=r"use PROCS=1 \(--procs 1\) or leave PROCS unset"):
        validate(request(framework="tensorflow", image=TF_IMAGE, procs=2, vm_size="Standard_NC48ads_A100_v4"))


@pytest.mark.parametrize("framework", ["pytorch", "deepspeed", "horovod"])
def test_parameter_servers_only_for_tensorflow(framework):
    expected = rf"^PARAMETER_SERVERS \(--parameter-servers\) is a TensorFlow strategy; {framework} has none"
    with pytest.raises(SubmitError, match=expected):
        validate(request(framework=framework, parameter_servers=1))


def test_parameter_servers_need_the_tensorflow_distribution():
    with pytest.raises(SubmitError, match="needs the tensorflow distribution, not mpi"):
        validate(request(framework="tensorflow", image=TF_IMAGE, distribution="mpi", parameter_servers=1))


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


def test_timeout_must_be_positive():
    with pytest.raises(SubmitError, match=r"^TIMEOUT \(--timeout\) must be at least 1 minute, not 0"):
        validate(request(timeout_minutes=0))
