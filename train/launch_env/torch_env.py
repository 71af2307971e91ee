"""torch.distributed ``env://`` variables set by hand (or by a launcher we do not know).

Reads: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, AZUREML_NODE_COUNT,
MASTER_ADDR, MASTER_PORT (see `_torch_vars` for the derivations).

What marks it: RANK or WORLD_SIZE set, and no earlier detector claimed the environment (no
TORCHELASTIC_RUN_ID, no Open MPI ranks, no Azure marker, no TF_CONFIG). Source ``"env"``.
A bare ``RANK=0 WORLD_SIZE=1`` is a valid one-process job; a lone LOCAL_RANK is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from train.launch_env import _read
from train.launch_env._torch_vars import read_torch_vars
from train.launch_env.model import LaunchEnv

SOURCE = "env"


def from_torch_env(env: Mapping[str, str]) -> LaunchEnv | None:
    if not (_read.is_set(env, "RANK") or _read.is_set(env, "WORLD_SIZE")):
        return None
    return read_torch_vars(env, source=SOURCE)
