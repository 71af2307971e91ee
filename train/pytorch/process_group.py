"""torch.distributed set-up from a LaunchEnv, and the few collectives the trainer needs.

The process group is initialised explicitly from the detected launch (tcp://MASTER_ADDR:MASTER_PORT,
rank, world size) instead of env://, so that one object read once decides everything and no code
reads RANK & co. on its own. Under torchrun the same tcp:// address reaches the store torchrun's
agent already hosts (torch handles TORCHELASTIC_USE_AGENT_STORE). A world of one skips
torch.distributed altogether.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import torch
import torch.distributed as dist

from train.common.errors import UsageError
from train.launch_env import LaunchEnv
from train.pytorch.backend import BackendChoice, choose_backend

log = logging.getLogger(__name__)

# Long enough for a slow peer to load data, short enough that a dead peer fails the job in minutes
# rather than the default 30.
COLLECTIVE_TIMEOUT = timedelta(minutes=10)
# At the very end, ranks other than 0 wait up to this long for rank 0 to exit first (see close()).
WRITER_EXIT_TIMEOUT = timedelta(seconds=60)


def limit_cpu_threads(local_world_size: int) -> int:
    """Share this node's cores among its processes: N processes x all cores each thrash the CPU."""
    cores = len(os.sched_getaffinity(0))
    threads = max(1, cores // local_world_size)
    torch.set_num_threads(threads)
    return threads


class Group:
    """What the trainer needs of the job's processes: this one's place, its device, and the few
    collectives it calls. torch.distributed (ProcessGroup) and Horovod (train.pytorch.horovod) implement it."""

    def __init__(self, rank: int, world_size: int, device: torch.device, backend: str) -> None:
        self.rank = rank
        self.world_size = world_size
        self.device = device
        self.backend = backend

    @property
    def is_writer(self) -> bool:
        """Rank 0 alone writes checkpoints, the model and metrics."""
        return self.rank == 0

    def barrier(self) -> None:
        raise NotImplementedError

    def all_reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        """The element-wise sum over all ranks, on the CPU."""
        raise NotImplementedError

    def broadcast_from_writer(self, obj: object) -> object:
        """Rank 0's `obj` on every rank (pickled; use for small things such as a checkpoint)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class ProcessGroup(Group):
    """torch.distributed from the launch; collectives are no-ops in a world of one."""

    def __init__(self, launch: LaunchEnv, choice: BackendChoice) -> None:
        super().__init__(launch.rank, launch.world_size, torch.device(choice.device), choice.backend)
        self._initialised = False
        # Rank 0 hosts the rendezvous store, except under torchrun, whose agent hosts it.
        self._writer_hosts_store = launch.source != "torchrun"
        if launch.world_size == 1:
            return
        if launch.init_method is None:
            raise UsageError(f"launch source {launch.source!r} gives world size {launch.world_size} "
                             "but no rendezvous address (MASTER_ADDR/MASTER_PORT)")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        dist.init_process_group(
            backend=choice.backend, init_method=launch.init_method,
            rank=launch.rank, world_size=launch.world_size, timeout=COLLECTIVE_TIMEOUT)
        self._initialised = True

    def barrier(self) -> None:
        if self._initialised:
            dist.barrier()

    def all_reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        if self._initialised:
            values = values.to(self.device)
            dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return values.cpu()

    def broadcast_from_writer(self, obj: object) -> object:
        if not self._initialised:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0, device=self.device)
        return box[0]

    def close(self) -> None:
        if not self._initialised:
            return
        store = dist.distributed_c10d._get_default_store() if self._waits_for_writer() else None
        dist.destroy_process_group()
        self._initialised = False
        if store is not None:
            self._wait_for_writer_exit(store)

    def _waits_for_writer(self) -> bool:
        return not self.is_writer and self._writer_hosts_store

    @staticmethod
    def _wait_for_writer_exit(store: dist.Store) -> None:
        """Return once rank 0's process is gone (its store closes), or after WRITER_EXIT_TIMEOUT.

        A launcher that stops every node as soon as one exits (docker compose
        --abort-on-container-exit, which `make up` uses to exit with node 0's status) would
        otherwise stop rank 0 while it is still exiting, and report a kill instead of its status.
        Waiting on a key nobody sets ends when the store's host, rank 0, disconnects.
        """
        try:
            store.wait(["trainyard/never-set"], WRITER_EXIT_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - a closed store is the expected way out
            log.debug("rank 0 has exited (%s)", type(exc).__name__)


def open_process_group(launch: LaunchEnv) -> ProcessGroup:
    choice = choose_backend(torch.cuda.is_available(), torch.cuda.device_count(),
                            launch.local_rank, launch.local_world_size)
    threads = limit_cpu_threads(launch.local_world_size) if choice.device == "cpu" else None
    log.info("launch source %s: rank %d of %d (local %d of %d, node %d), master %s:%s",
             launch.source, launch.rank, launch.world_size, launch.local_rank,
             launch.local_world_size, launch.node_rank, launch.master_addr, launch.master_port)
    log.info("backend %s on %s: %s%s", choice.backend, choice.device, choice.reason,
             f"; {threads} CPU thread(s) per process" if threads else "")
    return ProcessGroup(launch, choice)
