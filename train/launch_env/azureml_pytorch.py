"""Azure ML ``distribution: {type: pytorch}``: Azure starts every process and sets env:// variables.

Reads: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, AZUREML_NODE_COUNT,
MASTER_ADDR, MASTER_PORT (see `_torch_vars` for the derivations), and the names of all
variables, for the Azure markers ``AZUREML_*`` / ``AZ_BATCH*``.

What marks it: RANK or WORLD_SIZE set, no TORCHELASTIC_RUN_ID (torchrun is detected earlier),
and an Azure marker. The same variables without a marker are `torch_env` (source ``"env"``):
the numbers are read identically, only the name differs. NODE_RANK alone is not taken as a
marker because hand-written multi-node setups (and Lightning) use it too.

Azure sets no restart counter for these processes: restart_count is None.
"""

from __future__ import annotations

from collections.abc import Mapping

from train.launch_env import _read
from train.launch_env._torch_vars import read_torch_vars
from train.launch_env.model import LaunchEnv

SOURCE = "azureml-pytorch"


def from_azureml_pytorch(env: Mapping[str, str]) -> LaunchEnv | None:
    if not (_read.is_set(env, "RANK") or _read.is_set(env, "WORLD_SIZE")):
        return None
    if not _read.has_azure_markers(env):
        return None
    return read_torch_vars(env, source=SOURCE)
