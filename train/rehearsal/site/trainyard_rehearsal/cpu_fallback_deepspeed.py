"""What CPU_FALLBACK changes in DeepSpeed: its CPU accelerator, without the op it cannot build here.

On a host without a GPU DeepSpeed picks its CPU accelerator, whose communication backend JIT-compiles
a shared-memory all-reduce op (`deepspeed_shm_comm`) at init_distributed. The runtime image has no
compiler, so that op is marked unavailable and collectives go through torch's gloo (what the nccl
backend already runs as, see cpu_fallback_torch). The same fix as the trainyard entrypoint's
(train/pytorch/deepspeed/launch.py: avoid_unbuildable_shm_op).
"""

from __future__ import annotations

import os
import shutil

_applied = False


def apply(deepspeed) -> None:
    global _applied
    if _applied:
        return
    _applied = True
    os.environ.setdefault("DS_ACCELERATOR", "cpu")
    import deepspeed.ops
    from deepspeed.git_version_info import installed_ops

    name = "deepspeed_shm_comm"
    if not installed_ops.get(name) and not shutil.which(os.environ.get("CXX", "c++")):
        deepspeed.ops.__compatible_ops__[name] = False
