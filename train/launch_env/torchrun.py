"""torchrun (torch.distributed.elastic): the launcher sets every variable for its workers.

Reads: TORCHELASTIC_RUN_ID (the marker), RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
GROUP_RANK (the node rank), MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RESTART_COUNT.

torchrun always sets all of RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE and GROUP_RANK, so a
missing one is an error rather than something to derive. MASTER_ADDR/MASTER_PORT are read when
present (None otherwise). TORCHELASTIC_RESTART_COUNT is the restart_count; None when unset.
"""

from __future__ import annotations

from collections.abc import Mapping

from train.launch_env import _read
from train.launch_env.model import LaunchEnv, Source


def from_torchrun(env: Mapping[str, str]) -> LaunchEnv | None:
    if not _read.is_set(env, "TORCHELASTIC_RUN_ID"):
        return None

    world_size = _read.require_int(env, "WORLD_SIZE", minimum=1)
    rank = _read.require_int(env, "RANK")
    _read.check_below("RANK", rank, "WORLD_SIZE", world_size)
    local_world_size = _read.require_int(env, "LOCAL_WORLD_SIZE", minimum=1)
    _read.check_at_most("LOCAL_WORLD_SIZE", local_world_size, "WORLD_SIZE", world_size)
    local_rank = _read.require_int(env, "LOCAL_RANK")
    _read.check_below("LOCAL_RANK", local_rank, "LOCAL_WORLD_SIZE", local_world_size)

    return LaunchEnv(
        source=Source.TORCHRUN,
        rank=rank,
        world_size=world_size,
        local_rank=local_rank,
        local_world_size=local_world_size,
        node_rank=_read.require_int(env, "GROUP_RANK"),
        master_addr=_read.get(env, "MASTER_ADDR"),
        master_port=_read.read_port(env, "MASTER_PORT"),
        restart_count=_read.read_int(env, "TORCHELASTIC_RESTART_COUNT"),
    )
