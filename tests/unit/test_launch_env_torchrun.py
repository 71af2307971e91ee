"""from_torchrun: torchrun's worker variables."""

import pytest

from train.launch_env import LaunchEnv, LaunchEnvError, from_torchrun

TORCHRUN = {
    "TORCHELASTIC_RUN_ID": "job-1",
    "RANK": "5",
    "WORLD_SIZE": "8",
    "LOCAL_RANK": "1",
    "LOCAL_WORLD_SIZE": "4",
    "GROUP_RANK": "1",
    "MASTER_ADDR": "10.0.0.4",
    "MASTER_PORT": "29400",
    "TORCHELASTIC_RESTART_COUNT": "2",
}


def test_reads_every_torchrun_variable():
    assert from_torchrun(TORCHRUN) == LaunchEnv(
        source="torchrun",
        rank=5,
        world_size=8,
        local_rank=1,
        local_world_size=4,
        node_rank=1,
        master_addr="10.0.0.4",
        master_port=29400,
        restart_count=2,
    )


@pytest.mark.parametrize("run_id", [None, "", "  "])
def test_declines_without_torchelastic_run_id(run_id):
    env = {k: v for k, v in TORCHRUN.items() if k != "TORCHELASTIC_RUN_ID"}
    if run_id is not None:
        env["TORCHELASTIC_RUN_ID"] = run_id
    assert from_torchrun(env) is None


def test_restart_count_is_none_when_torchrun_gives_none():
    env = {k: v for k, v in TORCHRUN.items() if k != "TORCHELASTIC_RESTART_COUNT"}
    assert from_torchrun(env).restart_count is None


def test_master_address_is_none_when_absent():
    env = {k: v for k, v in TORCHRUN.items() if not k.startswith("MASTER_")}
    launch = from_torchrun(env)
    assert (launch.master_addr, launch.master_port) == (None, None)


@pytest.mark.parametrize(
    "name", ["RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK"]
)
def test_missing_variable_is_an_error_naming_it(name):
    env = {k: v for k, v in TORCHRUN.items() if k != name}
    with pytest.raises(LaunchEnvError, match=rf"^{name} is not set"):
        from_torchrun(env)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RANK", "8", r"^RANK=8 is out of range: expected 0 <= RANK < WORLD_SIZE=8$"),
        ("RANK", "-1", r"^RANK=-1 is out of range: expected an integer >= 0$"),
        ("RANK", "one", r"^RANK='one' is not an integer"),
        ("WORLD_SIZE", "0", r"^WORLD_SIZE=0 is out of range: expected an integer >= 1$"),
        (
            "LOCAL_RANK",
            "4",
            r"^LOCAL_RANK=4 is out of range: expected 0 <= LOCAL_RANK < LOCAL_WORLD_SIZE=4$",
        ),
        (
            "LOCAL_WORLD_SIZE",
            "9",
            r"^LOCAL_WORLD_SIZE=9 is out of range: expected 1 <= LOCAL_WORLD_SIZE <= WORLD_SIZE=8$",
        ),
        ("GROUP_RANK", "1.5", r"^GROUP_RANK='1.5' is not an integer"),
        (
            "MASTER_PORT",
            "65536",
            r"^MASTER_PORT='65536' is not a port: expected an integer 1..65535$",
        ),
        ("MASTER_PORT", "0", r"^MASTER_PORT='0' is not a port"),
        ("TORCHELASTIC_RESTART_COUNT", "x", r"^TORCHELASTIC_RESTART_COUNT='x' is not an integer"),
    ],
)
def test_malformed_variable_is_an_error_naming_it(name, value, message):
    with pytest.raises(LaunchEnvError, match=message):
        from_torchrun(TORCHRUN | {name: value})
