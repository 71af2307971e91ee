"""How DeepSpeed's processes meet: the variables DeepSpeed reads, then its init_distributed.

The group is train.pytorch's ProcessGroup (same rendezvous address, collectives and clean close),
started by DeepSpeed's init_distributed instead of torch's, which DeepSpeed needs even in a world of one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import torch

from train.launch_env import LaunchEnv
from train.pytorch.backend import choose_backend
from train.pytorch.deepspeed.flags import DeepSpeedFlags
from train.pytorch.deepspeed.launch import avoid_unbuildable_shm_op, prepare_environment
from train.pytorch.deepspeed.support import check_supported
from train.pytorch.process_group import ProcessGroup, init_process_group, open_process_group

log = logging.getLogger(__name__)


def deepspeed_group(flags: DeepSpeedFlags) -> Callable[[LaunchEnv, timedelta], ProcessGroup]:
    """An open_group for train.pytorch.main: refuses what `flags.ds_config` cannot do here first."""

    def open_group(launch: LaunchEnv, timeout: timedelta) -> ProcessGroup:
        choice = choose_backend(torch.cuda.is_available(), torch.cuda.device_count(),
                                launch.local_rank, launch.local_world_size)
        added = prepare_environment(launch, choice)
        check_supported(flags.ds_config, on_gpu=choice.device != "cpu")
        log.info("variables derived for DeepSpeed: %s", ", ".join(sorted(added)) or "nothing")

        def start(backend: str, init_method: str, rank: int, world_size: int, timeout: timedelta,
                  store: torch.distributed.Store | None) -> None:
            import deepspeed  # after prepare_environment: DeepSpeed picks its accelerator on first use

            if choice.device == "cpu":
                avoid_unbuildable_shm_op()
            if store is not None:   # the roll call's store: DeepSpeed then adopts torch's group as it is
                init_process_group(backend, init_method, rank, world_size, timeout, store)
            deepspeed.init_distributed(dist_backend=backend, auto_mpi_discovery=False, init_method=init_method,
                                       rank=rank, world_size=world_size, timeout=timeout)

        return open_process_group(launch, timeout, choice=choice, start=start)

    return open_group
