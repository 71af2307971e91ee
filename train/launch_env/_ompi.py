"""Reading the ranks Open MPI's ``mpirun`` gives every process.

Shared by `azureml_mpi` and `mpirun`. Reads: OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE,
OMPI_COMM_WORLD_LOCAL_RANK, OMPI_COMM_WORLD_LOCAL_SIZE, and NODE_RANK, RANK, WORLD_SIZE,
LOCAL_RANK, LOCAL_WORLD_SIZE (to check them against the ranks above, see below).

node_rank: NODE_RANK when set, else RANK // LOCAL_SIZE, which holds for Open MPI's default
by-slot mapping with the same number of ranks on every node (what Azure runs). It deliberately
ignores OMPI_COMM_WORLD_NODE_RANK: despite its name, Open MPI documents it as "the relative rank
of this process on this node looking across all jobs", a per-node rank, not the node's index.

mpirun sets the OMPI variables for this very process, so they win over torch-style variables
inherited from an outer launcher. A RANK, WORLD_SIZE, LOCAL_RANK or LOCAL_WORLD_SIZE that
disagrees with them is an error: torch.distributed would read the stale value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from train.launch_env import _read
from train.launch_env.model import LaunchEnv, LaunchEnvError


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


def launch_from_ranks(source: str, ranks: OmpiRanks, master_addr: str, master_port: int) -> LaunchEnv:
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
