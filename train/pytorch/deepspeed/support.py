"""What of a ds_config runs without a GPU, checked before DeepSpeed starts (pure: no torch import).

Measured on a 2-core machine without GPU, DeepSpeed 0.19.8 and torch 2.10.0, 2 ranks on gloo
(tests/image/test_deepspeed.py): ZeRO stages 0, 1, 2 and 3 with a torch optimizer in fp32 train, under
Azure `pytorch` and `mpi` variables. What needs a GPU is refused here with one line that says so, instead of a stack trace from
deep inside DeepSpeed.
"""

from __future__ import annotations

from typing import Any

from train.common.errors import UsageError


def _enabled(ds_config: dict[str, Any], key: str) -> bool:
    section = ds_config.get(key)
    return isinstance(section, dict) and bool(section.get("enabled", False))


def check_supported(ds_config: dict[str, Any], *, on_gpu: bool) -> None:
    if on_gpu:
        return
    if _enabled(ds_config, "fp16"):
        raise UsageError("ds_config enables fp16: DeepSpeed's fp16 (loss-scaling) optimizer needs a GPU; "
                         "on CPU use fp32 (no fp16/bf16 section) or bf16")
    zero = ds_config.get("zero_optimization", {})
    for key in ("offload_optimizer", "offload_param"):
        device = (zero.get(key) or {}).get("device", "none")
        if device not in (None, "none"):
            raise UsageError(f"ds_config zero_optimization.{key}.device={device!r}: offloading moves "
                             "state from a GPU to CPU or NVMe; without a GPU there is nothing to offload "
                             "(everything already lives in CPU memory): remove it")
