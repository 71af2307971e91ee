"""`make azure-submit JOB=job.yml`: the user's own job file, sent as it is but for where it runs.

The job is the one `submit.user_job.load_user_job` read, the object `make rehearse` runs, so the two
cannot drift. Two things change, both about where it runs, never what it runs:
- `environment:` becomes the registered trainyard environment of the same framework (the image the
  rehearsal ran in, pushed: IMAGE= or REGISTRY=), registered as for `make azure-submit` today;
- `compute:` becomes COMPUTE (created with VM_SIZE if missing, as today).
Paths the file gives relative to itself (`code:`, local inputs) are made absolute, so the YAML a dry run
writes elsewhere still names them. Checks before any network call: the VM size, processes per node
against its GPUs, the node count against the cluster, the image reference.
"""

from __future__ import annotations

import copy
import os
from dataclasses import replace

from submit.compute import build_compute
from submit.environment import build_environment, environment_reference
from submit.errors import SubmitError
from submit.plan import SubmissionPlan
from submit.rehearsal.images import code_imports, family_of
from submit.rehearsal.inputs import is_remote
from submit.rehearsal.layout import job_layout
from submit.rehearsal.preflight import gpu_fit
from submit.rehearsal.prepare import code_folder
from submit.request import SubmitRequest
from submit.user_job import UserJob
from submit.validate import _check_container_source, _check_counts, _check_runtime_options, _check_vm_size


def job_family(user_job: UserJob) -> str:
    """`pytorch` or `tensorflow`: the trainyard image that runs this job, here and on Azure."""
    from submit.rehearsal.images import environment_reference as describe

    described, named_image = describe(user_job.job.environment)
    return family_of(named_image or described, code_folder(user_job))


def job_framework(user_job: UserJob) -> str:
    """The family, or `deepspeed`/`horovod` when a PyTorch job's code imports them: their kernels in the image
    are prebuilt for some GPUs only, which the VM size check knows (submit.validate)."""
    family = job_family(user_job)
    code = code_folder(user_job)
    imports = code_imports(code) if code and family == "pytorch" else set()
    return "deepspeed" if "deepspeed" in imports else "horovod" if "horovod.torch" in imports else family


def request_for(user_job: UserJob, request: SubmitRequest) -> SubmitRequest:
    """`request` (COMPUTE, VM_SIZE, IMAGE, ...) with the job's own shape, for the checks and the compute."""
    layout = job_layout(user_job.job)
    kind = layout.distribution if layout.distribution in ("pytorch", "mpi", "tensorflow") else None
    timeout = int(getattr(user_job.job.limits, "timeout", None) or 0)
    return replace(request, framework=job_framework(user_job), nodes=len(layout.nodes),
                   procs=layout.processes_per_node if kind in ("pytorch", "mpi") else 1, distribution=kind,
                   parameter_servers=0,
                   shm_size=str(getattr(user_job.job.resources, "shm_size", None) or request.shm_size),
                   timeout_minutes=max(1, -(-timeout // 60)) if timeout else request.timeout_minutes)


def plan_user_job(user_job: UserJob, request: SubmitRequest) -> SubmissionPlan:
    shaped = request_for(user_job, request)
    # The job's own words first (process_count_per_instance, not PROCS): the same check as the rehearsal's.
    for finding in gpu_fit(job_layout(user_job.job), request.vm_size):
        raise SubmitError(f"{user_job.path}: {finding.message}")
    for check in (_check_vm_size, _check_counts, _check_container_source, _check_runtime_options):
        check(shaped)
    environment = build_environment(shaped)
    return SubmissionPlan(environment=environment, compute=build_compute(shaped),
                          job=job_for_azure(user_job, environment_reference(environment), shaped.compute_name))


def job_for_azure(user_job: UserJob, environment: str, compute: str):
    """A copy of the user's job that runs in `environment` on `compute`; the rest is the file's."""
    job = copy.deepcopy(user_job.job)
    job.environment = environment
    job.compute = compute
    code = code_folder(user_job)
    if code:
        job.code = code
    written_inputs = user_job.raw.get("inputs") if isinstance(user_job.raw.get("inputs"), dict) else {}
    for name, value in (job.inputs or {}).items():
        path = getattr(value, "path", None)
        written = written_inputs.get(name)
        written = written.get("path") if isinstance(written, dict) else None
        if not isinstance(path, str) or not isinstance(written, str):
            continue
        if is_remote(written):
            value.path = written    # an asset or a datastore path, as the file names it
            continue
        local = os.path.normpath(os.path.join(user_job.base_path, written.removeprefix("file:")))
        if not os.path.exists(local):
            raise SubmitError(f"input {name}: {local} does not exist; az ml job create would fail to upload it")
        value.path = local
    return job
