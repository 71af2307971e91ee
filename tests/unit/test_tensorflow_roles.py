"""Which TensorFlow mode a process runs, and the parameter-server cluster's coordinator (no tensorflow)."""

from __future__ import annotations

import json

import pytest

from train.common.errors import UsageError
from train.launch_env import detect
from train.tensorflow.cluster import as_task, coordinator_address, with_coordinator
from train.tensorflow.roles import choose_mode

MWMS = {"cluster": {"worker": ["w0:2222", "w1:2222"], "ps": []},
        "task": {"type": "worker", "index": 1}, "environment": "cloud"}
PS = {"cluster": {"worker": ["w0:2222", "w1:2222"], "ps": ["p0:2222"]},
      "task": {"type": "ps", "index": 0}, "environment": "cloud"}
MPI = {"OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "0",
       "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}


@pytest.mark.parametrize("env, expected", [
    ({"TF_CONFIG": json.dumps(MWMS)}, "mwms"),
    ({"TF_CONFIG": json.dumps(PS)}, "ps"),
    (MPI, "horovod"),
    ({}, "mwms"),
])
def test_auto_picks_the_mode_from_the_launch(env: dict, expected: str) -> None:
    assert choose_mode(detect(env)) == expected


def test_ps_strategy_without_parameter_servers_is_refused() -> None:
    with pytest.raises(UsageError, match="cluster.ps"):
        choose_mode(detect({"TF_CONFIG": json.dumps(MWMS)}), "ps")


def test_horovod_strategy_outside_mpi_is_refused() -> None:
    with pytest.raises(UsageError, match="mpirun"):
        choose_mode(detect({"TF_CONFIG": json.dumps(MWMS)}), "horovod")


def test_coordinator_takes_the_next_free_port_on_worker_0s_host() -> None:
    config = {"cluster": {"worker": ["h:2222", "other:2222"], "ps": ["h:2223"]}, "task": {"type": "ps", "index": 0}}
    assert coordinator_address(config) == ("h", 2224)
    assert "chief" not in config["cluster"], "the caller's TF_CONFIG must not change"


def test_an_existing_chief_is_kept() -> None:
    config = {"cluster": {"chief": ["c:1"], "worker": ["w:2"]}, "task": {"type": "worker", "index": 0}}
    assert with_coordinator(config)["cluster"]["chief"] == ["c:1"]


def test_as_task_rewrites_only_the_task() -> None:
    rewritten = json.loads(as_task(PS, "worker", 1))
    assert rewritten["task"] == {"type": "worker", "index": 1}
    assert rewritten["cluster"] == PS["cluster"]
