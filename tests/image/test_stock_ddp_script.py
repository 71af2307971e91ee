"""A stock Azure-style DDP script (scripts/stock_ddp_cifar.py) runs unmodified in the image.

torchvision.datasets.CIFAR10(download=False) checks every file against the md5 of the real CIFAR-10
release (torchvision 0.25 `_check_integrity` and `_load_meta`), which a small test tree cannot match.
So by default the script runs through scripts/cifar_md5_bypass.py, which switches off only those two
checks; with the real dataset on the host (TRAINYARD_CIFAR10_DIR = a folder holding
cifar-10-batches-py/) it also runs directly, checks included.
"""

import os
from pathlib import Path

import pytest

from tests.containers import Mount, run_container
from tests.image.ddp_commands import AZUREML_MPI_SINGLE_NODE, MPIRUN_2, TORCHRUN_2

pytestmark = pytest.mark.image

SCRIPT = ["/scripts/stock_ddp_cifar.py", "--data-dir", "/data", "--epochs", "1", "--workers", "0",
          "--print-freq", "20", "--model-dir", "/outputs/model"]
BYPASS = "/scripts/cifar_md5_bypass.py"
LAUNCHES = {
    "torchrun": [*TORCHRUN_2, BYPASS, *SCRIPT],
    # Azure's mpi type: train.launch derives RANK, WORLD_SIZE, MASTER_ADDR... from Open MPI's variables.
    "mpirun+train.launch": [*MPIRUN_2, *AZUREML_MPI_SINGLE_NODE, "python", "-m", "train.launch", "--",
                            "python", BYPASS, *SCRIPT],
}


def assert_trained(result, outputs: Path) -> None:
    assert result.returncode == 0, result.tail()
    assert "Rank 0: accuracy" in result.output and "with world size 2" in result.output, result.tail()
    assert "Rank 1: Starting epoch 0" in result.output, result.tail()
    assert (outputs / "model" / "model.pt").is_file()
    # MLflow's default store, relative to the working dir: ./mlruns for MLflow 2 (the images' pin),
    # mlflow.db for MLflow 3.
    assert (outputs / "mlruns").is_dir() or (outputs / "mlflow.db").is_file(), sorted(outputs.iterdir())


@pytest.mark.parametrize("launcher", LAUNCHES)
def test_stock_script_with_small_cifar10(launcher, pytorch_image, tiny_cifar10, outputs, scripts_mount):
    result = run_container(LAUNCHES[launcher], image=pytorch_image, timeout=300, workdir="/outputs",
                           mounts=[scripts_mount, Mount(tiny_cifar10, "/data", read_only=True),
                                   Mount(outputs, "/outputs")])
    assert_trained(result, outputs)


@pytest.mark.skipif(not os.environ.get("TRAINYARD_CIFAR10_DIR"),
                    reason="set TRAINYARD_CIFAR10_DIR to a folder holding the real cifar-10-batches-py/")
def test_stock_script_with_real_cifar10_unpatched(pytorch_image, outputs, scripts_mount):
    real = Path(os.environ["TRAINYARD_CIFAR10_DIR"])
    result = run_container([*TORCHRUN_2, *SCRIPT], image=pytorch_image, timeout=600, workdir="/outputs",
                           mounts=[scripts_mount, Mount(real, "/data", read_only=True),
                                   Mount(outputs, "/outputs")])
    assert_trained(result, outputs)
