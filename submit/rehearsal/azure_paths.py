"""Where Azure ML's common runtime puts a job's pieces on each node, and what it names its logs.

Read for this (2026-12): input mounts at `/mnt/azureml/cr/j/<32 hex>/cap/data-capability/wd/INPUT_<name>`
(Azure/azure-sdk-for-python#36689), the working directory `/mnt/azureml/cr/j/<32 hex>/exe/wd` (paths in
public scripts written on Azure ML nodes; each node has its own, not a shared one), and the log names
azure-ai-ml streams (`user_logs/std_log.txt`; `std_log_process_NN.txt` per process; TensorFlow's
`std_log_node_NN_<task>.txt`: the SDK's own tests of its log streaming, JobLogPattern in
azure/ai/ml/constants/_job/job.py). Declared outputs sit beside the inputs, without the prefix.
"""

from __future__ import annotations

JOB_ROOT = "/mnt/azureml/cr/j/{job_id}"
WORKING_DIR = JOB_ROOT + "/exe/wd"
DATA_CAPABILITY_DIR = JOB_ROOT + "/cap/data-capability/wd"


def working_dir(job_id: str) -> str:
    return WORKING_DIR.format(job_id=job_id)


def input_dir(job_id: str, name: str) -> str:
    return f"{DATA_CAPABILITY_DIR.format(job_id=job_id)}/INPUT_{name}"


def output_dir(job_id: str, name: str) -> str:
    return f"{DATA_CAPABILITY_DIR.format(job_id=job_id)}/{name}"


def process_log_name(distribution: str, index: int, world_size: int, task_type: str = "") -> str:
    """The file under user_logs/ that Azure writes a process's output to."""
    if distribution == "none":
        return "std_log.txt"
    if distribution == "tensorflow":
        return f"std_log_node_{index:02d}_{task_type}.txt"
    # One process: std_log_process_0.txt; several: two digits (std_log_process_00.txt, _01, ...), as
    # the SDK's own MPI fixture and Azure's examples show them.
    return f"std_log_process_{index}.txt" if world_size == 1 else f"std_log_process_{index:02d}.txt"
