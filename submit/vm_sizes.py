"""GPUs per Azure VM size, for refusing more processes per node than a node has GPUs.

Only sizes whose GPU count is certain (Azure's "Sizes for virtual machines" pages, NC/ND/NV
families). A size missing here is not an error: the check is skipped, because CPU sizes and
new GPU sizes are both legitimate. Fractional-GPU sizes (NVadsA10_v5, NGads_V620) are left out
on purpose: a "part of a GPU" count would make the check misleading.
Azure treats size names case-insensitively, so lookups do too.
"""

from typing import Optional

_GPUS_BY_SIZE = {
    # NC: compute GPUs
    "Standard_NC6": 1, "Standard_NC12": 2, "Standard_NC24": 4, "Standard_NC24r": 4,  # K80
    "Standard_NC6s_v2": 1, "Standard_NC12s_v2": 2, "Standard_NC24s_v2": 4, "Standard_NC24rs_v2": 4,  # P100
    "Standard_NC6s_v3": 1, "Standard_NC12s_v3": 2, "Standard_NC24s_v3": 4, "Standard_NC24rs_v3": 4,  # V100
    "Standard_NC4as_T4_v3": 1, "Standard_NC8as_T4_v3": 1, "Standard_NC16as_T4_v3": 1,
    "Standard_NC64as_T4_v3": 4,  # T4
    "Standard_NC24ads_A100_v4": 1, "Standard_NC48ads_A100_v4": 2, "Standard_NC96ads_A100_v4": 4,
    "Standard_NC40ads_H100_v5": 1, "Standard_NC80adis_H100_v5": 2,
    # ND: large-scale training
    "Standard_ND6s": 1, "Standard_ND12s": 2, "Standard_ND24s": 4, "Standard_ND24rs": 4,  # P40
    "Standard_ND40rs_v2": 8,  # V100
    "Standard_ND96asr_v4": 8,  # A100 40 GB
    "Standard_ND96amsr_A100_v4": 8,  # A100 80 GB
    "Standard_ND96isr_H100_v5": 8,  # H100
    # NV: visualisation GPUs (still CUDA-capable)
    "Standard_NV6": 1, "Standard_NV12": 2, "Standard_NV24": 4,  # M60
    "Standard_NV12s_v3": 1, "Standard_NV24s_v3": 2, "Standard_NV48s_v3": 4,  # M60
}

_GPUS_BY_LOWER_SIZE = {size.lower(): gpus for size, gpus in _GPUS_BY_SIZE.items()}


def gpus_per_node(vm_size: str) -> Optional[int]:
    """GPUs on one node of `vm_size`, or None when the size is not one we are sure of."""
    return _GPUS_BY_LOWER_SIZE.get(vm_size.lower())
