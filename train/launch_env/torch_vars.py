"""torch.distributed's ``env://`` variables when torchrun did not set them: Azure ML's
``distribution: {type: pytorch}`` (`from_azureml_pytorch`) or set by hand (`from_torch_env`).

The two read the same variables identically; only the Azure marker, and so the source, differs.

## The variables (both)
Reads: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, AZUREML_NODE_COUNT,
MASTER_ADDR, MASTER_PORT.

Derivations, where a variable is missing:
- LOCAL_WORLD_SIZE: WORLD_SIZE / AZUREML_NODE_COUNT (Azure starts the same number of processes
  on every node; a count that does not divide WORLD_SIZE is an error). Without either, the job is
  taken to be on one node (LOCAL_WORLD_SIZE = WORLD_SIZE) when nothing contradicts that:
  NODE_RANK unset or 0, and LOCAL_RANK unset or equal to RANK. Otherwise it is an error. So a
  multi-node job without the count fails loudly on its other nodes instead of running with a
  wrong LOCAL_WORLD_SIZE everywhere.
- LOCAL_RANK: RANK, on one node; an error otherwise.
- NODE_RANK: RANK // LOCAL_WORLD_SIZE (ranks laid out node by node, as Azure and torchrun do).
- MASTER_PORT: 29500 when MASTER_ADDR is set without it.
MASTER_ADDR is required when WORLD_SIZE > 1: env:// cannot rendezvous without it.

## from_azureml_pytorch
Reads: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, AZUREML_NODE_COUNT,
MASTER_ADDR, MASTER_PORT (derived as above), and the names of all
variables, for the Azure markers ``AZUREML_*`` / ``AZ_BATCH*``.

What marks it: RANK or WORLD_SIZE set, no TORCHELASTIC_RUN_ID (torchrun is detected earlier),
and an Azure marker. The same variables without a marker are `from_torch_env` (source ``"env"``):
the numbers are read identically, only the name differs. NODE_RANK alone is not taken as a
marker because hand-written multi-node setups (and Lightning) use it too.

Azure sets no restart counter for these processes: restart_count is None.

## from_torch_env
Reads: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, AZUREML_NODE_COUNT,
MASTER_ADDR, MASTER_PORT (derived as above).

What marks it: RANK or WORLD_SIZE set, and no earlier detector claimed the environment (no
TORCHELASTIC_RUN_ID, no Open MPI ranks, no Azure marker, no TF_CONFIG). Source ``"env"``.
A bare ``RANK=0 WORLD_SIZE=1`` is a valid one-process job; a lone LOCAL_RANK is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from train.launch_env import _read
from train.launch_env.model import LaunchEnv, LaunchEnvError, Source


def read_torch_vars(env: Mapping[str, str], *, source: Source) -> LaunchEnv:
    world_size = _read.require_int(env, "WORLD_SIZE", minimum=1)
    rank = _read.require_int(env, "RANK")
    _read.check_below("RANK", rank, "WORLD_SIZE", world_size)

    local_world_size = _local_world_size(env, rank=rank, world_size=world_size)
    local_rank = _read.read_int(env, "LOCAL_RANK")
    if local_rank is None:
        if local_world_size != world_size:
            raise LaunchEnvError(
                f"LOCAL_RANK is not set: expected an integer >= 0 (the job spans nodes: "
                f"LOCAL_WORLD_SIZE={local_world_size} < WORLD_SIZE={world_size})"
            )
        local_rank = rank  # one node: local and global ranks coincide
    _read.check_below("LOCAL_RANK", local_rank, "LOCAL_WORLD_SIZE", local_world_size)

    node_rank = _read.read_int(env, "NODE_RANK")
    if node_rank is None:
        node_rank = rank // local_world_size

    master_addr = _read.get(env, "MASTER_ADDR")
    master_port = _read.read_port(env, "MASTER_PORT")
    if master_addr is None and world_size > 1:
        raise LaunchEnvError(
            f"MASTER_ADDR is not set: expected the address of rank 0 (WORLD_SIZE={world_size} > 1)"
        )
    if master_addr is not None and master_port is None:
        master_port = _read.DEFAULT_MASTER_PORT

    return LaunchEnv(
        source=source,
        rank=rank,
        world_size=world_size,
        local_rank=local_rank,
        local_world_size=local_world_size,
        node_rank=node_rank,
        master_addr=master_addr,
        master_port=master_port,
        restart_count=None,
    )


def _local_world_size(env: Mapping[str, str], *, rank: int, world_size: int) -> int:
    local_world_size = _read.read_int(env, "LOCAL_WORLD_SIZE", minimum=1)
    if local_world_size is not None:
        _read.check_at_most("LOCAL_WORLD_SIZE", local_world_size, "WORLD_SIZE", world_size)
        return local_world_size

    node_count = _read.read_int(env, "AZUREML_NODE_COUNT", minimum=1)
    if node_count is not None:
        if world_size % node_count:
            raise LaunchEnvError(
                f"AZUREML_NODE_COUNT={node_count} does not divide WORLD_SIZE={world_size}: "
                f"expected WORLD_SIZE = nodes x processes per node"
            )
        return world_size // node_count

    node_rank = _read.read_int(env, "NODE_RANK")
    local_rank = _read.read_int(env, "LOCAL_RANK")
    if node_rank in (None, 0) and local_rank in (None, rank):
        return world_size
    raise LaunchEnvError(
        "LOCAL_WORLD_SIZE is not set and cannot be derived: expected LOCAL_WORLD_SIZE or "
        f"AZUREML_NODE_COUNT (NODE_RANK={node_rank}, LOCAL_RANK={local_rank}, RANK={rank} "
        "show the job spans nodes)"
    )


def from_azureml_pytorch(env: Mapping[str, str]) -> LaunchEnv | None:
    if not (_read.is_set(env, "RANK") or _read.is_set(env, "WORLD_SIZE")):
        return None
    if not _read.has_azure_markers(env):
        return None
    return read_torch_vars(env, source=Source.AZUREML_PYTORCH)


def from_torch_env(env: Mapping[str, str]) -> LaunchEnv | None:
    if not (_read.is_set(env, "RANK") or _read.is_set(env, "WORLD_SIZE")):
        return None
    return read_torch_vars(env, source=Source.ENV)
