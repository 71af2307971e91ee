"""One rank of the all-reduce sweep (runs inside trainyard/pytorch; the host's bench/link.py starts it).

    --backend gloo: torch.distributed over gloo, init_method tcp://MASTER (rank and world size given)
    --backend mpi:  mpi4py's comm.Allreduce on numpy buffers, under mpirun (rank and size from MPI)
    --backend nccl: torch.distributed over NCCL on CUDA buffers, one rank per GPU under torchrun
                    (rank, world size and local rank from torchrun's variables)

For each size: warm-up all-reduces, a barrier, then the timed ones; a rank's time is the mean of its
timed iterations and the size's time is the slowest rank's (nccl-tests' method). Rank 0 prints one
line `BENCH_JSON {...}` with the raw times; the host turns them into algbw/busbw (bench/figures.py).
float32 buffers of ones, summed: after k all-reduces every element is world_size**k, which is checked.
(NCCL: with 8 GPUs that power overflows float32, so its result is checked on a first, untimed
all-reduce of each size instead, and the timed ones only keep the buffer busy.)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time


def parse_plan(text: str) -> list[tuple[int, int, int]]:
    """"bytes:warmup:timed,..." -> [(bytes, warmup, timed), ...]"""
    return [tuple(int(part) for part in item.split(":")) for item in text.split(",")]


def sweep_gloo(plan, rank: int, world_size: int, master: str) -> tuple[list[dict], list[str]]:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    dist.init_process_group("gloo", init_method=f"tcp://{master}", rank=rank, world_size=world_size)
    results = []
    try:
        for size, warmup, timed in plan:
            tensor = torch.ones(size // 4, dtype=torch.float32)
            for _ in range(warmup):
                dist.all_reduce(tensor)
            dist.barrier()
            start = time.perf_counter()
            for _ in range(timed):
                dist.all_reduce(tensor)
            seconds = torch.tensor([(time.perf_counter() - start) / timed], dtype=torch.float64)
            dist.all_reduce(seconds, op=dist.ReduceOp.MAX)
            ok = float(tensor[0]) == float(world_size) ** (warmup + timed)
            results.append({"bytes": size, "warmup": warmup, "iterations": timed, "seconds": float(seconds), "ok": ok})
        hosts = [None] * world_size
        dist.all_gather_object(hosts, socket.gethostname())
    finally:
        dist.destroy_process_group()
    return results, hosts


def sweep_nccl(plan) -> tuple[list[dict], list[str], int, int]:
    import torch
    import torch.distributed as dist

    if not torch.cuda.is_available():
        raise SystemExit("error: --backend nccl needs a CUDA GPU, and torch sees none here "
                         "(in Docker: docker run --gpus all, with the NVIDIA Container Toolkit installed)")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)
    dist.init_process_group("nccl", init_method="env://")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    results = []
    try:
        for size, warmup, timed in plan:
            tensor = torch.ones(size // 4, dtype=torch.float32, device=device)
            dist.all_reduce(tensor)
            ok = bool((tensor == float(world_size)).all())
            for _ in range(warmup):
                dist.all_reduce(tensor)
            torch.cuda.synchronize(device)
            dist.barrier()
            torch.cuda.synchronize(device)
            start = time.perf_counter()
            for _ in range(timed):
                dist.all_reduce(tensor)
            torch.cuda.synchronize(device)   # NCCL calls return once queued: time until they are done
            seconds = torch.tensor([(time.perf_counter() - start) / timed], dtype=torch.float64, device=device)
            dist.all_reduce(seconds, op=dist.ReduceOp.MAX)
            results.append({"bytes": size, "warmup": warmup, "iterations": timed, "seconds": float(seconds), "ok": ok})
        hosts = [None] * world_size
        dist.all_gather_object(hosts, f"{socket.gethostname()}:{torch.cuda.get_device_name(device)}")
    finally:
        dist.destroy_process_group()
    return results, hosts, rank, world_size


def sweep_mpi(plan) -> tuple[list[dict], list[str], int, int]:
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    results = []
    for size, warmup, timed in plan:
        buffer = np.ones(size // 4, dtype=np.float32)
        for _ in range(warmup):
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(timed):
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        seconds = comm.allreduce((time.perf_counter() - start) / timed, op=MPI.MAX)
        ok = float(buffer[0]) == float(comm.size) ** (warmup + timed)
        results.append({"bytes": size, "warmup": warmup, "iterations": timed, "seconds": seconds, "ok": ok})
    hosts = comm.allgather(socket.gethostname())
    return results, hosts, comm.rank, comm.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("gloo", "mpi", "nccl"), required=True)
    parser.add_argument("--plan", type=parse_plan, required=True, help="bytes:warmup:timed,...")
    parser.add_argument("--rank", type=int, default=0)
    parser.add_argument("--world-size", type=int, default=1)
    parser.add_argument("--master", default="127.0.0.1:29500", help="gloo: host:port of rank 0")
    # compose.mpi.yaml's node 0 appends it to every MPI command: unused here.
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend == "gloo":
        results, hosts = sweep_gloo(args.plan, args.rank, args.world_size, args.master)
        rank, world_size = args.rank, args.world_size
    elif args.backend == "nccl":
        results, hosts, rank, world_size = sweep_nccl(args.plan)
    else:
        results, hosts, rank, world_size = sweep_mpi(args.plan)
    if rank == 0:
        print("BENCH_JSON " + json.dumps({"backend": args.backend, "world_size": world_size, "hosts": hosts,
                                          "affinity": sorted(os.sched_getaffinity(0)), "results": results}),
              flush=True)


if __name__ == "__main__":
    main()
