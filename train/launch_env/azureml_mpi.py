"""Azure ML ``distribution: {type: mpi}``: Azure runs Open MPI's mpirun over the job's nodes.

Reads: the Open MPI ranks (see `_ompi`: OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK, _LOCAL_SIZE,
plus NODE_RANK, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE), MASTER_ADDR, MASTER_PORT,
AZ_BATCH_MASTER_NODE (``ip:port``, multi-node jobs), AZ_BATCHAI_MPI_MASTER_NODE (``ip``,
single-node jobs), and the names of all variables, for the Azure markers ``AZUREML_*`` /
``AZ_BATCH*``.

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
"""

from __future__ import annotations

from collections.abc import Mapping

from train.launch_env import _read
from train.launch_env._ompi import launch_from_ranks, read_ompi_ranks, under_mpirun
from train.launch_env.model import LaunchEnv, LaunchEnvError

SOURCE = "azureml-mpi"


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

    return launch_from_ranks(SOURCE, ranks, master_addr, master_port)


def _azure_master(env: Mapping[str, str]) -> tuple[str | None, int | None]:
    multi_node = _read.get(env, "AZ_BATCH_MASTER_NODE")
    if multi_node is not None:
        return _read.parse_host_port("AZ_BATCH_MASTER_NODE", multi_node)
    return _read.get(env, "AZ_BATCHAI_MPI_MASTER_NODE"), None
