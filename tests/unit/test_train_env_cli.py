"""``python -m train.env``: one JSON object on success, exit 2 and one stderr line on bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from train.env import main

REPO_ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "source",
    "rank",
    "world_size",
    "local_rank",
    "local_world_size",
    "node_rank",
    "master_addr",
    "master_port",
    "restart_count",
}
AZURE_MPI = {
    "OMPI_COMM_WORLD_RANK": "3",
    "OMPI_COMM_WORLD_SIZE": "4",
    "OMPI_COMM_WORLD_LOCAL_RANK": "1",
    "OMPI_COMM_WORLD_LOCAL_SIZE": "2",
    "AZ_BATCH_MASTER_NODE": "10.0.0.4:6105",
}


def run_env_cli(variables):
    return subprocess.run(
        [sys.executable, "-m", "train.env"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")} | variables,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_prints_one_json_object_with_every_key():
    result = run_env_cli({})
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert KEYS <= json.loads(result.stdout).keys()


def test_unknowns_are_null_for_a_single_process():
    printed = json.loads(run_env_cli({}).stdout)
    assert (printed["source"], printed["master_addr"], printed["restart_count"]) == (
        "single",
        None,
        None,
    )


def test_prints_detected_values():
    printed = json.loads(run_env_cli(AZURE_MPI).stdout)
    assert {
        k: printed[k] for k in ("source", "rank", "node_rank", "master_addr", "master_port")
    } == {
        "source": "azureml-mpi",
        "rank": 3,
        "node_rank": 1,
        "master_addr": "10.0.0.4",
        "master_port": 6105,
    }


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"RANK": "5", "WORLD_SIZE": "2", "MASTER_ADDR": "h"}, "RANK=5"),
        ({"TF_CONFIG": "{oops"}, "TF_CONFIG"),
        (AZURE_MPI | {"AZ_BATCH_MASTER_NODE": "10.0.0.4"}, "AZ_BATCH_MASTER_NODE"),
    ],
)
def test_bad_environment_exits_2_with_one_stderr_line_naming_the_variable(variables, named):
    result = run_env_cli(variables)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("train.env: error: ") and named in line


def test_main_takes_an_explicit_environment(capsys):
    assert main([], env={"RANK": "0", "WORLD_SIZE": "1"}) == 0
    assert json.loads(capsys.readouterr().out)["source"] == "env"
