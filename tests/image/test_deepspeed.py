"""DeepSpeed in the PyTorch image, on CPU (gloo): `ds_report`, and `python -m train.deepspeed` training
2 ranks with ZeRO from a ds_config JSON, started from Azure ML `pytorch` distribution variables and
from Azure `mpi` distribution variables (where MASTER_ADDR/PORT must be derived from the MPI ones).

What runs without a GPU (measured with DeepSpeed 0.19.8, torch 2.10.0): the CPU accelerator with gloo (Intel's
oneCCL bindings are not installed) and fp32 with a torch optimizer; what does not is refused with one
clear line (fp16, offload), tested here too.
"""

import json

import pytest

from tests.containers import Mount, run_container
from tests.image.ddp_commands import (
    AZUREML_MPI_SINGLE_NODE,
    MPIRUN_2,
    final_fields,
    problem_lines,
)
from tests.pins import DEEPSPEED

pytestmark = pytest.mark.image

TRAIN = ["python", "-m", "train.deepspeed"]
FLAGS = ["--epochs", "5", "--model-dir", "/outputs", "--print-freq", "20"]
AZUREML_PYTORCH_2 = ["python", "/scripts/fake_azureml_pytorch_job.py", "2", "29500", "--"]
# ZeRO-3 (the most machinery) runs in make test; stages 0-2 in make test-matrix.
CPU_STAGES = (pytest.param(0, marks=pytest.mark.matrix), pytest.param(1, marks=pytest.mark.matrix),
              pytest.param(2, marks=pytest.mark.matrix), 3)


def test_ds_report_runs(pytorch_image):
    result = run_container(["ds_report"], image=pytorch_image, timeout=360)
    assert result.returncode == 0, result.tail()
    assert "DeepSpeed general environment info" in result.output, result.tail()
    assert "deepspeed info" in result.output and DEEPSPEED in result.output, result.tail()


@pytest.mark.parametrize("stage", CPU_STAGES)
def test_zero_stage_trains_two_ranks_from_azure_pytorch_variables(stage, pytorch_image, outputs,
                                                                  scripts_mount):
    result = run_container([*AZUREML_PYTORCH_2, *TRAIN, *FLAGS, "--zero-stage", str(stage)],
                           image=pytorch_image, timeout=300, mounts=[scripts_mount, Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    final = final_fields(result.output)
    assert (final["world_size"], final["zero_stage"]) == ("2", str(stage)), result.tail()
    assert float(final["accuracy"]) >= 0.9, result.tail()
    assert "launch source azureml-pytorch" in result.output, result.tail()
    assert problem_lines(result.output) == [], result.tail()
    assert (outputs / "model.pt").is_file() and (outputs / "checkpoints" / "deepspeed" / "latest").is_file()


def test_user_ds_config_under_azure_mpi_variables(pytorch_image, outputs):
    # A ds_config as Azure's DeepSpeed examples pass it; ZeRO-2 under mpirun, where DeepSpeed finds no
    # MASTER_ADDR/RANK and the entrypoint derives them from OMPI_COMM_WORLD_* / AZ_BATCHAI_MPI_MASTER_NODE.
    (outputs / "ds_config.json").write_text(json.dumps({
        "train_micro_batch_size_per_gpu": 32, "gradient_accumulation_steps": 1,
        "zero_optimization": {"stage": 2}, "zero_allow_untested_optimizer": True}))
    result = run_container([*MPIRUN_2, *AZUREML_MPI_SINGLE_NODE, *TRAIN, *FLAGS,
                            "--deepspeed", "--deepspeed_config", "/outputs/ds_config.json"],
                           image=pytorch_image, timeout=300, mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    final = final_fields(result.output)
    assert (final["world_size"], final["zero_stage"]) == ("2", "2"), result.tail()
    assert float(final["accuracy"]) >= 0.9, result.tail()
    assert "launch source azureml-mpi" in result.output, result.tail()
    assert "MASTER_ADDR" in result.output.split("derived for DeepSpeed:")[1].splitlines()[0], result.tail()


def test_fp16_on_cpu_is_refused_with_one_clear_line(pytorch_image, outputs):
    (outputs / "ds_config.json").write_text(json.dumps({"fp16": {"enabled": True}}))
    result = run_container([*TRAIN, *FLAGS, "--deepspeed_config", "/outputs/ds_config.json"],
                           image=pytorch_image, timeout=300, mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 2, result.tail()
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and "fp16" in last and "needs a GPU" in last, result.tail()
