"""LaunchEnv's invariants and serialisation; LaunchEnvError's one-line messages."""

import dataclasses
import json

import pytest

from train.launch_env import LaunchEnv, LaunchEnvError, Source

VALID = dict(
    source="env",
    rank=1,
    world_size=4,
    local_rank=1,
    local_world_size=2,
    node_rank=0,
    master_addr="10.0.0.4",
    master_port=29500,
    restart_count=None,
)


def test_launch_env_is_frozen():
    launch = LaunchEnv(**VALID)
    with pytest.raises(dataclasses.FrozenInstanceError):
        launch.rank = 2  # type: ignore[misc]


def test_to_json_dict_round_trips_through_json():
    launch = LaunchEnv(
        **VALID, tf_config={"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}
    )
    assert LaunchEnv(**json.loads(json.dumps(launch.to_json_dict()))) == launch


def test_to_json_dict_names_every_field_with_null_for_unknown():
    assert LaunchEnv(**VALID).to_json_dict() == VALID | {"tf_config": None}


def test_launch_env_with_tf_config_is_hashable():
    launch = LaunchEnv(**VALID, tf_config={"cluster": {}})
    assert hash(launch) == hash(LaunchEnv(**VALID, tf_config={"cluster": {}}))


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        (dict(world_size=0), "world_size"),
        (dict(rank=4), "rank"),
        (dict(rank=-1), "rank"),
        (dict(local_world_size=0), "local_world_size"),
        (dict(local_rank=2), "local_rank"),
        (dict(node_rank=-1), "node_rank"),
        (dict(master_port=0), "master_port"),
        (dict(master_port=65536), "master_port"),
    ],
)
def test_inconsistent_launch_env_is_rejected_naming_the_field(change, field_name):
    with pytest.raises(LaunchEnvError, match=rf"^{field_name}="):
        LaunchEnv(**(VALID | change))


def test_launch_env_error_is_a_value_error_on_one_line():
    error = LaunchEnvError("RANK='a\nb' is not an integer")
    assert isinstance(error, ValueError)
    assert "\n" not in str(error)


@pytest.mark.parametrize(("addr", "port", "expected"), [
    ("10.0.0.4", 6105, "tcp://10.0.0.4:6105"),
    ("fd00::4", 6105, "tcp://[fd00::4]:6105"),
    (None, 6105, None),
    ("10.0.0.4", None, None),
])
def test_init_method_is_the_rendezvous_address(addr, port, expected):
    assert LaunchEnv(**(VALID | dict(master_addr=addr, master_port=port))).init_method == expected


def test_source_is_a_source_and_reads_as_its_name():
    launch = LaunchEnv(**VALID)
    assert launch.source is Source.ENV
    assert launch.source == "env" and f"{launch.source}" == "env"
    assert json.loads(json.dumps(launch.to_json_dict()))["source"] == "env"


def test_unknown_source_names_the_known_ones():
    with pytest.raises(LaunchEnvError, match=r"source='slurm' is not a launch source: expected one of torchrun, "):
        LaunchEnv(**{**VALID, "source": "slurm"})


@pytest.mark.parametrize("source, is_mpi", [(Source.AZUREML_MPI, True), (Source.MPIRUN, True),
                                            (Source.AZUREML_PYTORCH, False), (Source.TORCHRUN, False)])
def test_mpi_sources(source, is_mpi):
    assert source.is_mpi is is_mpi
