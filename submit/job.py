"""The CommandJob: the compose command, the framework's distribution, data in, checkpoints out, a time limit.

A `CommandJob` rather than the `command(...)` builder: the YAML a builder node dumps does not
load back as a job, while a CommandJob's YAML is what `az ml job create -f` takes.
"""

from typing import Union

from azure.ai.ml import Input, MpiDistribution, Output, PyTorchDistribution, TensorFlowDistribution
from azure.ai.ml.entities import CommandJob, CommandJobLimits, JobResourceConfiguration

from submit.commands import CHECKPOINT_OUTPUT_NAME, DATA_INPUT_NAME, azure_command
from submit.request import SubmitRequest
from submit.vm_sizes import find_size

# Environment every job gets; `--env NAME=VALUE` overrides. NCCL_DEBUG=WARN keeps logs quiet
# but still says why a collective failed. Async error handling makes a rank whose peer died
# (a preempted low-priority node) fail instead of hanging, so the job is restarted and resumes.
NCCL_ENVIRONMENT = {"NCCL_DEBUG": "WARN"}
TORCH_ENVIRONMENT = {"TORCH_NCCL_ASYNC_ERROR_HANDLING": "1"}
# InfiniBand sizes (ND A100 v4, ND H100/H200 v5): what Microsoft's own large-model jobs set for NCCL
# there (Azure/azureml-examples, best-practices/largescale-deep-learning/Training/Bloom-Pretrain/src/
# deepspeed-BLOOM-AML-SDKv2.yaml): bootstrap over the VM's Ethernet NIC (eth0, not the IPoIB ones),
# PCIe relaxed ordering for the Mellanox HCAs' RDMA, and GPU numbering in PCI order so that NCCL's
# GPU-to-HCA affinity matches the VM's topology. NCCL then picks its IB transport by itself: the
# AmlCompute image ships the Mellanox OFED driver on these sizes ("Distributed GPU training guide
# (SDK v2)", Accelerating distributed GPU training with InfiniBand).
INFINIBAND_NCCL_ENVIRONMENT = {
    "NCCL_SOCKET_IFNAME": "eth0",
    "NCCL_IB_PCI_RELAXED_ORDERING": "1",
    "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
}

Distribution = Union[PyTorchDistribution, MpiDistribution, TensorFlowDistribution]


def build_distribution(request: SubmitRequest) -> Distribution:
    kind = request.distribution_type
    if kind == "pytorch":
        return PyTorchDistribution(process_count_per_instance=request.procs_per_node)
    if kind == "mpi":
        return MpiDistribution(process_count_per_instance=request.procs_per_node)
    if kind == "tensorflow":
        # One TensorFlow worker per node (validate() insists on one process per node).
        return TensorFlowDistribution(
            worker_count=request.nodes, parameter_server_count=request.parameter_servers
        )
    raise ValueError(f"no distribution builder for {kind!r}; validate() should have refused it")


def job_environment_variables(request: SubmitRequest) -> dict[str, str]:
    variables = dict(NCCL_ENVIRONMENT)
    size = find_size(request.vm_size)
    if size is not None and size.infiniband:
        variables.update(INFINIBAND_NCCL_ENVIRONMENT)
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
        command=azure_command(request.framework, with_data_input=request.data is not None,
                              extra_args=request.train_args),
        environment=environment,
        compute=request.compute_name,
        distribution=build_distribution(request),
        resources=JobResourceConfiguration(instance_count=request.nodes, shm_size=request.shm_size),
        inputs=inputs,
        # rw_mount: checkpoints land in the datastore as they are written, so a restarted
        # (preempted) job finds them at the same path under the same job name.
        outputs={CHECKPOINT_OUTPUT_NAME: Output(type="uri_folder", mode="rw_mount")},
        environment_variables=job_environment_variables(request),
        # Azure cancels the job after this many seconds: a hung collective stops billing GPUs.
        limits=CommandJobLimits(timeout=request.timeout_minutes * 60),
        tags={"framework": request.framework, "distribution": request.distribution_type},
    )
