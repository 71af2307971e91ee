"""Data and bad input for `python -m train.pytorch` in the image: CIFAR-10 files, missing files, bad env."""

import re

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


# Processes of one job in one container, each started as a node with hand-set env:// variables would
# be (RANK and WORLD_SIZE per process); each prints "<name> exited <status>" and its last line.
ROLL_CALL_JOB = """
node() {
  env MASTER_ADDR=127.0.0.1 MASTER_PORT=29511 RANK=$1 WORLD_SIZE=$2 NODE_RANK=$1 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 \\
    python -m train.pytorch --model-dir /tmp/$3-model --collective-timeout 60 >/tmp/$3.log 2>&1
  echo "$3 exited $?"; echo "$3 said: $(tail -n 1 /tmp/$3.log)"
}
"""


def roll_call_outcomes(pytorch_image, nodes: str) -> dict[str, tuple[str, str]]:
    result = run_container(["bash", "-c", ROLL_CALL_JOB + nodes + " wait"], image=pytorch_image, timeout=300)
    exits = dict(re.findall(r"^(\w+) exited (\d+)$", result.output, re.MULTILINE))
    said = dict(re.findall(r"^(\w+) said: (.*)$", result.output, re.MULTILINE))
    return {name: (exits[name], said.get(name, "")) for name in exits}


def test_a_rank_claimed_twice_is_one_line_on_every_node_not_a_hang(pytorch_image):
    outcomes = roll_call_outcomes(pytorch_image, "node 0 3 a & node 1 3 b & node 1 3 c &")
    assert set(outcomes) == {"a", "b", "c"}, outcomes
    for status, line in outcomes.values():
        assert status == "2", outcomes
        assert line.startswith("error: rank 1 is claimed by two processes (on "), outcomes


def test_a_world_size_that_differs_between_nodes_is_one_line_on_both(pytorch_image):
    outcomes = roll_call_outcomes(pytorch_image, "node 0 2 a & node 1 3 b &")
    assert set(outcomes) == {"a", "b"}, outcomes
    assert outcomes["a"] == outcomes["b"], outcomes
    status, line = outcomes["a"]
    assert status == "2" and line.startswith("error: WORLD_SIZE differs between nodes: 3 for rank 1 (on "), outcomes
