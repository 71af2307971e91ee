"""The doctor's PyTorch checks (train.doctor runs them): torch and NCCL, Horovod, DeepSpeed, and the
all-reduce every rank runs under a distributed launch, timed with nccl-tests' definitions:
algbw = bytes / time, busbw = algbw x 2(n-1)/n. Frameworks are imported inside each check, so that a
missing or broken one is a FAIL line, not a crash.
"""

from __future__ import annotations

import socket
import time

from train.common.reporting.health_check import Check


def check_torch(gpu_ready: bool) -> list[Check]:
    import torch

    checks = [Check("torch", "OK", f"{torch.__version__} (CUDA build {torch.version.cuda or 'none'})")]
    if gpu_ready and not torch.version.cuda:
        checks[0] = Check("torch", "FAIL", f"{torch.__version__} has no CUDA build; this GPU-ready image promises one")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    names = ", ".join(torch.cuda.get_device_name(i) for i in range(count))
    checks.append(Check("gpus", "OK" if count or not gpu_ready else "WARN",
                        f"{count} visible" + (f": {names}" if names else
                                              " (this machine has none: GPU code is idle, CPU paths run)")))
    try:
        nccl = ".".join(map(str, torch.cuda.nccl.version()))
        checks.append(Check("nccl", "OK", nccl))
    except Exception as exc:  # noqa: BLE001 - a CPU-only torch has no NCCL at all
        checks.append(Check("nccl", "FAIL" if gpu_ready else "OK", f"not available ({exc})"))
    return checks


def check_horovod(gpu_ready: bool) -> list[Check]:
    try:
        import horovod
        import horovod.torch as hvd
    except Exception as exc:  # noqa: BLE001
        return [Check("horovod", "FAIL", f"{type(exc).__name__}: {exc}")]
    # nccl_built() is NCCL's version number (0 without NCCL).
    built = {"pytorch": True, "mpi": bool(hvd.mpi_built()), "gloo": bool(hvd.gloo_built()),
             "nccl": bool(hvd.nccl_built())}
    wanted = ["pytorch", "mpi", "gloo"] + (["nccl"] if gpu_ready else [])
    missing = [name for name in wanted if not built[name]]
    detail = f"{horovod.__version__}, built with " + ", ".join(n for n, ok in built.items() if ok)
    if built["nccl"]:
        detail += " (NCCL GPU operations)"
    return [Check("horovod", "FAIL" if missing else "OK",
                  detail + (f"; MISSING {', '.join(missing)}" if missing else ""))]


def check_deepspeed(gpu_ready: bool) -> list[Check]:
    try:
        import deepspeed
        from deepspeed.accelerator import get_accelerator
        from deepspeed.git_version_info import installed_ops
    except Exception as exc:  # noqa: BLE001
        return [Check("deepspeed", "FAIL", f"{type(exc).__name__}: {exc}")]
    prebuilt = sorted(name for name, ok in installed_ops.items() if ok)
    wanted = ["fused_adam", "cpu_adam"] if gpu_ready else []
    missing = [name for name in wanted if not installed_ops.get(name)]
    detail = (f"{deepspeed.__version__}, accelerator {get_accelerator().device_name()}, "
              f"prebuilt ops: {', '.join(prebuilt) or 'none (JIT only)'}")
    return [Check("deepspeed", "FAIL" if missing else "OK",
                  detail + (f"; MISSING prebuilt {', '.join(missing)}" if missing else ""))]


def bus_bandwidth(size_bytes: int, seconds: float, world_size: int) -> tuple[float, float]:
    """(algbw, busbw) in bytes/s for one all-reduce, as nccl-tests define them."""
    algbw = size_bytes / seconds
    return algbw, algbw * 2 * (world_size - 1) / world_size


def all_reduce_test(size_bytes: int, iterations: int) -> list[str]:
    """Every rank: a timed all-reduce; rank 0 gets the lines to print (others: [])."""
    import torch
    import torch.distributed as dist

    from train.launch_env import detect
    from train.pytorch.backend import choose_backend
    from train.pytorch.process_group import COLLECTIVE_TIMEOUT

    launch = detect()
    choice = choose_backend(torch.cuda.is_available(), torch.cuda.device_count(),
                            launch.local_rank, launch.local_world_size)
    device = torch.device(choice.device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(choice.backend, init_method=launch.init_method,
                            rank=launch.rank, world_size=launch.world_size, timeout=COLLECTIVE_TIMEOUT)
    try:
        tensor = torch.ones(size_bytes // 4, dtype=torch.float32, device=device)
        dist.all_reduce(tensor)   # warm-up: connections, buffers
        if device.type == "cuda":
            torch.cuda.synchronize()
        dist.barrier()
        start = time.perf_counter()
        for _ in range(iterations):
            dist.all_reduce(tensor)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = (time.perf_counter() - start) / iterations
        ok = bool(torch.allclose(tensor[:4].cpu(), torch.full((4,), float(launch.world_size) ** (iterations + 1))))
        per_rank = [None] * launch.world_size
        dist.all_gather_object(per_rank, (socket.gethostname(), launch.rank, seconds, ok))
    finally:
        dist.destroy_process_group()
    if launch.rank != 0:
        return []
    slowest = max(entry[2] for entry in per_rank)
    algbw, busbw = bus_bandwidth(size_bytes, slowest, launch.world_size)
    lines = [(f"all-reduce: {launch.world_size} ranks, backend {choice.backend}, "
              f"{size_bytes / 2**20:.0f} MiB x {iterations}: time {slowest * 1e3:.1f} ms, "
              f"algbw {algbw / 1e9:.3f} GB/s, busbw {busbw / 1e9:.3f} GB/s")]
    lines += [f"  rank {r} on {h}: {s * 1e3:.1f} ms{'' if ok else ' WRONG RESULT'}"
              for h, r, s, ok in sorted(per_rank, key=lambda e: e[1])]
    if not all(entry[3] for entry in per_rank):
        lines.append("FAIL all-reduce gave a wrong sum on some rank")
    return lines
