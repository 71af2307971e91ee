"""Everything a rehearsal needs, worked out before anything is written or started.

`prepare()` reads the parsed job and this host and returns a `Rehearsal`: the name and folder, the
node layout, the bound command, the image, the mounts and the pre-flight findings. Nothing is written
and no container starts, so a job that cannot run here loses nothing.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

from submit.errors import SubmitError
from submit.rehearsal import azure_paths, preflight
from submit.rehearsal.bindings import bind
from submit.rehearsal.images import ImageChoice, choose_image
from submit.rehearsal.inputs import Mount, ResolvedInput, is_remote, output_mounts, resolve_inputs
from submit.rehearsal.layout import Layout, job_layout
from submit.rehearsal.snapshot import snapshot_files, snapshot_size
from submit.user_job import UserJob

# Azure's limits.timeout has no default here that bills anyone: a rehearsal that runs longer is stopped.
DEFAULT_TIMEOUT_SECONDS = 3600
# Docker's 64 MB is too small for NCCL and DataLoader workers; Azure's default for a job is 2g.
DEFAULT_SHM_SIZE = "2g"


@dataclass(frozen=True)
class HostFacts:
    memory_bytes: int
    gpus: int
    cores: int


@dataclass(frozen=True)
class Options:
    stand_ins: Mapping[str, str] = field(default_factory=dict)
    cpu_fallback: bool = False
    gpus: bool = False
    vm_size: Optional[str] = None
    tag: str = "latest"
    outputs_root: str = os.path.join("outputs", "rehearse")
    timeout_seconds: Optional[int] = None
    node_cpus: Optional[str] = None


@dataclass(frozen=True)
class Rehearsal:
    name: str
    job_id: str
    folder: str
    job: UserJob
    layout: Layout
    command: str                       # with every binding replaced
    image: ImageChoice
    code_dir: Optional[str]
    snapshot: Sequence[str]
    inputs: Sequence[ResolvedInput]
    outputs: Mapping[str, Mount]
    variables: Mapping[str, str]       # every process's: the job's environment_variables, then Azure's
    findings: Sequence[preflight.Finding]
    timeout_seconds: int
    shm_size: str
    node_cpus: str
    options: Options

    @property
    def errors(self) -> list[preflight.Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]

    @property
    def working_dir(self) -> str:
        return azure_paths.working_dir(self.job_id)


def rehearsal_name(user_job: UserJob, outputs_root: str, now: Optional[datetime] = None) -> str:
    """The job's `name:`, else its display name (or experiment) and the UTC time; never an existing folder."""
    job = user_job.job
    if job.name:
        base = job.name
    else:
        stem = job.display_name or job.experiment_name or os.path.splitext(os.path.basename(user_job.path))[0]
        base = f"{stem}-{(now or datetime.now(timezone.utc)).strftime('%Y%m%d-%H%M%S')}"
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-.") or "job"
    name, count = base, 1
    while os.path.exists(os.path.join(outputs_root, name)):
        count += 1
        name = f"{base}-{count}"
    return name


def code_folder(user_job: UserJob) -> Optional[str]:
    code = user_job.job.code
    if not code:
        return None
    code = str(code)
    if is_remote(code):
        raise SubmitError(f"{user_job.path}: code: {code} is stored in Azure; a rehearsal needs the folder itself: "
                          f"point code: at a local folder")
    folder = os.path.normpath(os.path.join(user_job.base_path, code))
    if not os.path.isdir(folder):
        raise SubmitError(f"{user_job.path}: code: {code} is not a folder ({folder} does not exist): fix code:")
    return folder


def prepare(user_job: UserJob, options: Options, host: HostFacts, image_exists=None,
            now: Optional[datetime] = None) -> Rehearsal:
    job = user_job.job
    name = rehearsal_name(user_job, options.outputs_root, now)
    folder = os.path.abspath(os.path.join(options.outputs_root, name))
    job_id = uuid.uuid4().hex
    code_dir = code_folder(user_job)
    files = snapshot_files(code_dir, leave_out=(os.path.abspath(options.outputs_root),)) if code_dir else []
    inputs = resolve_inputs(job.inputs or {}, user_job.base_path, job_id, options.stand_ins,
                            user_job.raw.get("inputs") if isinstance(user_job.raw.get("inputs"), dict) else None)
    outputs = output_mounts(job.outputs or {}, folder, job_id)
    command = bind(job.command, {i.name: i.value for i in inputs},
                   {name_: mount.container for name_, mount in outputs.items()})
    layout = job_layout(job)
    image = choose_image(job.environment, code_dir, options.tag, image_exists)
    findings = [
        *preflight.command_files(command, set(files), code_given=code_dir is not None),
        *preflight.gpu_fit(layout, options.vm_size),
        *preflight.host_capacity(layout, host.memory_bytes),
        *preflight.gpu_host(preflight.gpu_requests(code_dir, files, command), host.gpus, options.cpu_fallback,
                            options.gpus),
        *preflight.snapshot_limit(snapshot_size(code_dir, files) if code_dir else 0),
    ]
    if options.cpu_fallback and not image.image.startswith("trainyard/"):
        findings.append(preflight.Finding("warning", f"CPU_FALLBACK=1 needs a trainyard image; {image.image} runs "
                                                     f"the job without it"))
    timeout = options.timeout_seconds or int(getattr(job.limits, "timeout", None) or 0) or DEFAULT_TIMEOUT_SECONDS
    node_cpus = options.node_cpus if options.node_cpus is not None else f"{host.cores / len(layout.nodes):.2f}"
    return Rehearsal(
        name=name, job_id=job_id, folder=folder, job=user_job, layout=layout, command=command, image=image,
        code_dir=code_dir, snapshot=files, inputs=inputs, outputs=outputs,
        variables=job_variables(user_job, name, layout, inputs, outputs),
        findings=findings, timeout_seconds=timeout,
        shm_size=str((job.resources.shm_size if job.resources else None) or DEFAULT_SHM_SIZE),
        node_cpus=node_cpus, options=options)


def job_variables(user_job: UserJob, name: str, layout: Layout, inputs: Sequence[ResolvedInput],
                  outputs: Mapping[str, Mount]) -> dict[str, str]:
    """What every process of the job sees besides its distribution's variables (the launch contract's "Everywhere")."""
    from submit.rehearsal.cluster_files import MLFLOW_DIR

    job = user_job.job
    variables = {str(key): str(value) for key, value in (job.environment_variables or {}).items()}
    variables.update({
        # Azure's markers (the launch detection looks for one) and its MLflow settings, pointed at a local store.
        "AZUREML_RUN_ID": name,
        "AZUREML_NODE_COUNT": str(len(layout.nodes)),
        "MLFLOW_TRACKING_URI": f"file://{MLFLOW_DIR}",
        "MLFLOW_EXPERIMENT_NAME": job.experiment_name or "Default",
    })
    for resolved in inputs:
        if resolved.mount is not None:
            variables[f"AZURE_ML_INPUT_{resolved.name}"] = resolved.value
    for output_name, mount in outputs.items():
        variables[f"AZURE_ML_OUTPUT_{output_name}"] = mount.container
    return variables
