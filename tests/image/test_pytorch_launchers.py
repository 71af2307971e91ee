"""Two ranks of `python -m train.pytorch` in one container, started the three ways Azure ML can.

- Azure `pytorch` distribution with 2 nodes x 1 process: Azure starts each process itself with
  MASTER_ADDR, MASTER_PORT, WORLD_SIZE, NODE_RANK, RANK, LOCAL_RANK, AZUREML_NODE_COUNT (variables
  per docs/azureml-launch-contract.md, from Azure's "Distributed GPU training guide (SDK v2)").
- torchrun --nproc-per-node 2 (what a script does under Azure's pytorch type with 1 process per node).
- Azure `mpi` distribution, single node: Azure runs mpirun itself; ranks see OMPI_COMM_WORLD_* and
  AZ_BATCHAI_MPI_MASTER_NODE, but no MASTER_ADDR/RANK.
Each must reach >= 0.9 accuracy on digits and log no warning or error.
"""

import pytest

from tests.containers import Mount, run_container
from tests.image.ddp_commands import (
    AZUREML_MPI_SINGLE_NODE,
    MPIRUN_2,
    TORCHRUN_2,
    TRAIN,
    final_fields,
    problem_lines,
)

pytestmark = pytest.mark.image

FLAGS = ["--epochs", "5", "--model-dir", "/outputs", "--print-freq", "20"]
LAUNCHES = {
    "azureml-pytorch": ["python", "/scripts/fake_azureml_pytorch_job.py", "2", "29500", "--", *TRAIN, *FLAGS],
    "torchrun": [*TORCHRUN_2, "-m", "train.pytorch", *FLAGS],
    "azureml-mpi": [*MPIRUN_2, *AZUREML_MPI_SINGLE_NODE, *TRAIN, *FLAGS],
}


# make test runs the mpi launch; the others run in make test-matrix, since make test covers them
# elsewhere: the Azure rehearsal's pytorch-ddp job is the azureml-pytorch launch, and the checkpoint
# and stock-script tests launch with torchrun.
LAUNCHERS = [pytest.param("azureml-pytorch", marks=pytest.mark.matrix),
             pytest.param("torchrun", marks=pytest.mark.matrix), "azureml-mpi"]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_two_ranks_reach_digits_accuracy(launcher, pytorch_image, outputs, scripts_mount):
    result = run_container(LAUNCHES[launcher], image=pytorch_image, timeout=300,
                           mounts=[scripts_mount, Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    final = final_fields(result.output)
    assert final["world_size"] == "2", result.tail()
    assert float(final["accuracy"]) >= 0.9, result.tail()
    assert f"launch source {launcher}" in result.output, result.tail()
    assert problem_lines(result.output) == []
    assert (outputs / "model.pt").is_file() and (outputs / "mlflow.db").is_file()
