"""The CommandJob: the compose command, the framework's distribution, data in, checkpoints out.

A `CommandJob` rather than the `command(...)` builder: the YAML a builder node dumps does not
load back as a job, while a CommandJob's YAML is what `az ml job create -f` takes.
"""

from typing import Union

from azure.ai.ml import Input, MpiDistribution, Output, PyTorchDistribution, TensorFlowDistribution
from azure.ai.ml.entities import CommandJob, JobResourceConfiguration

from submit.commands import CHECKPOINT_OUTPUT_NAME, DATA_INPUT_NAME, azure_command
from submit.request import SubmitRequest

# Environment every job gets; `--env NAME=VALUE` overrides. NCCL_DEBUG=WARN keeps logs quiet
# but still says why a collective failed. Async error handling makes a rank whose peer died
# (a preempted low-priority node) fail instead of hanging, so the job is restarted and resumes.
NCCL_ENVIRONMENT = {"NCCL_DEBUG": "WARN"}
TORCH_ENVIRONMENT = {"TORCH_NCCL_ASYNC_ERROR_HANDLING": "1"}

Distribution = Union[PyTorchDistribution, MpiDistribution, TensorFlowDistribution]


def build_distribution(request: SubmitRequest) -> Distribution:
    kind = request.distribution_type
    if kind == "pytorch":
        return PyTorchDistribution(process_count_per_instance=request.procs_per_node)
    if kind == "mpi":
        return MpiDistribution(process_count_per_instance=request.procs_per_node)
    if kind == "tensorflow":
        # One TensorFlow worker per node (validate() insists on --procs 1).
        return TensorFlowDistribution(
            worker_count=request.nodes, parameter_server_count=request.parameter_servers
        )
    raise ValueError(f"no distribution builder for {kind!r}; validate() should have refused it")


def job_environment_variables(request: SubmitRequest) -> dict[str, str]:
    variables = dict(NCCL_ENVIRONMENT)
    if request.image_family == "pytorch":
        variables.update(TORCH_ENVIRONMENT)
    variables.update(request.extra_environment)
    return variables


def build_job(request: SubmitRequest, environment: str) -> CommandJob:
    """The job for `request`, running in the registered `environment` (azureml:name:version)."""
    inputs = {}
    if request.data is not None:
        inputs[DATA_INPUT_NAME] = Input(type="uri_folder", path=request.data)
    return CommandJob(
        display_name=f"{request.framework}-{request.nodes}x{request.procs_per_node}",
        experiment_name=request.experiment_name,
        command=azure_command(request.framework, with_data_input=request.data is not None),
        environment=environment,
        compute=request.compute_name,
        distribution=build_distribution(request),
        resources=JobResourceConfiguration(instance_count=request.nodes, shm_size=request.shm_size),
        inputs=inputs,
        # rw_mount: checkpoints land in the datastore as they are written, so a restarted
        # (preempted) job finds them at the same path under the same job name.
        outputs={CHECKPOINT_OUTPUT_NAME: Output(type="uri_folder", mode="rw_mount")},
        environment_variables=job_environment_variables(request),
        tags={"framework": request.framework, "distribution": request.distribution_type},
    )
