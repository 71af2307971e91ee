"""to_torch_env and to_tf_config_json."""

import json

from train.launch_env import LaunchEnv, detect, to_tf_config_json, to_torch_env

MPI = LaunchEnv(
    source="mpirun",
    rank=3,
    world_size=4,
    local_rank=1,
    local_world_size=2,
    node_rank=1,
    master_addr="10.0.0.4",
    master_port=6105,
    restart_count=None,
)


def test_torch_env_has_every_env_init_variable():
    assert to_torch_env(MPI) == {
        "RANK": "3",
        "WORLD_SIZE": "4",
        "LOCAL_RANK": "1",
        "LOCAL_WORLD_SIZE": "2",
        "NODE_RANK": "1",
        "MASTER_ADDR": "10.0.0.4",
        "MASTER_PORT": "6105",
    }


def test_torch_env_leaves_out_unknown_master_address():
    assert "MASTER_ADDR" not in to_torch_env(detect({})) and "MASTER_PORT" not in to_torch_env(
        detect({})
    )


def test_torch_env_round_trips_through_detect():
    assert detect(to_torch_env(MPI)).rank == MPI.rank


def test_tf_config_json_is_none_without_tf_config():
    assert to_tf_config_json(MPI) is None


def test_tf_config_json_has_empty_ps_dropped():
    raw = {
        "cluster": {"worker": ["a:1"], "ps": []},
        "task": {"type": "worker", "index": 0},
        "environment": "cloud",
    }
    text = to_tf_config_json(detect({"TF_CONFIG": json.dumps(raw)}))
    assert json.loads(text) == {
        "cluster": {"worker": ["a:1"]},
        "task": {"type": "worker", "index": 0},
        "environment": "cloud",
    }
