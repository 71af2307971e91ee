"""The AmlCompute cluster the job runs on: built offline, created in Azure only if missing."""

from dataclasses import replace

from azure.ai.ml.entities import AmlCompute

from submit.errors import SubmitError
from submit.request import SubmitRequest
from submit.validate import validate

# Nodes stay up this long after a job so that a quick resubmission skips provisioning; short
# enough that a forgotten cluster does not bill for long.
IDLE_SECONDS_BEFORE_SCALE_DOWN = 600


def build_compute(request: SubmitRequest) -> AmlCompute:
    return AmlCompute(
        name=request.compute_name,
        size=request.vm_size,
        min_instances=request.min_nodes,
        max_instances=request.cluster_max_nodes,
        # Low-priority nodes cost a fraction and can be preempted; the job resumes from the
        # checkpoints it wrote to its declared output (see submit.job).
        tier="low_priority" if request.low_priority else "dedicated",
        idle_time_before_scale_down=IDLE_SECONDS_BEFORE_SCALE_DOWN,
    )


def check_existing_compute(existing, request: SubmitRequest) -> None:
    """Refuse a job the existing cluster cannot hold; we do not resize someone's cluster."""
    max_instances = getattr(existing, "max_instances", None)
    if max_instances is not None and request.nodes > max_instances:
        raise SubmitError(
            f"compute {request.compute_name} scales to {max_instances} node(s), fewer than --nodes "
            f"{request.nodes}: use fewer nodes, another --compute, or raise its maximum in Azure"
        )
    size = getattr(existing, "size", None)
    if size and size.lower() != request.vm_size.lower():
        # The existing size is what the job gets; re-check processes per node against it.
        validate(replace(request, vm_size=size))
