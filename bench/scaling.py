"""Section 2: how throughput scales from 1 to 2 ranks, for each model and way of training.

One container of the PyTorch image holding both cores; every run is
`mpirun -np R --bind-to none python -m train.launch -- python synthetic.py ...` in it, and each rank
pins itself to its own core (bench/inside/synthetic.py), so 1 rank has 1 core and 2 ranks have 2.
E(2) = throughput(2 ranks) / (2 x throughput(1 rank)): 1.0 is perfect scaling.
"""

from __future__ import annotations

import json

from bench.commands import BenchError, json_line
from bench.containers import BENCH_MOUNT, ContainerSpec, started
from bench.figures import Spread, scaling_efficiency, summarize
from bench.pinning import Pinning
from bench.plan import BATCH_S, RUN_OVERHEAD_S, Plan, ScalingRun
from bench.progress import Progress

RUN_TIMEOUT_FLOOR_S = 180
MASTER_PORT_BASE = 29600
# DDP runs end with this many batches under torch.profiler (about a second's worth): the table of
# where a batch's time goes, with 1 rank and with 2 (what the second rank adds is the all-reduce).
PROFILE_BATCHES = {"trainyard": 50, "resnet18": 4, "resnet50": 2}
PROFILED_WAYS = ("ddp",)


def measure_scaling(plan: Plan, spec: ContainerSpec, pinning: Pinning, prefix: str, progress: Progress,
                    reserve_s: float = 0.0) -> dict:
    """`reserve_s`: time the sections after this one need; runs that would eat into it are skipped."""
    runs = plan.scaling_runs()
    section: dict = {"how": {
        "container": f"one container, --cpuset-cpus {pinning.both}; each rank pinned to its own core "
                     "(sched_setaffinity in the rank), torch threads = its cores (1)"
                     + ("; ONE core only: both ranks share it" if pinning.shared_core else ""),
        "launch": "mpirun -np R --bind-to none python -m train.launch -- python bench/inside/synthetic.py",
        "method": "Horovod's pytorch_synthetic_benchmark: fixed random batch, warm-up batches, then "
                  "iterations of several batches; img/s = ranks x per-rank img/s, mean ± 1.96 std over iterations",
        "input": {"resnet": [plan.batch_size, 3, plan.image_size, plan.image_size],
                  "trainyard": [plan.batch_size, 3, plan.trainyard_image_size, plan.trainyard_image_size]},
        "profile": f"{', '.join(PROFILED_WAYS)} runs: then {PROFILE_BATCHES} batches under torch.profiler (CPU); "
                   "rank 0's events by self CPU time, ms per batch",
        "ways": {"ddp": "gloo + DistributedDataParallel", "horovod": "horovod.torch DistributedOptimizer (MPI controller)",
                 "zero1": "DeepSpeed ZeRO-1", "zero2": "DeepSpeed ZeRO-2", "zero3": "DeepSpeed ZeRO-3",
                 "all": "torch SGD lr 0.01, fp32, CPU (DeepSpeed: DS_ACCELERATOR=cpu, gloo)"},
    }, "runs": []}
    with started(spec, f"{prefix}scaling", pinning.both) as container:
        for number, run in enumerate(runs, 1):
            expected = _expected_seconds(plan, run)
            if progress.over_budget(expected + reserve_s):
                section["runs"].append({**_key(run), "error": "skipped: the bench's time budget would be exceeded"})
                continue
            progress.say(f"scaling {number}/{len(runs)}: {run.model} {run.way} {run.ranks} rank(s)")
            try:
                port = MASTER_PORT_BASE + number   # a fresh port per run: no wait for the last one's to close
                section["runs"].append({**_key(run), **_one_run(container, plan, run, expected, port)})
            except BenchError as exc:
                section["runs"].append({**_key(run), "error": str(exc)})
    section["efficiency"] = efficiencies(section["runs"])
    failed = [r for r in section["runs"] if "error" in r]
    section["status"] = "ok" if not failed else ("failed" if len(failed) == len(runs) else "partly failed")
    return section


def _key(run: ScalingRun) -> dict:
    return {"model": run.model, "way": run.way, "ranks": run.ranks}


def _expected_seconds(plan: Plan, run: ScalingRun) -> float:
    return RUN_OVERHEAD_S[run.way] + BATCH_S[run.model] * plan.batches_per_run(run.model) * 1.2


def _one_run(container, plan: Plan, run: ScalingRun, expected: float, port: int) -> dict:
    image_size = plan.trainyard_image_size if run.model == "trainyard" else plan.image_size
    command = ["mpirun", "-np", str(run.ranks), "--bind-to", "none", "--oversubscribe", "-x", f"MASTER_PORT={port}",
               "python", "-m", "train.launch", "--", "python", f"{BENCH_MOUNT}/inside/synthetic.py",
               "--way", run.way, "--model", run.model, "--image-size", str(image_size),
               "--batch-size", str(plan.batch_size), "--warmup-batches", str(plan.warmup_batches),
               "--iterations", str(plan.iterations), "--batches-per-iteration", str(plan.batches_per_iteration(run.model))]
    if run.way in PROFILED_WAYS:
        command += ["--profile-batches", str(PROFILE_BATCHES[run.model])]
    result = container.exec(command, timeout=max(RUN_TIMEOUT_FLOOR_S, 4 * expected))
    raw = json.loads(json_line(result.stdout + result.stderr))
    total = [run.ranks * per_rank for per_rank in raw["img_per_sec_per_rank"]]
    found = {"img_per_sec": summarize(total).as_dict(), "samples": total,
             "affinity_rank_0": raw["affinity"], "threads": raw["threads"], "input_shape": raw["input_shape"]}
    return {**found, "profile": raw["profile"]} if raw.get("profile") else found


def efficiencies(runs: list[dict]) -> list[dict]:
    """E(2) for every model and way measured with both 1 and 2 ranks."""
    by_key = {(r["model"], r["way"], r["ranks"]): r for r in runs if "img_per_sec" in r}
    found = []
    for (model, way, ranks), two in by_key.items():
        one = by_key.get((model, way, 1))
        if ranks != 2 or one is None:
            continue
        spread = scaling_efficiency(_spread(one), _spread(two))
        found.append({"model": model, "way": way, "e2": spread.as_dict()})
    return found


def _spread(run: dict) -> Spread:
    return Spread(run["img_per_sec"]["mean"], run["img_per_sec"]["plus_minus"])
