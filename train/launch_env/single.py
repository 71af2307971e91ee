"""No launcher at all: one process, world size 1. The fallback that always matches.

Reads nothing: reaching it means no earlier detector found its variables. There is no
rendezvous address (master_addr/master_port None): a one-process job needs no process group.
"""

from __future__ import annotations

from collections.abc import Mapping

from train.launch_env.model import LaunchEnv, Source


def from_single(env: Mapping[str, str]) -> LaunchEnv:
    del env  # same signature as the other detectors; nothing to read
    return LaunchEnv(
        source=Source.SINGLE,
        rank=0,
        world_size=1,
        local_rank=0,
        local_world_size=1,
        node_rank=0,
        master_addr=None,
        master_port=None,
        restart_count=None,
    )
