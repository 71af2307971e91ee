"""from_azureml_mpi and from_mpirun: Open MPI's ranks, with and without Azure.

Open MPI's variables per its documentation ("Environment variables set for MPI applications",
docs.open-mpi.org v5.0): OMPI_COMM_WORLD_NODE_RANK is a rank on the node across all jobs, not a
node index, so it is not read. Azure's head-node variables per the contract.
"""

import pytest

from train.launch_env import LaunchEnv, LaunchEnvError, from_azureml_mpi, from_mpirun

# Two nodes x two ranks; this is node 1's first rank.
OMPI = {
    "OMPI_COMM_WORLD_RANK": "2",
    "OMPI_COMM_WORLD_SIZE": "4",
    "OMPI_COMM_WORLD_LOCAL_RANK": "0",
    "OMPI_COMM_WORLD_LOCAL_SIZE": "2",
    "OMPI_COMM_WORLD_NODE_RANK": "0",
}
AZURE_MULTI_NODE = OMPI | {"AZ_BATCH_MASTER_NODE": "10.0.0.4:6105"}
# One node, four ranks.
OMPI_ONE_NODE = OMPI | {"OMPI_COMM_WORLD_LOCAL_RANK": "2", "OMPI_COMM_WORLD_LOCAL_SIZE": "4"}


def without(env, *names):
    return {k: v for k, v in env.items() if k not in names}


def test_reads_azure_multi_node_job():
    assert from_azureml_mpi(AZURE_MULTI_NODE) == LaunchEnv(
        source="azureml-mpi",
        rank=2,
        world_size=4,
        local_rank=0,
        local_world_size=2,
        node_rank=1,
        master_addr="10.0.0.4",
        master_port=6105,
        restart_count=None,
    )


def test_node_rank_ignores_ompi_node_rank():
    assert from_azureml_mpi(AZURE_MULTI_NODE | {"OMPI_COMM_WORLD_NODE_RANK": "7"}).node_rank == 1


def test_node_rank_variable_wins_over_derivation():
    assert from_mpirun(OMPI_ONE_NODE | {"NODE_RANK": "3"}).node_rank == 3


def test_azure_single_node_job_uses_batchai_master_with_default_port():
    launch = from_azureml_mpi(OMPI_ONE_NODE | {"AZ_BATCHAI_MPI_MASTER_NODE": "10.0.0.5"})
    assert (launch.master_addr, launch.master_port) == ("10.0.0.5", 29500)


def test_azure_multi_node_master_wins_over_single_node_master():
    launch = from_azureml_mpi(AZURE_MULTI_NODE | {"AZ_BATCHAI_MPI_MASTER_NODE": "10.0.0.5"})
    assert (launch.master_addr, launch.master_port) == ("10.0.0.4", 6105)


def test_azure_master_accepts_bracketed_ipv6():
    launch = from_azureml_mpi(OMPI | {"AZ_BATCH_MASTER_NODE": "[fd00::4]:6105"})
    assert (launch.master_addr, launch.master_port) == ("fd00::4", 6105)


def test_exported_master_variables_win_over_azure_ones():
    """torch reads MASTER_ADDR/MASTER_PORT when set, so that is what detect must report."""
    launch = from_azureml_mpi(AZURE_MULTI_NODE | {"MASTER_ADDR": "head", "MASTER_PORT": "7000"})
    assert (launch.master_addr, launch.master_port) == ("head", 7000)


def test_azure_one_node_without_master_variables_uses_loopback():
    launch = from_azureml_mpi(OMPI_ONE_NODE | {"AZUREML_RUN_ID": "run-1"})
    assert (launch.master_addr, launch.master_port) == ("127.0.0.1", 29500)


def test_azure_multi_node_without_master_variables_is_an_error():
    with pytest.raises(LaunchEnvError, match=r"^AZ_BATCH_MASTER_NODE is not set"):
        from_azureml_mpi(OMPI | {"AZUREML_RUN_ID": "run-1"})


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.4",
        "10.0.0.4:",
        ":6105",
        "10.0.0.4:0",
        "10.0.0.4:65536",
        "10.0.0.4:port",
        "fd00::4:6105",
    ],
)
def test_malformed_azure_batch_master_node_is_an_error_naming_it(value):
    with pytest.raises(LaunchEnvError, match=r"^AZ_BATCH_MASTER_NODE="):
        from_azureml_mpi(OMPI | {"AZ_BATCH_MASTER_NODE": value})


def test_malformed_azure_batch_master_node_is_an_error_even_with_master_addr():
    with pytest.raises(LaunchEnvError, match=r"^AZ_BATCH_MASTER_NODE="):
        from_azureml_mpi(OMPI | {"AZ_BATCH_MASTER_NODE": "nope", "MASTER_ADDR": "head"})


def test_azure_declines_without_azure_marker():
    assert from_azureml_mpi(OMPI) is None


def test_plain_mpirun_on_one_node_uses_loopback():
    assert from_mpirun(OMPI_ONE_NODE) == LaunchEnv(
        source="mpirun",
        rank=2,
        world_size=4,
        local_rank=2,
        local_world_size=4,
        node_rank=0,
        master_addr="127.0.0.1",
        master_port=29500,
        restart_count=None,
    )


def test_plain_mpirun_uses_exported_master_variables():
    launch = from_mpirun(OMPI | {"MASTER_ADDR": "head", "MASTER_PORT": "7000"})
    assert (launch.master_addr, launch.master_port) == ("head", 7000)


def test_plain_mpirun_default_port_with_exported_address():
    assert from_mpirun(OMPI | {"MASTER_ADDR": "head"}).master_port == 29500


def test_plain_multi_node_mpirun_without_master_addr_is_an_error_saying_to_export_it():
    with pytest.raises(LaunchEnvError, match=r"^MASTER_ADDR is not set.*mpirun -x MASTER_ADDR="):
        from_mpirun(OMPI)


@pytest.mark.parametrize("detector", [from_mpirun, from_azureml_mpi])
def test_declines_without_ompi_ranks(detector):
    assert (
        detector({"AZ_BATCH_MASTER_NODE": "10.0.0.4:6105", "RANK": "0", "WORLD_SIZE": "1"}) is None
    )


@pytest.mark.parametrize(
    "name", ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"]
)
def test_missing_ompi_variable_is_an_error_naming_it(name):
    with pytest.raises(LaunchEnvError, match=rf"^{name} is not set"):
        from_mpirun(without(OMPI_ONE_NODE, name))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "OMPI_COMM_WORLD_RANK",
            "4",
            r"^OMPI_COMM_WORLD_RANK=4 is out of range: "
            r"expected 0 <= OMPI_COMM_WORLD_RANK < OMPI_COMM_WORLD_SIZE=4$",
        ),
        ("OMPI_COMM_WORLD_RANK", "x", r"^OMPI_COMM_WORLD_RANK='x' is not an integer"),
        ("OMPI_COMM_WORLD_SIZE", "0", r"^OMPI_COMM_WORLD_SIZE=0 is out of range"),
        ("OMPI_COMM_WORLD_LOCAL_RANK", "4", r"^OMPI_COMM_WORLD_LOCAL_RANK=4 is out of range"),
        ("OMPI_COMM_WORLD_LOCAL_SIZE", "5", r"^OMPI_COMM_WORLD_LOCAL_SIZE=5 is out of range"),
        ("MASTER_PORT", "-1", r"^MASTER_PORT='-1' is not a port"),
    ],
)
def test_malformed_variable_is_an_error_naming_it(name, value, message):
    with pytest.raises(LaunchEnvError, match=message):
        from_mpirun(OMPI_ONE_NODE | {name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [("RANK", "0"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "3"), ("LOCAL_WORLD_SIZE", "1")],
)
def test_torch_variable_disagreeing_with_ompi_is_an_error(name, value):
    with pytest.raises(LaunchEnvError, match=rf"^{name}={value} disagrees with OMPI_COMM_WORLD_"):
        from_mpirun(OMPI_ONE_NODE | {name: value})


def test_torch_variables_agreeing_with_ompi_are_accepted():
    """What train.launch adds under MPI; its child detects the same ranks again."""
    env = OMPI_ONE_NODE | {
        "RANK": "2",
        "WORLD_SIZE": "4",
        "LOCAL_RANK": "2",
        "LOCAL_WORLD_SIZE": "4",
    }
    assert from_mpirun(env) == from_mpirun(OMPI_ONE_NODE)
