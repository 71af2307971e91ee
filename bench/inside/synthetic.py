"""One rank of a synthetic training benchmark, Horovod's method (examples/pytorch/pytorch_synthetic_benchmark.py):
a fixed random batch, warm-up batches, then ITERATIONS timed iterations of BATCHES batches each;
img/s of an iteration = batch size * BATCHES / its time. Rank 0 prints `BENCH_JSON {...}` with the
per-iteration img/s of one rank; the host multiplies by the number of ranks (as Horovod reports
"Total img/sec") and summarizes (mean +- 1.96 std, bench/figures.py).

Ways: ddp (gloo + DistributedDataParallel, env:// from train.launch), horovod (horovod.torch
DistributedOptimizer, under mpirun), zero1/zero2/zero3 (deepspeed.initialize, CPU accelerator, gloo).
Started as `mpirun -np N --bind-to none python -m train.launch -- python synthetic.py ...`: train.launch
fills RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT from Open MPI's variables.

Each rank pins itself to one core of the container's cpuset (its local rank's), before torch starts
its threads, and uses as many threads as it then has cores (one).

--device cuda (the GPU section; DDP only): one rank per GPU under torchrun, NCCL, the model and the
fixed batch on the rank's GPU, no pinning; every timed iteration ends with a CUDA synchronize, so it
counts the GPU's work and not only the launches. --precision bf16 runs the forward pass under
torch.autocast (mixed precision, as GPU figures are usually quoted); fp32 is Horovod's default.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import timeit


def pin_to_own_core() -> list[int]:
    local_rank = int(os.environ.get("LOCAL_RANK", os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", "0")))
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[local_rank % len(cores)]})
    return sorted(os.sched_getaffinity(0))


def build(model_name: str, image_size: int):
    """(model, sample shape, classes)."""
    import torchvision

    if model_name == "trainyard":
        from train.pytorch.model import build_model
        shape, classes = (3, image_size, image_size), 10
        return build_model(shape, classes), shape, classes
    classes = 1000
    return getattr(torchvision.models, model_name)(num_classes=classes), (3, image_size, image_size), classes


def make_step(way: str, model, batch_size: int, device=None, precision: str = "fp32"):
    """(step function taking (data, target), rank, world size) for one way of training."""
    import torch
    import torch.nn.functional as F

    if way == "ddp":
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        on_gpu = device is not None and device.type == "cuda"
        dist.init_process_group("nccl" if on_gpu else "gloo", init_method="env://")
        model = DistributedDataParallel(model, device_ids=[device.index] if on_gpu else None)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        if precision == "bf16":
            def mixed():
                return torch.autocast("cuda" if on_gpu else "cpu", dtype=torch.bfloat16)
        else:
            mixed = contextlib.nullcontext

        def step(data, target):
            optimizer.zero_grad()
            with mixed():
                loss = F.cross_entropy(model(data), target)
            loss.backward()
            optimizer.step()
        return step, dist.get_rank(), dist.get_world_size()

    if way == "horovod":
        import horovod.torch as hvd

        hvd.init()
        optimizer = hvd.DistributedOptimizer(torch.optim.SGD(model.parameters(), lr=0.01),
                                             named_parameters=model.named_parameters())
        hvd.broadcast_parameters(model.state_dict(), root_rank=0)
        hvd.broadcast_optimizer_state(optimizer, root_rank=0)

        def step(data, target):
            optimizer.zero_grad()
            F.cross_entropy(model(data), target).backward()
            optimizer.step()
        return step, hvd.rank(), hvd.size()

    if way.startswith("zero"):
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
        import deepspeed

        from train.pytorch.deepspeed.launch import avoid_unbuildable_shm_op

        avoid_unbuildable_shm_op()
        deepspeed.init_distributed(dist_backend="gloo")
        ds_config = {
            "train_micro_batch_size_per_gpu": batch_size,
            "gradient_accumulation_steps": 1,
            "zero_optimization": {"stage": int(way.removeprefix("zero"))},
            # The optimizer is torch's SGD, as for DDP and Horovod: ZeRO must be told that is fine.
            "zero_allow_untested_optimizer": True,
            "steps_per_print": 10**9,
        }
        engine, _, _, _ = deepspeed.initialize(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
                                               config=ds_config)

        def step(data, target):
            loss = F.cross_entropy(engine(data), target)
            engine.backward(loss)
            engine.step()
        return step, engine.global_rank, engine.world_size

    raise ValueError(f"unknown way {way!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--way", required=True, choices=("ddp", "horovod", "zero1", "zero2", "zero3"))
    parser.add_argument("--model", required=True, choices=("resnet18", "resnet50", "trainyard"))
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--warmup-batches", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--batches-per-iteration", type=int, default=2)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--profile-batches", type=int, default=0,
                        help="after the timed iterations, this many batches under torch.profiler (rank 0 reports)")
    args = parser.parse_args()
    if args.device == "cuda" and args.way != "ddp":
        raise SystemExit(f"error: --device cuda measures DDP only, not {args.way}")

    affinity = pin_to_own_core() if args.device == "cpu" else sorted(os.sched_getaffinity(0))
    import torch

    device = gpu_of_this_rank() if args.device == "cuda" else None
    if device is None:
        torch.set_num_threads(len(affinity))
    torch.manual_seed(0)
    model, shape, classes = build(args.model, args.image_size)
    if device is not None:
        model = model.to(device)
    step, rank, world_size = make_step(args.way, model, args.batch_size, device, args.precision)
    data = torch.randn(args.batch_size, *shape, device=device)
    target = torch.randint(0, classes, (args.batch_size,), device=device)

    def seconds_for(batches: int) -> float:
        started = timeit.default_timer()
        for _ in range(batches):
            step(data, target)
        if device is not None:
            torch.cuda.synchronize(device)   # kernels run asynchronously: wait for the last batch's
        return timeit.default_timer() - started

    seconds_for(args.warmup_batches)
    img_per_sec = []
    for _ in range(args.iterations):
        img_per_sec.append(args.batch_size * args.batches_per_iteration / seconds_for(args.batches_per_iteration))
    profiled = profile_batches(lambda: step(data, target), args.profile_batches) if args.profile_batches else None
    if rank == 0:
        print("BENCH_JSON " + json.dumps({
            "way": args.way, "model": args.model, "world_size": world_size, "affinity": affinity,
            "threads": torch.get_num_threads(), "input_shape": [args.batch_size, *shape],
            "device": torch.cuda.get_device_name(device) if device is not None else "cpu",
            "precision": args.precision, "img_per_sec_per_rank": img_per_sec, "profile": profiled}), flush=True)


def gpu_of_this_rank():
    """The GPU of this rank (torchrun's LOCAL_RANK), made current; a clear error when there is none."""
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("error: --device cuda needs a CUDA GPU, and torch sees none here "
                         "(in Docker: docker run --gpus all, with the NVIDIA Container Toolkit installed)")
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    torch.cuda.set_device(device)
    return device


def profile_batches(one_batch, batches: int, top: int = 25) -> dict:
    """Where a batch's time goes: torch.profiler's CPU events, the `top` ones by self time (the time
    inside the op itself, on every thread: DDP's gloo work runs on the process group's own thread),
    as milliseconds per batch, with the wall time of a batch to compare them with."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        started = timeit.default_timer()
        for _ in range(batches):
            one_batch()
        wall = (timeit.default_timer() - started) / batches
    events = sorted(profiler.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    return {"batches": batches, "wall_ms_per_batch": wall * 1e3,
            "self_cpu_ms_per_batch_all_events": sum(e.self_cpu_time_total for e in events) / 1e3 / batches,
            "top": [{"name": e.key, "calls_per_batch": e.count / batches,
                     "self_cpu_ms_per_batch": e.self_cpu_time_total / 1e3 / batches} for e in events[:top]]}


if __name__ == "__main__":
    main()
