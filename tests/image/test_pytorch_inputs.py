"""Data and bad input for `python -m train.pytorch` in the image: CIFAR-10 files, missing files, bad env."""

import pytest

from tests.containers import Mount, run_container
from tests.image.ddp_commands import TORCHRUN_2, TRAIN, final_fields

pytestmark = pytest.mark.image


@pytest.mark.parametrize("data_dir", ["/data", pytest.param("/data/cifar-10-batches-py", marks=pytest.mark.matrix)],
                         ids=["parent", "folder"])
def test_cifar10_batches_from_data_dir_train(data_dir, pytorch_image, tiny_cifar10, outputs):
    result = run_container(
        [*TORCHRUN_2, "-m", "train.pytorch", "--dataset", "cifar10", "--data-dir", data_dir,
         "--epochs", "1", "--model-dir", "/outputs"],
        image=pytorch_image, timeout=300,
        mounts=[Mount(tiny_cifar10, "/data", read_only=True), Mount(outputs, "/outputs")])
    assert result.returncode == 0, result.tail()
    assert "1000 train / 200 test samples" in result.output, result.tail()
    assert final_fields(result.output)["world_size"] == "2"


def test_missing_cifar10_file_is_named(pytorch_image, outputs):
    result = run_container([*TRAIN, "--dataset", "cifar10", "--data-dir", "/outputs"],
                           image=pytorch_image, timeout=60, mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 2, result.tail()
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and "/outputs/cifar-10-batches-py/data_batch_1" in last, last


def test_rank_outside_world_size_exits_2(pytorch_image, outputs):
    result = run_container([*TRAIN, "--model-dir", "/outputs"], image=pytorch_image, timeout=60,
                           env={"RANK": "5", "WORLD_SIZE": "2"}, mounts=[Mount(outputs, "/outputs")])
    assert result.returncode == 2, result.tail()
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and "RANK" in last, last


def test_bad_flag_exits_2(pytorch_image):
    result = run_container([*TRAIN, "--epochs", "0"], image=pytorch_image, timeout=60)
    assert result.returncode == 2, result.tail()
    assert "--epochs: must be >= 1" in result.output
