"""``train.launch``: the pure `launch_env_for`, and the CLI that execs a command with it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from train.launch import launch_env_for
from train.launch_env import LaunchEnvError, detect

REPO_ROOT = Path(__file__).resolve().parents[2]

OMPI_ONE_NODE = {
    "OMPI_COMM_WORLD_RANK": "1",
    "OMPI_COMM_WORLD_SIZE": "2",
    "OMPI_COMM_WORLD_LOCAL_RANK": "1",
    "OMPI_COMM_WORLD_LOCAL_SIZE": "2",
}
AZURE_MPI = {
    "OMPI_COMM_WORLD_RANK": "3",
    "OMPI_COMM_WORLD_SIZE": "4",
    "OMPI_COMM_WORLD_LOCAL_RANK": "1",
    "OMPI_COMM_WORLD_LOCAL_SIZE": "2",
    "AZ_BATCH_MASTER_NODE": "10.0.0.4:6105",
}
AZURE_PYTORCH = {
    "RANK": "3",
    "WORLD_SIZE": "4",
    "LOCAL_RANK": "1",
    "NODE_RANK": "1",
    "MASTER_ADDR": "10.0.0.4",
    "MASTER_PORT": "6105",
    "AZUREML_NODE_COUNT": "2",
}
TORCHRUN = {
    "TORCHELASTIC_RUN_ID": "job-1",
    "RANK": "0",
    "WORLD_SIZE": "1",
    "LOCAL_RANK": "0",
    "LOCAL_WORLD_SIZE": "1",
    "GROUP_RANK": "0",
    "MASTER_ADDR": "127.0.0.1",
    "MASTER_PORT": "29400",
}
TF_AZURE = {
    "TF_CONFIG": json.dumps(
        {
            "cluster": {"worker": ["a:1", "b:1"], "ps": []},
            "task": {"type": "worker", "index": 0},
            "environment": "cloud",
        }
    )
}
TF_CLEAN = {
    "TF_CONFIG": ' {"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}'
}


def test_fills_every_torch_variable_under_azure_mpi():
    env = launch_env_for(AZURE_MPI)
    assert {
        k: env[k]
        for k in (
            "RANK",
            "WORLD_SIZE",
            "LOCAL_RANK",
            "LOCAL_WORLD_SIZE",
            "NODE_RANK",
            "MASTER_ADDR",
            "MASTER_PORT",
        )
    } == {
        "RANK": "3",
        "WORLD_SIZE": "4",
        "LOCAL_RANK": "1",
        "LOCAL_WORLD_SIZE": "2",
        "NODE_RANK": "1",
        "MASTER_ADDR": "10.0.0.4",
        "MASTER_PORT": "6105",
    }


def test_keeps_the_input_variables():
    assert launch_env_for(AZURE_MPI).items() >= AZURE_MPI.items()


def test_never_overrides_a_variable_the_launcher_set():
    env = launch_env_for(OMPI_ONE_NODE | {"MASTER_PORT": "7000"})
    assert (env["MASTER_ADDR"], env["MASTER_PORT"]) == ("127.0.0.1", "7000")


def test_fills_a_variable_set_to_empty():
    assert launch_env_for(OMPI_ONE_NODE | {"MASTER_ADDR": ""})["MASTER_ADDR"] == "127.0.0.1"


def test_adds_local_world_size_for_azure_pytorch():
    assert launch_env_for(AZURE_PYTORCH)["LOCAL_WORLD_SIZE"] == "2"


def test_rewrites_tf_config_without_empty_ps_and_adds_nothing_else():
    env = launch_env_for(TF_AZURE)
    assert "ps" not in json.loads(env["TF_CONFIG"])["cluster"]
    assert env.keys() == TF_AZURE.keys()


def test_leaves_a_clean_tf_config_as_written():
    assert launch_env_for(TF_CLEAN) == TF_CLEAN


def test_adds_nothing_for_a_single_process():
    assert launch_env_for({"PATH": "/bin"}) == {"PATH": "/bin"}


def test_does_not_modify_its_argument():
    env = dict(AZURE_MPI)
    launch_env_for(env)
    assert env == AZURE_MPI


@pytest.mark.parametrize(
    "env",
    [
        OMPI_ONE_NODE,
        AZURE_MPI,
        AZURE_PYTORCH,
        TORCHRUN,
        TF_AZURE,
        TF_CLEAN,
        {"RANK": "0", "WORLD_SIZE": "1"},
        {},
    ],
    ids=[
        "mpirun",
        "azure-mpi",
        "azure-pytorch",
        "torchrun",
        "tf-azure",
        "tf-clean",
        "env",
        "single",
    ],
)
def test_child_detects_what_the_parent_detected(env):
    assert detect(launch_env_for(env)) == detect(env)


def test_malformed_environment_raises():
    with pytest.raises(LaunchEnvError, match=r"^AZ_BATCH_MASTER_NODE="):
        launch_env_for(AZURE_MPI | {"AZ_BATCH_MASTER_NODE": "nope"})


# The CLI, driven as a job would drive it.

PRINT_ENV = "import json, os; print(json.dumps(dict(os.environ)))"


def run_launch(args, variables):
    return subprocess.run(
        [sys.executable, "-m", "train.launch", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")} | variables,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_cli_runs_the_command_with_filled_in_variables():
    result = run_launch(["--", sys.executable, "-c", PRINT_ENV], AZURE_MPI)
    assert result.returncode == 0, result.stderr
    child_env = json.loads(result.stdout)
    assert (child_env["RANK"], child_env["WORLD_SIZE"], child_env["MASTER_ADDR"]) == (
        "3",
        "4",
        "10.0.0.4",
    )


def test_cli_keeps_the_launchers_values():
    result = run_launch(
        ["--", sys.executable, "-c", PRINT_ENV], OMPI_ONE_NODE | {"MASTER_PORT": "7000"}
    )
    assert json.loads(result.stdout)["MASTER_PORT"] == "7000"


def test_cli_passes_the_exit_status_through():
    assert (
        run_launch(
            ["--", sys.executable, "-c", "import sys; sys.exit(7)"], OMPI_ONE_NODE
        ).returncode
        == 7
    )


def test_cli_without_command_is_a_usage_error():
    result = run_launch([], {})
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_cli_with_bad_environment_exits_2_with_one_line():
    result = run_launch(["--", "true"], {"RANK": "x", "WORLD_SIZE": "2"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "train.launch: error: RANK='x' is not an integer: expected an integer >= 0"
    ]


def test_cli_with_unknown_command_exits_127():
    result = run_launch(["--", "no-such-command-trainyard"], {})
    assert result.returncode == 127
    assert result.stderr.startswith("train.launch: error: cannot run 'no-such-command-trainyard'")


def test_cli_print_env_shows_what_it_would_add():
    result = run_launch(["--print-env"], OMPI_ONE_NODE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "RANK": "1",
        "WORLD_SIZE": "2",
        "LOCAL_RANK": "1",
        "LOCAL_WORLD_SIZE": "2",
        "NODE_RANK": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": "29500",
    }
