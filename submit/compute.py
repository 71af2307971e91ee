"""The AmlCompute cluster the job runs on: built offline, created in Azure only if missing.

The cluster gets a system-assigned managed identity: Azure ML pulls a job's image from a container
registry with the compute cluster's managed identity ("Set up authentication between Azure Machine
Learning and other services", how-to-identity-based-service-authentication: "The Azure Machine
Learning compute cluster uses a managed identity to retrieve connection information for datastores
from Azure Key Vault and to pull Docker images from ACR"). That identity is what needs AcrPull on a
registry other than the workspace's own (README, "Train on Azure ML").

An existing cluster of the same name is used as it is, never changed: one whose tier, size or node
limit does not fit the request is refused with what to change.
"""

from azure.ai.ml.entities import AmlCompute, IdentityConfiguration

from submit.errors import SubmitError
from submit.request import SubmitRequest
from submit.vm_sizes import find_size

# Nodes stay up this long after a job so that a quick resubmission skips provisioning; short
# enough that a forgotten cluster does not bill for long.
IDLE_SECONDS_BEFORE_SCALE_DOWN = 600
LOW_PRIORITY, DEDICATED = "low_priority", "dedicated"


def build_compute(request: SubmitRequest) -> AmlCompute:
    return AmlCompute(
        name=request.compute_name,
        size=request.vm_size,
        min_instances=request.min_nodes,
        max_instances=request.cluster_max_nodes,
        # Low-priority nodes cost a fraction and can be preempted; the job resumes from the
        # checkpoints it wrote to its declared output (see submit.job).
        tier=LOW_PRIORITY if request.low_priority else DEDICATED,
        idle_time_before_scale_down=IDLE_SECONDS_BEFORE_SCALE_DOWN,
        identity=IdentityConfiguration(type="system_assigned"),
    )


def _tier(value) -> str:
    # The SDK reports Azure's vmPriority as "low_priority"/"dedicated"; accept any spelling of it.
    text = str(value or "").replace("_", "").replace("-", "").lower()
    return LOW_PRIORITY if text == "lowpriority" else DEDICATED if text == "dedicated" else text


def check_existing_compute(existing, request: SubmitRequest) -> None:
    """Refuse a job the existing cluster does not fit; we do not change someone's cluster."""
    name = request.compute_name
    tier = getattr(existing, "tier", None)
    wanted = LOW_PRIORITY if request.low_priority else DEDICATED
    if tier and _tier(tier) != wanted:
        switch = "LOW_PRIORITY=1" if _tier(tier) == LOW_PRIORITY else "LOW_PRIORITY=0 (or leave it unset)"
        raise SubmitError(
            f"LOW_PRIORITY: compute {name} is {_tier(tier).replace('_', '-')}, but this job asks for "
            f"{wanted.replace('_', '-')} nodes: set {switch}, or use another COMPUTE name for a new cluster"
        )
    size = getattr(existing, "size", None)
    if size and size.lower() != request.vm_size.lower():
        # Every check of the request (GPUs per process, kernels for the GPU, InfiniBand settings) was
        # made for the asked-for size, so a cluster of another size is not silently used instead.
        existing_size = find_size(size)
        gpus = f" ({existing_size.gpus} x {existing_size.gpu})" if existing_size else ""
        raise SubmitError(
            f"VM_SIZE: compute {name} has {size}{gpus} nodes, not {request.vm_size}: set VM_SIZE={size} "
            f"to run there, or use another COMPUTE name for a new {request.vm_size} cluster"
        )
    max_instances = getattr(existing, "max_instances", None)
    if max_instances is not None and request.nodes > max_instances:
        raise SubmitError(
            f"NODES: compute {name} scales to {max_instances} node(s), fewer than {request.nodes}: "
            f"use NODES={max_instances} or fewer, another COMPUTE, or raise its maximum in Azure"
        )
