"""Azure's current GPU VM sizes, and the retired or unusable ones we refuse before any network call.

Sources, Microsoft's size pages and retirement notices (MicrosoftDocs/azure-docs, articles/virtual-machines/;
read 2026-11):
- sizes/gpu-accelerated/nd-family.md: ND A100 v4, NDm A100 v4, ND H100 v5 (8 GPUs, InfiniBand);
  ND H200 v5 (Standard_ND96isr_H200_v5, 8 x H200) from Azure's size list as published in 2026.
- nva10v5-series.md: NVads A10 v5, from 1/6 of an A10 to two whole A10s.
- ncv3-nc6s-nc12s-nc24s-retirement.md: NC6s/12s/24s_v3 retired 2025-09-30; it names NC A100 v4
  (NC24ads/48ads/96ads, 1/2/4 x A100 80 GB) as the replacement size for size, NCads H100 v5
  (NC40ads/NC80adis, 1/2 x H100 NVL) as the other, and says NCasT4 v3 is not retired. NC24rs_v3's own
  guide moves its retirement to the same date.
- sizes/migration-guides/nc-, ncv2-, nd- and nv-series-retirement.md: NC (K80), NCv2 (P100), ND (P40)
  and NV (M60) retired 2023-09-06.
InfiniBand: the "r" in a size name marks RDMA; among current sizes that is ND A100 v4, NDm A100 v4,
ND H100 v5 and ND H200 v5 (the NC and NV sizes here have Ethernet only).
Azure treats size names case-insensitively, so lookups do too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# The images' prebuilt CUDA kernels (DeepSpeed's ops, Horovod's NCCL ops) are compiled for these
# compute capabilities only; docker/cuda-toolchain/archs.txt is the list, and a unit test keeps the
# two in step. A GPU below the lowest one cannot load those kernels.
IMAGE_CUDA_ARCHS = ("8.0", "8.6", "9.0")
# One current single-GPU size with an A100 (8.0): Microsoft's named replacement for NC6s_v3.
DEFAULT_VM_SIZE = "Standard_NC24ads_A100_v4"


@dataclass(frozen=True)
class VmSize:
    name: str
    gpus: int                   # whole GPUs per node
    gpu: str                    # model, for messages
    compute_capability: str     # "8.0"
    infiniband: bool            # RDMA over InfiniBand between nodes (NCCL's IB transport)

    @property
    def runs_image_kernels(self) -> bool:
        """Whether the images' prebuilt kernels load on this GPU (same major version, not older)."""
        major, minor = (int(part) for part in self.compute_capability.split("."))
        lowest_major, lowest_minor = (int(part) for part in IMAGE_CUDA_ARCHS[0].split("."))
        return (major, minor) >= (lowest_major, lowest_minor)


CURRENT_SIZES: tuple[VmSize, ...] = (
    # NC A100 v4: A100 80 GB PCIe
    VmSize("Standard_NC24ads_A100_v4", 1, "A100", "8.0", False),
    VmSize("Standard_NC48ads_A100_v4", 2, "A100", "8.0", False),
    VmSize("Standard_NC96ads_A100_v4", 4, "A100", "8.0", False),
    # NCads H100 v5: H100 NVL
    VmSize("Standard_NC40ads_H100_v5", 1, "H100 NVL", "9.0", False),
    VmSize("Standard_NC80adis_H100_v5", 2, "H100 NVL", "9.0", False),
    # ND A100 v4 / NDm A100 v4: 8 x A100 (40 / 80 GB) with 8 x 200 Gb/s InfiniBand
    VmSize("Standard_ND96asr_v4", 8, "A100 40GB", "8.0", True),
    VmSize("Standard_ND96amsr_A100_v4", 8, "A100 80GB", "8.0", True),
    # ND H100 v5 / ND H200 v5: 8 x H100 / H200 with 8 x 400 Gb/s InfiniBand
    VmSize("Standard_ND96isr_H100_v5", 8, "H100", "9.0", True),
    VmSize("Standard_ND96isr_H200_v5", 8, "H200", "9.0", True),
    # NVads A10 v5, the whole-GPU sizes (the partial ones are refused below)
    VmSize("Standard_NV36ads_A10_v5", 1, "A10", "8.6", False),
    VmSize("Standard_NV36adms_A10_v5", 1, "A10", "8.6", False),
    VmSize("Standard_NV72ads_A10_v5", 2, "A10", "8.6", False),
    # NCas T4 v3: current, but T4 (7.5) is below the images' kernels: see refusal_for_framework
    VmSize("Standard_NC4as_T4_v3", 1, "T4", "7.5", False),
    VmSize("Standard_NC8as_T4_v3", 1, "T4", "7.5", False),
    VmSize("Standard_NC16as_T4_v3", 1, "T4", "7.5", False),
    VmSize("Standard_NC64as_T4_v3", 4, "T4", "7.5", False),
)

_ONE_GPU, _TWO_GPUS, _FOUR_GPUS = ("Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4",
                                   "Standard_NC96ads_A100_v4")
_EIGHT_GPUS_IB = "Standard_ND96amsr_A100_v4"

# Sizes Azure no longer offers, or that cannot run these images: why, and the size to use instead.
_REFUSED: dict[str, tuple[str, str]] = {
    # NCv3 (V100)
    "Standard_NC6s_v3": ("was retired by Azure on 2025-09-30", _ONE_GPU),
    "Standard_NC12s_v3": ("was retired by Azure on 2025-09-30", _TWO_GPUS),
    "Standard_NC24s_v3": ("was retired by Azure on 2025-09-30", _FOUR_GPUS),
    "Standard_NC24rs_v3": ("was retired by Azure (by 2025-09-30)", _EIGHT_GPUS_IB),
    # NC (K80), NCv2 (P100), ND (P40)
    "Standard_NC6": ("was retired by Azure on 2023-09-06", _ONE_GPU),
    "Standard_NC12": ("was retired by Azure on 2023-09-06", _TWO_GPUS),
    "Standard_NC24": ("was retired by Azure on 2023-09-06", _FOUR_GPUS),
    "Standard_NC24r": ("was retired by Azure on 2023-09-06", _FOUR_GPUS),
    "Standard_NC6s_v2": ("was retired by Azure on 2023-09-06", _ONE_GPU),
    "Standard_NC12s_v2": ("was retired by Azure on 2023-09-06", _TWO_GPUS),
    "Standard_NC24s_v2": ("was retired by Azure on 2023-09-06", _FOUR_GPUS),
    "Standard_NC24rs_v2": ("was retired by Azure on 2023-09-06", _FOUR_GPUS),
    "Standard_ND6s": ("was retired by Azure on 2023-09-06", _ONE_GPU),
    "Standard_ND12s": ("was retired by Azure on 2023-09-06", _TWO_GPUS),
    "Standard_ND24s": ("was retired by Azure on 2023-09-06", _FOUR_GPUS),
    "Standard_ND24rs": ("was retired by Azure on 2023-09-06", _FOUR_GPUS),
    # NV (M60)
    "Standard_NV6": ("was retired by Azure on 2023-09-06", "Standard_NV36ads_A10_v5"),
    "Standard_NV12": ("was retired by Azure on 2023-09-06", "Standard_NV72ads_A10_v5"),
    "Standard_NV24": ("was retired by Azure on 2023-09-06", "Standard_NV72ads_A10_v5"),
    # Older GPUs the images' kernels were never built for (V100 7.0, M60 5.2).
    "Standard_ND40rs_v2": ("has V100 GPUs (compute capability 7.0), older than the images' CUDA "
                           "code (8.0 and newer)", _EIGHT_GPUS_IB),
    "Standard_NV12s_v3": ("has an M60 GPU (compute capability 5.2), older than the images' CUDA code "
                          "(8.0 and newer)", "Standard_NV36ads_A10_v5"),
    "Standard_NV24s_v3": ("has M60 GPUs (compute capability 5.2), older than the images' CUDA code "
                          "(8.0 and newer)", "Standard_NV72ads_A10_v5"),
    "Standard_NV48s_v3": ("has M60 GPUs (compute capability 5.2), older than the images' CUDA code "
                          "(8.0 and newer)", "Standard_NV72ads_A10_v5"),
    # Partial A10s: a vGPU slice, not a device CUDA training can own.
    "Standard_NV6ads_A10_v5": ("has 1/6 of an A10 GPU (a graphics vGPU slice)", "Standard_NV36ads_A10_v5"),
    "Standard_NV12ads_A10_v5": ("has 1/3 of an A10 GPU (a graphics vGPU slice)", "Standard_NV36ads_A10_v5"),
    "Standard_NV18ads_A10_v5": ("has 1/2 of an A10 GPU (a graphics vGPU slice)", "Standard_NV36ads_A10_v5"),
}

_CURRENT_BY_LOWER = {size.name.lower(): size for size in CURRENT_SIZES}
_REFUSED_BY_LOWER = {name.lower(): (name, *why) for name, why in _REFUSED.items()}


def find_size(vm_size: str) -> Optional[VmSize]:
    """The current size named `vm_size` (any case), or None."""
    return _CURRENT_BY_LOWER.get(vm_size.lower())


def refusal(vm_size: str) -> Optional[str]:
    """Why `vm_size` cannot be used and what to use instead, or None for a current size."""
    if vm_size.lower() in _CURRENT_BY_LOWER:
        return None
    refused = _REFUSED_BY_LOWER.get(vm_size.lower())
    if refused:
        name, reason, replacement = refused
        return f"{name} {reason}: use {replacement} (`make azure-submit VM_SIZE={replacement}`)"
    return (f"{vm_size} is not a GPU size these images are known to run on: use one of "
            f"{', '.join(size.name for size in CURRENT_SIZES if size.runs_image_kernels)} "
            f"(default {DEFAULT_VM_SIZE}; table in submit/vm_sizes.py)")


def gpus_per_node(vm_size: str) -> Optional[int]:
    """GPUs on one node of `vm_size`, or None when it is not a current size."""
    size = find_size(vm_size)
    return size.gpus if size else None
