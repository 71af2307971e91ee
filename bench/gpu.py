"""Section 4: the same figures on a GPU (NCCL busbw, ResNet-50 img/s) when the machine has one.

A GPU counts as present when `nvidia-smi -L` lists one on the host. Without one the section says
"not measured: no GPU", which is a result, not a failure.
"""

from __future__ import annotations

import shutil

from bench.commands import BenchError, run

NVIDIA_SMI_TIMEOUT_S = 30


def gpus_on_host() -> list[str]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        result = run(["nvidia-smi", "-L"], timeout=NVIDIA_SMI_TIMEOUT_S, check=False)
    except BenchError:
        return []
    return [line for line in result.stdout.splitlines() if line.startswith("GPU ")] if result.returncode == 0 else []


def measure_gpu() -> dict:
    gpus = gpus_on_host()
    if not gpus:
        return {"status": "not measured: no GPU", "reason": "nvidia-smi is missing or lists no GPU"}
    # Not written yet: it needs a GPU machine to be checked on, and none was available.
    return {"status": "not measured: GPU present, GPU measurements not implemented yet", "gpus": gpus}
