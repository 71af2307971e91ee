"""from_azureml_pytorch and from_torch_env: RANK/WORLD_SIZE-style variables without torchrun.

Azure's pytorch distribution sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE, NODE_RANK, RANK and
LOCAL_RANK on every process (Azure ML "Distributed GPU training guide (SDK v2)", PyTorch
section, as summarised in docs/azureml-launch-contract.md); AZUREML_NODE_COUNT is often there.
"""

import pytest

from train.launch_env import LaunchEnv, LaunchEnvError, from_azureml_pytorch, from_torch_env

# Two nodes x two processes; this is node 1's second process.
AZURE_PYTORCH = {
    "MASTER_ADDR": "10.0.0.4",
    "MASTER_PORT": "6105",
    "WORLD_SIZE": "4",
    "NODE_RANK": "1",
    "RANK": "3",
    "LOCAL_RANK": "1",
    "AZUREML_NODE_COUNT": "2",
    "AZUREML_RUN_ID": "run-1",
}
HAND_SET = {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29501"}


def without(env, *names):
    return {k: v for k, v in env.items() if k not in names}


def test_reads_azure_pytorch_job():
    assert from_azureml_pytorch(AZURE_PYTORCH) == LaunchEnv(
        source="azureml-pytorch",
        rank=3,
        world_size=4,
        local_rank=1,
        local_world_size=2,
        node_rank=1,
        master_addr="10.0.0.4",
        master_port=6105,
        restart_count=None,
    )


@pytest.mark.parametrize("marker", ["AZUREML_RUN_ID", "AZ_BATCHAI_JOB_NAME", "AZ_BATCH_NODE_ID"])
def test_any_azure_marker_marks_azure(marker):
    env = without(AZURE_PYTORCH, "AZUREML_NODE_COUNT", "AZUREML_RUN_ID") | {
        marker: "x",
        "LOCAL_WORLD_SIZE": "2",
    }
    assert from_azureml_pytorch(env).source == "azureml-pytorch"


def test_azure_declines_without_azure_marker():
    assert from_azureml_pytorch(HAND_SET) is None


def test_azure_declines_without_rank_variables():
    assert from_azureml_pytorch({"AZUREML_RUN_ID": "run-1"}) is None


def test_hand_set_variables_are_source_env_on_one_node():
    assert from_torch_env(HAND_SET) == LaunchEnv(
        source="env",
        rank=1,
        world_size=2,
        local_rank=1,
        local_world_size=2,
        node_rank=0,
        master_addr="127.0.0.1",
        master_port=29501,
        restart_count=None,
    )


def test_env_declines_without_rank_or_world_size():
    assert from_torch_env({"LOCAL_RANK": "0", "MASTER_ADDR": "h"}) is None


def test_local_world_size_variable_wins_over_derivation():
    env = AZURE_PYTORCH | {"LOCAL_WORLD_SIZE": "2", "AZUREML_NODE_COUNT": "1"}
    assert from_azureml_pytorch(env).local_world_size == 2


def test_local_world_size_is_world_size_over_node_count():
    assert (
        from_azureml_pytorch(
            AZURE_PYTORCH | {"WORLD_SIZE": "8", "AZUREML_NODE_COUNT": "2"}
        ).local_world_size
        == 4
    )


def test_one_process_per_node_azure_job_counts_nodes():
    """The contract's trap: process_count_per_instance=1 makes WORLD_SIZE the node count."""
    env = AZURE_PYTORCH | {"WORLD_SIZE": "2", "NODE_RANK": "1", "RANK": "1", "LOCAL_RANK": "0"}
    launch = from_azureml_pytorch(env)
    assert (launch.world_size, launch.local_world_size, launch.node_rank) == (2, 1, 1)


def test_node_count_that_does_not_divide_world_size_is_an_error():
    with pytest.raises(LaunchEnvError, match=r"^AZUREML_NODE_COUNT=3 does not divide WORLD_SIZE=4"):
        from_azureml_pytorch(AZURE_PYTORCH | {"AZUREML_NODE_COUNT": "3"})


def test_without_node_count_node_zero_is_taken_as_a_single_node():
    env = without(AZURE_PYTORCH, "AZUREML_NODE_COUNT") | {
        "NODE_RANK": "0",
        "RANK": "1",
        "LOCAL_RANK": "1",
    }
    assert from_azureml_pytorch(env).local_world_size == 4


@pytest.mark.parametrize(
    "change",
    [
        {"NODE_RANK": "1", "RANK": "3", "LOCAL_RANK": "1"},
        {"NODE_RANK": "0", "RANK": "3", "LOCAL_RANK": "1"},
    ],
    ids=["node-rank-above-zero", "local-rank-differs-from-rank"],
)
def test_without_node_count_a_multi_node_job_is_an_error(change):
    env = without(AZURE_PYTORCH, "AZUREML_NODE_COUNT") | change
    with pytest.raises(LaunchEnvError, match=r"^LOCAL_WORLD_SIZE is not set and cannot be derived"):
        from_azureml_pytorch(env)


def test_local_rank_defaults_to_rank_on_one_node():
    assert from_torch_env(without(HAND_SET, "LOCAL_RANK")).local_rank == 1


def test_missing_local_rank_across_nodes_is_an_error():
    env = without(AZURE_PYTORCH, "LOCAL_RANK")
    with pytest.raises(LaunchEnvError, match=r"^LOCAL_RANK is not set"):
        from_azureml_pytorch(env)


def test_node_rank_is_derived_from_rank_when_missing():
    env = HAND_SET | {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    assert from_torch_env(env).node_rank == 1


def test_master_port_defaults_when_only_address_is_set():
    assert from_torch_env(without(HAND_SET, "MASTER_PORT")).master_port == 29500


def test_missing_master_address_is_an_error_when_distributed():
    with pytest.raises(
        LaunchEnvError, match=r"^MASTER_ADDR is not set: expected the address of rank 0"
    ):
        from_torch_env(without(HAND_SET, "MASTER_ADDR"))


def test_one_process_needs_no_master_address():
    launch = from_torch_env({"RANK": "0", "WORLD_SIZE": "1"})
    assert (launch.world_size, launch.master_addr, launch.master_port) == (1, None, None)


@pytest.mark.parametrize("name", ["RANK", "WORLD_SIZE"])
def test_missing_rank_or_world_size_is_an_error_naming_it(name):
    with pytest.raises(LaunchEnvError, match=rf"^{name} is not set"):
        from_torch_env(without(HAND_SET, name))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RANK", "5", r"^RANK=5 is out of range: expected 0 <= RANK < WORLD_SIZE=4$"),
        ("RANK", "-2", r"^RANK=-2 is out of range"),
        ("RANK", "1_0", r"^RANK='1_0' is not an integer"),
        ("WORLD_SIZE", "four", r"^WORLD_SIZE='four' is not an integer"),
        (
            "LOCAL_RANK",
            "2",
            r"^LOCAL_RANK=2 is out of range: expected 0 <= LOCAL_RANK < LOCAL_WORLD_SIZE=2$",
        ),
        ("NODE_RANK", "-1", r"^NODE_RANK=-1 is out of range"),
        (
            "AZUREML_NODE_COUNT",
            "0",
            r"^AZUREML_NODE_COUNT=0 is out of range: expected an integer >= 1$",
        ),
        ("MASTER_PORT", "99999", r"^MASTER_PORT='99999' is not a port"),
        ("MASTER_PORT", "http", r"^MASTER_PORT='http' is not a port"),
    ],
)
def test_malformed_variable_is_an_error_naming_it(name, value, message):
    with pytest.raises(LaunchEnvError, match=message):
        from_azureml_pytorch(AZURE_PYTORCH | {name: value})


def test_local_world_size_above_world_size_is_an_error():
    with pytest.raises(
        LaunchEnvError,
        match=r"^LOCAL_WORLD_SIZE=5 is out of range: "
        r"expected 1 <= LOCAL_WORLD_SIZE <= WORLD_SIZE=4$",
    ):
        from_azureml_pytorch(AZURE_PYTORCH | {"LOCAL_WORLD_SIZE": "5"})


def test_surrounding_whitespace_is_ignored():
    assert from_torch_env(HAND_SET | {"RANK": " 1 "}).rank == 1
