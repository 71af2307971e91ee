"""Translating a `LaunchEnv` into what one framework reads. Reads no environment variables."""

from __future__ import annotations

import json

from train.launch_env.model import LaunchEnv


def to_torch_env(launch: LaunchEnv) -> dict[str, str]:
    """The variables torch.distributed's ``env://`` init (and torchrun-style code) reads.

    RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE and NODE_RANK always; MASTER_ADDR and
    MASTER_PORT where known (a single process or a TF_CONFIG job has no torch rendezvous port).
    """
    torch_env = {
        "RANK": str(launch.rank),
        "WORLD_SIZE": str(launch.world_size),
        "LOCAL_RANK": str(launch.local_rank),
        "LOCAL_WORLD_SIZE": str(launch.local_world_size),
        "NODE_RANK": str(launch.node_rank),
    }
    if launch.master_addr is not None:
        torch_env["MASTER_ADDR"] = launch.master_addr
    if launch.master_port is not None:
        torch_env["MASTER_PORT"] = str(launch.master_port)
    return torch_env


def to_tf_config_json(launch: LaunchEnv) -> str | None:
    """The normalised TF_CONFIG (empty task lists dropped) as compact JSON; None without one."""
    if launch.tf_config is None:
        return None
    return json.dumps(launch.tf_config, separators=(",", ":"))
