"""Every check that needs no network: run first, so a bad request never reaches Azure.

Each failure is a SubmitError whose message names the option to change.
"""

import os
import re

from submit.errors import SubmitError
from submit.frameworks import AZURE_DISTRIBUTION_TYPES, FRAMEWORKS
from submit.request import SubmitRequest
from submit.vm_sizes import gpus_per_node

# Docker's --shm-size syntax, which Azure ML passes through: a number with an optional unit.
_SHM_SIZE = re.compile(r"^[1-9][0-9]*[bkmg]?$")
_ARG_REFERENCE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Data URIs the SDK resolves remotely; anything else is a local folder it would upload.
_REMOTE_DATA_PREFIXES = ("azureml:", "https://", "http://", "wasbs://", "abfss://", "adl://")


def validate(request: SubmitRequest) -> None:
    """Raise SubmitError for the first problem found in `request`."""
    _check_framework_and_distribution(request)
    _check_counts(request)
    _check_container_source(request)
    _check_runtime_options(request)


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
            f"use --distribution {' or '.join(framework.distributions)}"
        )


def _check_counts(request: SubmitRequest) -> None:
    if request.nodes < 1:
        raise SubmitError(f"--nodes must be at least 1, not {request.nodes}")
    if request.procs_per_node < 1:
        raise SubmitError(f"--procs must be at least 1, not {request.procs_per_node}")
    if request.distribution_type == "tensorflow":
        if request.procs_per_node != 1:
            # The tensorflow type has no per-node process count: Azure starts one process per
            # worker, and MultiWorkerMirroredStrategy uses every GPU of its node from there.
            raise SubmitError(
                "the tensorflow distribution runs one process per node that uses all its GPUs: use --procs 1"
            )
        if request.parameter_servers < 0:
            raise SubmitError(f"--parameter-servers must be 0 or more, not {request.parameter_servers}")
    elif request.parameter_servers:
        raise SubmitError("--parameter-servers applies only to the tensorflow distribution: remove it")
    gpus = gpus_per_node(request.vm_size)
    if gpus is not None and request.procs_per_node > gpus:
        raise SubmitError(
            f"--procs {request.procs_per_node} is more than the {gpus} GPU(s) of {request.vm_size}: "
            f"use --procs {gpus} or a larger --vm-size"
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
