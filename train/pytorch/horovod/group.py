"""A train.pytorch Group whose collectives are Horovod's.

Horovod knows its ranks itself after hvd.init(): from Open MPI under mpirun (Azure ML `mpi` jobs,
controller MPI) or from the HOROVOD_* variables `horovodrun --gloo` sets (controller Gloo). Those
numbers are the truth for training. train.launch_env does not know horovodrun (it sets no
OMPI_COMM_WORLD_* or RANK), so there it reports a single process; the group then names the launch
"horovodrun" instead of pretending, and the log lines are re-tagged with Horovod's rank.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import horovod.torch as hvd
import torch

from train.common.reporting.rank_logging import configure_logging
from train.launch_env import LaunchEnv
from train.pytorch.backend import choose_backend
from train.pytorch.process_group import Group, limit_cpu_threads

log = logging.getLogger(__name__)


def controller() -> str:
    """Which Horovod controller this process runs: "mpi" or "gloo" (after hvd.init())."""
    return "mpi" if hvd.mpi_enabled() else "gloo" if hvd.gloo_enabled() else "unknown"


class HorovodGroup(Group):
    """rank, world_size, device, backend and the collectives the trainer uses, over Horovod."""

    def __init__(self, launch: LaunchEnv, timeout: timedelta | None = None) -> None:
        self._timeout = timeout
        hvd.init()
        self.local_rank = hvd.local_rank()
        self.local_world_size = hvd.local_size()
        # GPUs only when Horovod was built with NCCL operations (the images' Horovod is); the rule
        # for one GPU per process is DDP's, shared.
        choice = choose_backend(torch.cuda.is_available() and hvd.nccl_built(),
                                torch.cuda.device_count(), self.local_rank, self.local_world_size)
        device = torch.device(choice.device)
        super().__init__(hvd.rank(), hvd.size(), device,
                         f"horovod-{controller()}" + ("+nccl" if device.type == "cuda" else ""))
        self._initialised = True
        self.choice_reason = choice.reason
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        self.source = launch.source if launch.world_size == self.world_size else "horovodrun"

    def barrier(self) -> None:
        hvd.barrier()

    def all_reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        return hvd.allreduce(values.to(self.device), op=hvd.Sum, name="all_reduce_sum").cpu()

    def broadcast_from_writer(self, obj: object) -> object:
        return hvd.broadcast_object(obj, root_rank=0, name="broadcast_from_writer")

    def all_gather_object(self, obj: object) -> list:
        return hvd.allgather_object(obj, name="all_gather_object")

    @property
    def collective_timeout(self) -> float | None:
        return self._timeout.total_seconds() if self._timeout else None

    @property
    def collectives_time_out(self) -> bool:
        # Under MPI a collective with a silent peer waits forever (MPI has no timeout), and mpirun
        # acts only on a process that exits: the wait watch ends this rank, and mpirun the rest.
        return False

    def close(self, *, clean: bool = True) -> None:
        if self._initialised:
            hvd.shutdown()
            self._initialised = False


def open_horovod_group(launch: LaunchEnv, timeout: timedelta) -> HorovodGroup:
    """`timeout` (--collective-timeout) is not Horovod's, whose collectives wait for a silent peer
    forever (it only has HOROVOD_GLOO_TIMEOUT_SECONDS, for gloo's rendezvous; under MPI, mpirun ends
    every rank once one exits): the wait watch enforces it (see collectives_time_out)."""
    group = HorovodGroup(launch, timeout)
    configure_logging(group.rank, group.world_size)   # the launch env may not have known the rank
    share = limit_cpu_threads(group.local_world_size) if group.device.type == "cpu" else None
    log.info("launch source %s: rank %d of %d (local %d of %d), Horovod controller %s",
             group.source, group.rank, group.world_size, group.local_rank, group.local_world_size,
             controller())
    log.info("backend %s on %s: %s%s", group.backend, group.device, group.choice_reason,
             f"; {share.describe()}" if share else "")
    return group
