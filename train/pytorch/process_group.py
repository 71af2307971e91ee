"""torch.distributed set-up from a LaunchEnv, and the few collectives the trainer needs.

The process group is initialised explicitly from the detected launch (tcp://MASTER_ADDR:MASTER_PORT,
rank, world size) instead of env://, so that one object read once decides everything and no code
reads RANK & co. on its own. Before joining, every rank answers a roll call on the job's store
(train.common.faults.roll_call), so a rank claimed twice or a WORLD_SIZE that differs between nodes is one
line, not a hang. Under torchrun the same tcp:// address reaches the store torchrun's
agent already hosts (torch handles TORCHELASTIC_USE_AGENT_STORE). A world of one skips
torch.distributed altogether.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import timedelta

import torch
import torch.distributed as dist

from train.common.common_flags import DEFAULT_COLLECTIVE_TIMEOUT
from train.common.cpu_share import CpuShare, threads_per_process
from train.common.errors import UsageError
from train.common.faults.roll_call import roll_call
from train.launch_env import LaunchEnv, Source
from train.pytorch.backend import BackendChoice, choose_backend

log = logging.getLogger(__name__)

# The collective timeout is the --collective-timeout flag (train.common.common_flags says why its
# default is 10 minutes) and reaches ProcessGroup through open_process_group. This constant is its
# default, kept for train.doctor, which does not take the flag.
COLLECTIVE_TIMEOUT = timedelta(seconds=DEFAULT_COLLECTIVE_TIMEOUT)
# At the very end, ranks other than 0 wait up to this long for rank 0 to exit first (see close()).
WRITER_EXIT_TIMEOUT = timedelta(seconds=60)


def limit_cpu_threads(local_world_size: int) -> CpuShare:
    """Share this node's cores (its cpuset and cgroup quota) among its processes: N processes x all
    cores each thrash the CPU (train.common.cpu_share)."""
    share = threads_per_process(local_world_size)
    torch.set_num_threads(share.threads)
    return share


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

    def all_gather_object(self, obj: object) -> list:
        """Every rank's `obj`, in rank order (pickled; small things only)."""
        raise NotImplementedError

    def close(self, *, clean: bool = True) -> None:
        """Leave the group. clean=False after a failure: skip anything that waits for peers."""
        raise NotImplementedError

    def wait_board(self) -> Callable[[], object] | None:
        """Opens the board on which ranks tell each other what they wait in (train.common.faults.wait_watch);
        None where there is no store to share."""
        return None

    @property
    def collective_timeout(self) -> float | None:
        """Seconds a collective may wait for a peer before failing, where this group sets it."""
        return None

    @property
    def collectives_time_out(self) -> bool:
        """Whether a collective fails by itself once collective_timeout has passed (gloo and NCCL do).
        Where not (Horovod), the wait watch ends the run at the timeout instead."""
        return True


# How a group starts torch.distributed: (backend, init_method, rank, world_size, timeout, store).
StartGroup = Callable[[str, str, int, int, timedelta, "dist.Store | None"], None]


def init_process_group(backend: str, init_method: str, rank: int, world_size: int, timeout: timedelta,
                       store: dist.Store | None = None) -> None:
    """torch.distributed's default group: on `store` when the roll call opened one, else init_method."""
    if store is not None:
        dist.init_process_group(backend=backend, store=store, rank=rank, world_size=world_size, timeout=timeout)
    else:
        dist.init_process_group(backend=backend, init_method=init_method, rank=rank, world_size=world_size,
                                timeout=timeout)


def open_store_for_roll_call(launch: LaunchEnv, timeout: timedelta) -> dist.TCPStore:
    """The job's rendezvous store at MASTER_ADDR:MASTER_PORT, hosted by rank 0 as torch's tcp://
    rendezvous would host it, answered a roll call on (train.common.faults.roll_call) before any rank joins
    the group."""
    store = dist.TCPStore(launch.master_addr, int(launch.master_port), is_master=launch.rank == 0,
                          timeout=timeout, wait_for_workers=False)
    roll_call(store, launch.rank, launch.world_size, socket.gethostname(), timeout=timeout.total_seconds())
    return store


def local_init_method() -> str:
    """A rendezvous address for a world of one: a free port on this machine."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{sock.getsockname()[1]}"


class ProcessGroup(Group):
    """torch.distributed from the launch; collectives are no-ops in a world of one.

    `start` starts torch.distributed (default: init_process_group, skipped in a world of one);
    DeepSpeed passes its init_distributed, which needs a group even for one process."""

    def __init__(self, launch: LaunchEnv, choice: BackendChoice, timeout: timedelta,
                 start: StartGroup | None = None) -> None:
        super().__init__(launch.rank, launch.world_size, torch.device(choice.device), choice.backend)
        self._initialised = False
        self._timeout = timeout
        # Rank 0 hosts the rendezvous store, except under torchrun, whose agent hosts it.
        self._writer_hosts_store = launch.source != Source.TORCHRUN
        self._store_address = (launch.master_addr, launch.master_port)
        if launch.world_size == 1 and start is None:
            return
        init_method = launch.init_method or (local_init_method() if launch.world_size == 1 else None)
        if init_method is None:
            raise UsageError(f"launch source {launch.source!r} gives world size {launch.world_size} "
                             "but no rendezvous address (MASTER_ADDR/MASTER_PORT)")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        # torchrun hands out ranks itself (its agent's store): only launches that set RANK per node answer.
        self._store = open_store_for_roll_call(launch, timeout) \
            if launch.world_size > 1 and launch.source != Source.TORCHRUN else None
        (start or init_process_group)(choice.backend, init_method, launch.rank, launch.world_size, timeout, self._store)
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

    def all_gather_object(self, obj: object) -> list:
        if not self._initialised:
            return [obj]
        gathered: list = [None] * self.world_size
        dist.all_gather_object(gathered, obj)
        return gathered

    def wait_board(self) -> Callable[[], object] | None:
        if not self._initialised or self.world_size == 1 or not all(self._store_address):
            return None
        from train.pytorch.store_board import StoreBoard
        host, port = self._store_address
        return lambda: StoreBoard(host, port)

    @property
    def collective_timeout(self) -> float | None:
        return self._timeout.total_seconds()

    def close(self, *, clean: bool = True) -> None:
        if not self._initialised:
            return
        dist.destroy_process_group()
        self._initialised = False
        # After a failure nobody waits: the writer may be the peer that is gone.
        if clean and not self.is_writer and self._writer_hosts_store:
            self._wait_for_writer_exit()

    def _wait_for_writer_exit(self) -> None:
        """Return once rank 0's process is gone (its store's port closes), or after WRITER_EXIT_TIMEOUT.

        A launcher that stops every node as soon as one exits (docker compose
        --abort-on-container-exit, which `make up` uses to exit with node 0's status) would
        otherwise stop rank 0 while it is still exiting, and report a kill instead of its status.
        A plain TCP connection to rank 0's store that sends nothing: the store never writes to a
        client unasked, so the read returns only when rank 0's process closes the socket by exiting.
        (Not store.wait() on a key nobody sets: that ends the same way, but c10d then logs a
        "[c10d] recvValueWithTimeout failed" warning on every clean run.)
        """
        limit = WRITER_EXIT_TIMEOUT.total_seconds()
        try:
            with socket.create_connection(self._store_address, timeout=limit) as connection:
                connection.settimeout(limit)
                while connection.recv(4096):
                    pass
            log.debug("rank 0 has exited (its store closed the connection)")
        except TimeoutError:
            log.debug("rank 0 still runs after %.0f s; not waiting longer", limit)
        except OSError as exc:   # refused or reset: rank 0 is already gone, which is the point
            log.debug("rank 0 has exited (%s)", type(exc).__name__)


def open_process_group(launch: LaunchEnv, timeout: timedelta, *, choice: BackendChoice | None = None,
                       start: StartGroup | None = None) -> ProcessGroup:
    """The job's process group, with a line on where this process is; `choice` and `start` are
    DeepSpeed's (train.pytorch.deepspeed.group)."""
    choice = choice or choose_backend(torch.cuda.is_available(), torch.cuda.device_count(),
                                      launch.local_rank, launch.local_world_size)
    share = limit_cpu_threads(launch.local_world_size) if choice.device == "cpu" else None
    log.info("launch source %s: rank %d of %d (local %d of %d, node %d), master %s:%s",
             launch.source, launch.rank, launch.world_size, launch.local_rank,
             launch.local_world_size, launch.node_rank, launch.master_addr, launch.master_port)
    log.info("backend %s on %s: %s%s", choice.backend, choice.device, choice.reason,
             f"; {share.describe()}" if share else "")
    if launch.world_size > 1:
        log.info("collective timeout %.0f s (--collective-timeout, TRAINYARD_COLLECTIVE_TIMEOUT)",
                 timeout.total_seconds())
    return ProcessGroup(launch, choice, timeout, start)
