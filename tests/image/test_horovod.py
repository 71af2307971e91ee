"""Horovod in the PyTorch image: built with what it promises, and `python -m train.horovod` trains
2 ranks the two ways Horovod jobs start.

- Azure ML `mpi` distribution (Horovod's job type): Azure runs mpirun itself; single node, so ranks
  see OMPI_COMM_WORLD_* and AZ_BATCHAI_MPI_MASTER_NODE (docs/azureml-launch-contract.md). Horovod's
  MPI controller.
- `horovodrun -np 2 --gloo`: Horovod's own launcher, Gloo controller, no MPI involved.
Each must reach >= 0.9 accuracy on digits and log no warning or error.
"""

import re

import pytest

from tests.containers import Mount, run_container
from tests.image.ddp_commands import (
    AZUREML_MPI_SINGLE_NODE,
    MPIRUN_2,
    final_fields,
    problem_lines,
)
from tests.pins import HOROVOD

pytestmark = pytest.mark.image

TRAIN = ["python", "-m", "train.horovod"]
FLAGS = ["--epochs", "5", "--model-dir", "/outputs", "--print-freq", "20"]
LAUNCHES = {
    "azureml-mpi": ([*MPIRUN_2, *AZUREML_MPI_SINGLE_NODE, *TRAIN, *FLAGS], "horovod-mpi"),
    "horovodrun": (["horovodrun", "-np", "2", "--gloo", *TRAIN, *FLAGS], "horovod-gloo"),
}


def without_horovodrun_prefixes(output: str) -> str:
    """horovodrun prefixes every line of rank N with "[N]<stdout>:" or "[N]<stderr>:"."""
    return re.sub(r"^\[\d+\]<std(?:out|err)>:", "", output, flags=re.M)


def check_build_marks(output: str) -> dict[str, bool]:
    """`horovodrun --check-build` lines like "    [X] PyTorch" -> {"PyTorch": True}."""
    return {m.group(2): m.group(1) == "X" for m in re.finditer(r"^\s*\[(X| )\] (\w+)\s*$", output, re.MULTILINE)}


def test_check_build_shows_pytorch_mpi_and_gloo(pytorch_image):
    result = run_container(["horovodrun", "--check-build"], image=pytorch_image, timeout=300)
    assert result.returncode == 0, result.tail()
    assert f"Horovod v{HOROVOD}" in result.output, result.tail()
    marks = check_build_marks(result.output)
    for feature in ("PyTorch", "MPI", "Gloo"):
        assert marks.get(feature), f"{feature} not built:\n{result.output}"


# make test runs horovodrun; the azureml-mpi launch runs in make test-matrix, since make test's Azure
# rehearsal (horovod job) and compose MPI cluster start Horovod that way.
LAUNCHERS = [pytest.param("azureml-mpi", marks=pytest.mark.matrix), "horovodrun"]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_two_ranks_reach_digits_accuracy(launcher, pytorch_image, outputs):
    command, backend = LAUNCHES[launcher]
    result = run_container(command, image=pytorch_image, timeout=240, mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    final = final_fields(without_horovodrun_prefixes(result.output))
    assert final["world_size"] == "2", result.tail()
    assert float(final["accuracy"]) >= 0.9, result.tail()
    assert f"launch source {launcher}" in result.output, result.tail()
    assert f"backend {backend} on cpu" in result.output, result.tail()
    assert problem_lines(result.output) == [], result.tail()
    assert (outputs / "model.pt").is_file() and (outputs / "mlflow.db").is_file()
    assert list((outputs / "checkpoints").glob("step-*.ckpt"))
