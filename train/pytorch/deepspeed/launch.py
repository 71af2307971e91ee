"""From the launch environment to what DeepSpeed reads, before `import deepspeed`.

DeepSpeed reads RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT from the process
environment (its engine reads LOCAL_RANK to pick a device even when init_distributed was given
ranks). Azure ML `mpi` jobs and plain mpirun set none of them: they are derived from the MPI
variables by train.launch's `launch_env_for` (one place, the launch-environment contract), and only
missing ones are added. DS_ACCELERATOR is named explicitly when no GPU will be used, so DeepSpeed
does not guess. This module is the one place the entrypoint writes os.environ.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import MutableMapping

from train.launch import launch_env_for
from train.launch_env import LaunchEnv
from train.pytorch.backend import BackendChoice

log = logging.getLogger(__name__)


def prepare_environment(launch: LaunchEnv, choice: BackendChoice,
                        environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Add the variables DeepSpeed needs to `environ`; returns what was added."""
    added = {name: value for name, value in launch_env_for(environ).items()
             if environ.get(name) != value}
    if choice.device == "cpu" and not environ.get("DS_ACCELERATOR"):
        added["DS_ACCELERATOR"] = "cpu"
    environ.update(added)
    return added


def avoid_unbuildable_shm_op() -> None:
    """On the CPU accelerator, keep DeepSpeed from JIT-compiling its shared-memory all-reduce where it
    cannot: call after `import deepspeed`, before init_distributed.

    DeepSpeed 0.19.8's TorchBackend builds `deepspeed_shm_comm` (C++, JIT) when the CPU accelerator is
    in use and the op counts as compatible, which it does on any Linux. The runtime image has no
    compiler, so the JIT build fails and init_distributed dies with "deepspeed_shm_comm.so: cannot open
    shared object file". When the op is not prebuilt and no compiler is on PATH, mark it incompatible
    (DeepSpeed keeps `__compatible_ops__` as one dict for such edits): collectives then go through
    torch's gloo, which is what the CPU accelerator does anyway without the op.
    """
    import deepspeed.ops
    from deepspeed.git_version_info import installed_ops

    name = "deepspeed_shm_comm"
    if installed_ops.get(name) or shutil.which(os.environ.get("CXX", "c++")):
        return
    deepspeed.ops.__compatible_ops__[name] = False
    log.info("DeepSpeed's %s op is not prebuilt and no C++ compiler is here to build it: "
             "collectives use torch's gloo", name)
