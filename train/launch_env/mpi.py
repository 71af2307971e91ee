"""Open MPI's ``mpirun``, plain or started by Azure ML (``distribution: {type: mpi}``).

The two detectors read the same ranks and differ only in where the rendezvous address comes from,
so they live together: `from_azureml_mpi` (an Azure marker is present) and `from_mpirun`.

## The ranks (both)
Reads: OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE,
OMPI_COMM_WORLD_LOCAL_RANK, OMPI_COMM_WORLD_LOCAL_SIZE, and NODE_RANK, RANK, WORLD_SIZE,
LOCAL_RANK, LOCAL_WORLD_SIZE (to check them against the ranks above, see below).

node_rank: NODE_RANK when set, else RANK // LOCAL_SIZE, which holds for Open MPI's default
by-slot mapping with the same number of ranks on every node (what Azure runs). It deliberately
ignores OMPI_COMM_WORLD_NODE_RANK: despite its name, Open MPI documents it as "the relative rank
of this process on this node looking across all jobs", a per-node rank, not the node's index.

mpirun sets the OMPI variables for this very process, so they win over torch-style variables
inherited from an outer launcher. A RANK, WORLD_SIZE, LOCAL_RANK or LOCAL_WORLD_SIZE that
disagrees with them is an error: torch.distributed would read the stale value.

## from_azureml_mpi
Reads: the ranks (above), MASTER_ADDR, MASTER_PORT, AZ_BATCH_MASTER_NODE (``ip:port``, multi-node
jobs), AZ_BATCHAI_MPI_MASTER_NODE (``ip``, single-node jobs), and the names of all variables, for
the Azure markers ``AZUREML_*`` / ``AZ_BATCH*``.

What marks it: Open MPI ranks plus an Azure marker (without one it is plain `mpirun`).

Rendezvous address, first found wins:
1. MASTER_ADDR / MASTER_PORT from the environment. Azure does not set them for MPI jobs, so they
   were set on purpose (by the user or by ``train.launch`` in a parent), and torch.distributed
   would read them anyway: reporting anything else would lie about what torch will use.
2. AZ_BATCH_MASTER_NODE = ``host:port``; a value that is not host:port (port 1..65535) is an
   error even when 1. applies, since it means the environment is not what Azure promised.
3. AZ_BATCHAI_MPI_MASTER_NODE = ``host``, port 29500.
4. All ranks on one node: 127.0.0.1:29500. Otherwise an error naming AZ_BATCH_MASTER_NODE.
restart_count is None: Azure gives MPI ranks no restart counter.

## from_mpirun
Reads: the ranks (above), MASTER_ADDR, MASTER_PORT.

mpirun sets no rendezvous address. MASTER_ADDR/MASTER_PORT are taken from the environment when
the user exported them (``mpirun -x MASTER_ADDR=... -x MASTER_PORT=...``). Otherwise, when all
ranks are on one node, 127.0.0.1; across nodes there is no way to guess, so it is an error.
MASTER_PORT defaults to 29500. mpirun counts no restarts: restart_count is None.

Only Open MPI is recognised (MPICH/Intel MPI's PMI_* variables are not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from train.launch_env import _read
from train.launch_env.model import LaunchEnv, LaunchEnvError, Source


@dataclass(frozen=True)
class OmpiRanks:
    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    node_rank: int

    @property
    def on_one_node(self) -> bool:
        return self.local_world_size == self.world_size


def launch_from_ranks(source: Source, ranks: OmpiRanks, master_addr: str, master_port: int) -> LaunchEnv:
    """The LaunchEnv of an MPI rank; mpirun gives no restart counter."""
    return LaunchEnv(
        source=source,
        rank=ranks.rank,
        world_size=ranks.world_size,
        local_rank=ranks.local_rank,
        local_world_size=ranks.local_world_size,
        node_rank=ranks.node_rank,
        master_addr=master_addr,
        master_port=master_port,
        restart_count=None,
    )


def under_mpirun(env: Mapping[str, str]) -> bool:
    return _read.is_set(env, "OMPI_COMM_WORLD_RANK") or _read.is_set(env, "OMPI_COMM_WORLD_SIZE")


def read_ompi_ranks(env: Mapping[str, str]) -> OmpiRanks:
    world_size = _read.require_int(env, "OMPI_COMM_WORLD_SIZE", minimum=1)
    rank = _read.require_int(env, "OMPI_COMM_WORLD_RANK")
    _read.check_below("OMPI_COMM_WORLD_RANK", rank, "OMPI_COMM_WORLD_SIZE", world_size)
    local_world_size = _read.require_int(env, "OMPI_COMM_WORLD_LOCAL_SIZE", minimum=1)
    _read.check_at_most(
        "OMPI_COMM_WORLD_LOCAL_SIZE", local_world_size, "OMPI_COMM_WORLD_SIZE", world_size
    )
    local_rank = _read.require_int(env, "OMPI_COMM_WORLD_LOCAL_RANK")
    _read.check_below(
        "OMPI_COMM_WORLD_LOCAL_RANK", local_rank, "OMPI_COMM_WORLD_LOCAL_SIZE", local_world_size
    )

    _check_agrees(env, "RANK", rank, "OMPI_COMM_WORLD_RANK")
    _check_agrees(env, "WORLD_SIZE", world_size, "OMPI_COMM_WORLD_SIZE")
    _check_agrees(env, "LOCAL_RANK", local_rank, "OMPI_COMM_WORLD_LOCAL_RANK")
    _check_agrees(env, "LOCAL_WORLD_SIZE", local_world_size, "OMPI_COMM_WORLD_LOCAL_SIZE")

    node_rank = _read.read_int(env, "NODE_RANK")
    return OmpiRanks(
        rank=rank,
        world_size=world_size,
        local_rank=local_rank,
        local_world_size=local_world_size,
        node_rank=rank // local_world_size if node_rank is None else node_rank,
    )


def _check_agrees(env: Mapping[str, str], name: str, expected: int, ompi_name: str) -> None:
    value = _read.read_int(env, name)
    if value is not None and value != expected:
        raise LaunchEnvError(
            f"{name}={value} disagrees with {ompi_name}={expected}: "
            f"expected {name} unset or equal under mpirun (unset it before mpirun)"
        )


def from_azureml_mpi(env: Mapping[str, str]) -> LaunchEnv | None:
    if not (under_mpirun(env) and _read.has_azure_markers(env)):
        return None
    ranks = read_ompi_ranks(env)

    azure_host, azure_port = _azure_master(env)
    if azure_host is None and ranks.on_one_node:
        azure_host = _read.LOOPBACK
    master_addr = _read.get(env, "MASTER_ADDR") or azure_host
    if master_addr is None:
        raise LaunchEnvError(
            "AZ_BATCH_MASTER_NODE is not set: expected host:port of the head node for a "
            "multi-node Azure MPI job (or set MASTER_ADDR and MASTER_PORT)"
        )
    master_port = _read.read_port(env, "MASTER_PORT") or azure_port or _read.DEFAULT_MASTER_PORT

    return launch_from_ranks(Source.AZUREML_MPI, ranks, master_addr, master_port)


def _azure_master(env: Mapping[str, str]) -> tuple[str | None, int | None]:
    multi_node = _read.get(env, "AZ_BATCH_MASTER_NODE")
    if multi_node is not None:
        return _read.parse_host_port("AZ_BATCH_MASTER_NODE", multi_node)
    return _read.get(env, "AZ_BATCHAI_MPI_MASTER_NODE"), None


def from_mpirun(env: Mapping[str, str]) -> LaunchEnv | None:
    if not under_mpirun(env):
        return None
    ranks = read_ompi_ranks(env)

    master_addr = _read.get(env, "MASTER_ADDR")
    if master_addr is None:
        if not ranks.on_one_node:
            raise LaunchEnvError(
                "MASTER_ADDR is not set: expected the address of rank 0 for a multi-node mpirun "
                "(export it to every rank: mpirun -x MASTER_ADDR=<host> -x MASTER_PORT=<port> ...)"
            )
        master_addr = _read.LOOPBACK
    master_port = _read.read_port(env, "MASTER_PORT") or _read.DEFAULT_MASTER_PORT

    return launch_from_ranks(Source.MPIRUN, ranks, master_addr, master_port)
