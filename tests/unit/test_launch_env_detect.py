"""detect(): which detector wins, alone and where launchers overlap."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from train.launch_env import DETECTORS, LaunchEnvError, detect

REPO_ROOT = Path(__file__).resolve().parents[2]

TORCHRUN = {
    "TORCHELASTIC_RUN_ID": "job-1",
    "RANK": "3",
    "WORLD_SIZE": "4",
    "LOCAL_RANK": "1",
    "LOCAL_WORLD_SIZE": "2",
    "GROUP_RANK": "1",
    "MASTER_ADDR": "10.0.0.4",
    "MASTER_PORT": "29400",
    "TORCHELASTIC_RESTART_COUNT": "0",
}
AZURE_PYTORCH = {
    "RANK": "1",
    "WORLD_SIZE": "2",
    "LOCAL_RANK": "0",
    "NODE_RANK": "1",
    "MASTER_ADDR": "10.0.0.4",
    "MASTER_PORT": "6105",
    "AZUREML_NODE_COUNT": "2",
}
OMPI = {
    "OMPI_COMM_WORLD_RANK": "1",
    "OMPI_COMM_WORLD_SIZE": "2",
    "OMPI_COMM_WORLD_LOCAL_RANK": "1",
    "OMPI_COMM_WORLD_LOCAL_SIZE": "2",
}
AZURE_MPI = OMPI | {"AZ_BATCHAI_MPI_MASTER_NODE": "10.0.0.4"}
TF = {
    "TF_CONFIG": json.dumps(
        {
            "cluster": {"worker": ["a:1", "b:1"], "ps": []},
            "task": {"type": "worker", "index": 1},
            "environment": "cloud",
        }
    )
}
TF_LOCAL = {
    "TF_CONFIG": json.dumps(
        {"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}
    )
}
HAND_SET = {"RANK": "0", "WORLD_SIZE": "1"}


@pytest.mark.parametrize(
    ("env", "source"),
    [
        (TORCHRUN, "torchrun"),
        (AZURE_PYTORCH, "azureml-pytorch"),
        (AZURE_MPI, "azureml-mpi"),
        (OMPI, "mpirun"),
        (TF, "azureml-tensorflow"),
        (TF_LOCAL, "tf-config"),
        (HAND_SET, "env"),
        ({}, "single"),
        ({"PATH": "/usr/bin", "LOCAL_RANK": "3", "MASTER_ADDR": "h"}, "single"),
    ],
)
def test_each_launcher_alone(env, source):
    assert detect(env).source == source


@pytest.mark.parametrize(
    ("env", "source"),
    [
        # torchrun started by a one-process-per-node Azure pytorch job: torchrun rewrote RANK and
        # WORLD_SIZE for its children, the Azure values describe the node.
        (AZURE_PYTORCH | TORCHRUN, "torchrun"),
        (OMPI | TORCHRUN, "torchrun"),
        (AZURE_MPI | TORCHRUN, "torchrun"),
        (TF | TORCHRUN, "torchrun"),
        (AZURE_MPI | {"AZUREML_RUN_ID": "r"}, "azureml-mpi"),
        (OMPI | {"AZUREML_RUN_ID": "r"}, "azureml-mpi"),
        # mpirun's per-rank variables win over a TF_CONFIG or Azure pytorch markers around them.
        (OMPI | TF, "mpirun"),
        (AZURE_MPI | TF, "azureml-mpi"),
        (OMPI | {"NODE_RANK": "0", "MASTER_ADDR": "h", "AZUREML_NODE_COUNT": "1"}, "azureml-mpi"),
        (AZURE_PYTORCH | TF, "azureml-pytorch"),
        (HAND_SET | TF_LOCAL, "tf-config"),
    ],
    ids=[
        "torchrun-in-azure-pytorch",
        "torchrun-under-mpirun",
        "torchrun-under-azure-mpi",
        "torchrun-with-tf-config",
        "azure-mpi-with-azureml-marker",
        "mpirun-with-azureml-marker-is-azure",
        "mpirun-with-tf-config",
        "azure-mpi-with-tf-config",
        "mpirun-with-azure-pytorch-style-vars",
        "azure-pytorch-with-tf-config",
        "bare-rank-with-tf-config",
    ],
)
def test_overlapping_launchers(env, source):
    assert detect(env).source == source


def test_torchrun_inside_one_process_per_node_azure_job_reports_torchrun_world_size():
    """The contract's trap: Azure's WORLD_SIZE=2 counts nodes; torchrun's children see 4."""
    launch = detect(AZURE_PYTORCH | TORCHRUN)
    assert (launch.world_size, launch.rank, launch.node_rank) == (4, 3, 1)


def test_error_in_winning_detector_is_raised_not_skipped():
    with pytest.raises(LaunchEnvError, match=r"^RANK='x' is not an integer"):
        detect(TORCHRUN | {"RANK": "x"})


def test_detect_reads_os_environ_by_default():
    with mock.patch.dict(os.environ, AZURE_MPI, clear=True):
        assert detect().source == "azureml-mpi"


def test_detect_does_not_modify_its_argument():
    env = dict(TF)
    detect(env)
    assert env == TF


def test_single_process_is_the_last_detector():
    assert DETECTORS[-1].__name__ == "from_single"


def test_each_launcher_is_named_by_its_source():
    examples = [TORCHRUN, AZURE_MPI, OMPI, AZURE_PYTORCH, TF, TF_LOCAL, HAND_SET, {}]
    assert tuple(detect(env).source for env in examples) == (
        "torchrun", "azureml-mpi", "mpirun", "azureml-pytorch", "azureml-tensorflow", "tf-config", "env", "single")


def test_importing_the_package_imports_neither_torch_nor_tensorflow():
    code = (
        "import sys, train.env, train.launch\n"
        "print(sorted({'torch', 'tensorflow'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "[]"
