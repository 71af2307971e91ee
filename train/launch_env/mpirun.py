"""Plain Open MPI ``mpirun`` outside Azure.

Reads: the Open MPI ranks (see `_ompi`: OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK, _LOCAL_SIZE,
plus NODE_RANK, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE), MASTER_ADDR, MASTER_PORT.

mpirun sets no rendezvous address. MASTER_ADDR/MASTER_PORT are taken from the environment when
the user exported them (``mpirun -x MASTER_ADDR=... -x MASTER_PORT=...``). Otherwise, when all
ranks are on one node, 127.0.0.1; across nodes there is no way to guess, so it is an error.
MASTER_PORT defaults to 29500. mpirun counts no restarts: restart_count is None.

Only Open MPI is recognised (MPICH/Intel MPI's PMI_* variables are not).
"""

from __future__ import annotations

from collections.abc import Mapping

from train.launch_env import _read
from train.launch_env._ompi import launch_from_ranks, read_ompi_ranks, under_mpirun
from train.launch_env.model import LaunchEnv, LaunchEnvError

SOURCE = "mpirun"


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

    return launch_from_ranks(SOURCE, ranks, master_addr, master_port)
