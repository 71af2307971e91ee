"""Every check that needs no network: run first, so a bad request never reaches Azure.

Each failure is a SubmitError whose message names the option to change.
"""

import os
import re

from submit.errors import SubmitError
from submit.frameworks import AZURE_DISTRIBUTION_TYPES, FRAMEWORKS
from submit.request import SubmitRequest
from submit.train_flags import check_train_args
from submit.vm_sizes import IMAGE_CUDA_ARCHS, find_size, refusal

# Docker's --shm-size syntax, which Azure ML passes through: a number with an optional unit.
_SHM_SIZE = re.compile(r"^[1-9][0-9]*[bkmg]?$")
_ARG_REFERENCE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Data URIs the SDK resolves remotely; anything else is a local folder it would upload.
_REMOTE_DATA_PREFIXES = ("azureml:", "https://", "http://", "wasbs://", "abfss://", "adl://")


def validate(request: SubmitRequest) -> None:
    """Raise SubmitError for the first problem found in `request`."""
    _check_framework_and_distribution(request)
    _check_vm_size(request)
    _check_counts(request)
    _check_container_source(request)
    _check_runtime_options(request)
    check_train_args(request.framework, request.train_args, with_data_input=request.data is not None)


def _check_framework_and_distribution(request: SubmitRequest) -> None:
    framework = FRAMEWORKS.get(request.framework)
    if framework is None:
        raise SubmitError(
            f"unknown framework {request.framework!r}: use one of {', '.join(FRAMEWORKS)}"
        )
    distribution = request.distribution_type
    if distribution not in AZURE_DISTRIBUTION_TYPES:
        raise SubmitError(
            f"unknown distribution {distribution!r}: Azure ML knows {', '.join(AZURE_DISTRIBUTION_TYPES)}"
        )
    if distribution not in framework.distributions:
        raise SubmitError(
            f"{framework.name} cannot run under the {distribution!r} distribution on Azure ML: "
            f"use DISTRIBUTION={' or '.join(framework.distributions)} (--distribution)"
        )


# Frameworks whose GPU code is the images' own prebuilt kernels (compiled for IMAGE_CUDA_ARCHS only),
# not the framework wheels' (which carry kernels for older GPUs too).
_PREBUILT_KERNEL_FRAMEWORKS = ("deepspeed", "horovod")


def _uses_prebuilt_kernels(request: SubmitRequest) -> bool:
    # TensorFlow under `mpi` is Horovod (train.tensorflow picks it under mpirun).
    return request.framework in _PREBUILT_KERNEL_FRAMEWORKS or (
        request.framework == "tensorflow" and request.distribution_type == "mpi")


def _check_vm_size(request: SubmitRequest) -> None:
    why_not = refusal(request.vm_size)
    if why_not:
        raise SubmitError(f"VM_SIZE (--vm-size) {why_not}")
    size = find_size(request.vm_size)
    if not size.runs_image_kernels and _uses_prebuilt_kernels(request):
        raise SubmitError(
            f"VM_SIZE (--vm-size) {size.name} has {size.gpu} GPUs (compute capability "
            f"{size.compute_capability}); {'DeepSpeed' if request.framework == 'deepspeed' else 'Horovod'}'s "
            f"prebuilt CUDA kernels in the image are built "
            f"for {', '.join(IMAGE_CUDA_ARCHS)} only and would not load: use an A100, A10 or H100 size, "
            f"e.g. VM_SIZE=Standard_NC24ads_A100_v4"
        )


def _check_counts(request: SubmitRequest) -> None:
    if request.nodes < 1:
        raise SubmitError(f"NODES (--nodes) must be at least 1, not {request.nodes}")
    if request.procs_per_node < 1:
        raise SubmitError(f"PROCS (--procs) must be at least 1, not {request.procs_per_node}")
    if request.parameter_servers < 0:
        raise SubmitError(f"PARAMETER_SERVERS (--parameter-servers) must be 0 or more, not {request.parameter_servers}")
    if request.parameter_servers and request.framework != "tensorflow":
        raise SubmitError(
            f"PARAMETER_SERVERS (--parameter-servers) is a TensorFlow strategy; {request.framework} has none: remove it "
            f"or use FRAMEWORK=tensorflow"
        )
    if request.distribution_type == "tensorflow":
        if request.procs_per_node != 1:
            # The tensorflow type has no per-node process count: Azure starts one process per
            # worker, and MultiWorkerMirroredStrategy uses every GPU of its node from there.
            raise SubmitError(
                "the tensorflow distribution runs one process per node that uses all its GPUs: "
                "use PROCS=1 (--procs 1) or leave PROCS unset"
            )
    elif request.parameter_servers:
        raise SubmitError(
            f"PARAMETER_SERVERS (--parameter-servers) needs the tensorflow distribution, not {request.distribution_type}: "
            f"remove it or use DISTRIBUTION=tensorflow"
        )
    gpus = find_size(request.vm_size).gpus
    if request.procs_per_node > gpus:
        raise SubmitError(
            f"PROCS (--procs) {request.procs_per_node} is more than the {gpus} GPU(s) of {request.vm_size}: "
            f"use PROCS={gpus} (the default) or a larger VM_SIZE"
        )
    if request.min_nodes < 0:
        raise SubmitError(f"--min-nodes must be 0 or more, not {request.min_nodes}")
    if request.cluster_max_nodes < request.nodes:
        raise SubmitError(
            f"--nodes {request.nodes} is more than the cluster's --max-nodes {request.cluster_max_nodes}: "
            f"raise --max-nodes or use fewer nodes"
        )
    if request.min_nodes > request.cluster_max_nodes:
        raise SubmitError(
            f"--min-nodes {request.min_nodes} is more than --max-nodes {request.cluster_max_nodes}: lower --min-nodes"
        )


def _check_container_source(request: SubmitRequest) -> None:
    if bool(request.image) == bool(request.build_context):
        raise SubmitError(
            "give exactly one of --image (a pushed image, see `make push`) "
            "or --build-context (a directory Azure builds)"
        )
    if request.image:
        _check_image_reference(request.image, request.image_family)
    else:
        dockerfile = os.path.join(request.build_context, request.dockerfile_in_context)
        if not os.path.isfile(dockerfile):
            raise SubmitError(
                f"no Dockerfile at {dockerfile}: fix --build-context or --dockerfile "
                f"(a path inside the build context)"
            )
        local_bases = _local_base_images(dockerfile)
        if local_bases:
            # Azure builds with the Dockerfile's ARG defaults and cannot see images that exist
            # only on this machine (`make build` names them trainyard/...).
            raise SubmitError(
                f"{request.dockerfile_in_context} builds FROM {', '.join(local_bases)}, which Azure cannot pull: "
                f"use --image with a pushed image (`make push REGISTRY=<registry>`) instead of --build-context"
            )


def _local_base_images(dockerfile: str) -> list[str]:
    """FROM images of `dockerfile` (ARG defaults substituted) that are local trainyard builds."""
    arguments, stages, local = {}, set(), []
    with open(dockerfile, encoding="utf-8") as lines:
        for line in lines:
            words = line.split()
            if len(words) >= 2 and words[0].upper() == "ARG" and "=" in words[1]:
                name, _, default = words[1].partition("=")
                arguments[name] = default
            elif len(words) >= 2 and words[0].upper() == "FROM":
                image = _ARG_REFERENCE.sub(lambda match: arguments.get(match.group(1) or match.group(2), ""), words[1])
                if image.startswith("trainyard/") and image not in stages:
                    local.append(image)
                if len(words) >= 4 and words[2].upper() == "AS":
                    stages.add(words[3])
    return local


def _check_image_reference(image: str, image_family: str) -> None:
    if any(character.isspace() for character in image):
        raise SubmitError(f"--image {image!r} contains whitespace: pass one image reference")
    repository = image.split("@", 1)[0]
    if repository.startswith("trainyard/"):
        # `make build` names images trainyard/<family>:<tag>; that name exists only on this
        # machine, and Azure would look for it on Docker Hub.
        raise SubmitError(
            f"--image {image} is the local build name, which Azure cannot pull: run "
            f"`make push REGISTRY=<registry>` and pass --image <registry>/{image}"
        )
    for family in ("pytorch", "tensorflow"):
        if family != image_family and f"trainyard/{family}" in repository:
            raise SubmitError(
                f"--image {image} is the {family} image, but this framework needs trainyard/{image_family}"
            )


def _check_runtime_options(request: SubmitRequest) -> None:
    if request.timeout_minutes < 1:
        raise SubmitError(f"TIMEOUT (--timeout) must be at least 1 minute, not {request.timeout_minutes}")
    if not _SHM_SIZE.match(request.shm_size):
        raise SubmitError(f"--shm-size {request.shm_size!r} is not a size like 16g or 512m")
    for name in request.extra_environment:
        if not _ENV_NAME.match(name):
            raise SubmitError(f"--env {name!r} is not a valid environment variable name")
    if request.data is not None:
        if not request.data.strip():
            raise SubmitError("--data is empty: pass a URI folder (azureml://datastores/<store>/paths/<dir>)")
        if not request.data.startswith(_REMOTE_DATA_PREFIXES) and not os.path.isdir(request.data):
            raise SubmitError(
                f"--data {request.data} is neither an Azure URI nor a local folder: "
                f"pass azureml://datastores/<store>/paths/<dir>, azureml:<asset>:<version> or an existing folder"
            )
