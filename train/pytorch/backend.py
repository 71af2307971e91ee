"""Which torch.distributed backend a process should use, and why (pure; unit-testable without GPUs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackendChoice:
    backend: str      # "nccl" or "gloo"
    device: str       # "cuda:<local_rank>" or "cpu"
    reason: str


def choose_backend(cuda_available: bool, cuda_device_count: int, local_rank: int,
                   local_world_size: int) -> BackendChoice:
    # NCCL needs one GPU per process: two ranks sharing a GPU deadlock or fail in NCCL init.
    if not cuda_available:
        return BackendChoice("gloo", "cpu", "CUDA is not available")
    if cuda_device_count < local_world_size:
        return BackendChoice(
            "gloo", "cpu",
            f"{cuda_device_count} GPU(s) for {local_world_size} processes on this node; NCCL needs one each")
    return BackendChoice("nccl", f"cuda:{local_rank}",
                         f"{cuda_device_count} GPU(s) for {local_world_size} processes on this node")
