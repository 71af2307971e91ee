"""Section 4: the same figures on GPUs, when the host has them: NCCL all-reduce bus bandwidth, and
ResNet-50 img/s with DDP on 1 GPU and on all of them.

A GPU counts as present when `nvidia-smi -L` lists one on the host. Without one the section says
"not measured: no GPU", which is a result, not a failure. With GPUs, one container of the PyTorch
image gets all of them (`docker run --gpus all`) and runs, under torchrun, one rank per GPU:
- bench/inside/allreduce.py --backend nccl over nccl-tests' sizes, with nccl-tests' default counts
  (5 warm-up, 20 timed all-reduces per size). busbw = algbw * 2(n-1)/n: with one GPU it is 0 by
  definition (nothing crosses a link), so the table then shows algbw, the GPU's own reduction rate.
- bench/inside/synthetic.py --device cuda: Horovod's synthetic benchmark with its defaults
  (ResNet-50, 224x224, batch 32 per GPU, 10 warm-up batches, 10 iterations of 10 batches), in fp32
  and in bf16 mixed precision; with n GPUs also E(n) = img/s(n) / (n * img/s(1)).
Written without a GPU to check it on (none has been lent to this project's sessions yet): its CPU
side is unit-tested, and each in-container script refuses clearly where torch sees no GPU.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass

from bench.commands import BenchError, json_line, run
from bench.containers import BENCH_MOUNT, ContainerSpec, started
from bench.figures import Spread, scaling_efficiency, summarize
from bench.link import bandwidth_rows
from bench.pinning import usable_cores
from bench.plan import Plan
from bench.progress import Progress

NVIDIA_SMI_TIMEOUT_S = 30
RUN_TIMEOUT_S = 600
# nccl-tests' defaults: -w 5 warm-up and -n 20 timed iterations per size.
NCCL_WARMUP, NCCL_ITERATIONS = 5, 20
PRECISIONS = ("fp32", "bf16")
# Seconds on one modern GPU (estimated, not measured here): the sweep, and each ResNet-50 run with its start-up.
SECTION_S_PER_RUN = 60.0


@dataclass(frozen=True)
class ResNetRun:
    precision: str
    gpus: int


def gpus_on_host() -> list[str]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        result = run(["nvidia-smi", "-L"], timeout=NVIDIA_SMI_TIMEOUT_S, check=False)
    except BenchError:
        return []
    return [line for line in result.stdout.splitlines() if line.startswith("GPU ")] if result.returncode == 0 else []


def resnet_runs(gpu_count: int) -> list[ResNetRun]:
    """Each precision on 1 GPU and, when there are more, on all of them."""
    counts = [1] if gpu_count <= 1 else [1, gpu_count]
    return [ResNetRun(precision, gpus) for precision in PRECISIONS for gpus in counts]


def estimate_seconds(gpu_count: int) -> float:
    return SECTION_S_PER_RUN * (1 + len(resnet_runs(gpu_count))) if gpu_count else 0.0


def torchrun(gpus: int, script: str, *args: str) -> list[str]:
    return ["torchrun", "--standalone", f"--nproc-per-node={gpus}", f"{BENCH_MOUNT}/inside/{script}", *args]


def nccl_sweep_command(plan: Plan, gpus: int) -> list[str]:
    sweep = ",".join(f"{size}:{NCCL_WARMUP}:{NCCL_ITERATIONS}" for size in plan.sizes)
    return torchrun(gpus, "allreduce.py", "--backend", "nccl", "--plan", sweep)


def resnet_command(run_: ResNetRun) -> list[str]:
    return torchrun(run_.gpus, "synthetic.py", "--device", "cuda", "--way", "ddp", "--model", "resnet50",
                    "--image-size", "224", "--batch-size", "32", "--warmup-batches", "10", "--iterations", "10",
                    "--batches-per-iteration", "10", "--precision", run_.precision)


def resnet_efficiencies(runs: list[dict]) -> list[dict]:
    """E(n) per precision, from the 1-GPU and the all-GPU runs that succeeded."""
    found = []
    for precision in PRECISIONS:
        measured = {r["gpus"]: r for r in runs if r["precision"] == precision and "img_per_sec" in r}
        one, most = measured.get(1), max(measured, default=1)
        if one is None or most == 1:
            continue
        spread = scaling_efficiency(_spread(one), _spread(measured[most]), most)
        found.append({"precision": precision, "gpus": most, "efficiency": spread.as_dict()})
    return found


def measure_gpu(plan: Plan, spec: ContainerSpec, prefix: str, progress: Progress) -> dict:
    gpus = gpus_on_host()
    if not gpus:
        return {"status": "not measured: no GPU", "reason": "nvidia-smi is missing or lists no GPU"}
    section: dict = {"gpus": gpus, "how": {
        "container": "one container of the PyTorch image, docker run --gpus all --ipc host; torchrun, one rank per GPU",
        "nccl": f"float32 sum over NCCL, {NCCL_WARMUP} warm-up + {NCCL_ITERATIONS} timed per size (nccl-tests' "
                "defaults), slowest rank; algbw = bytes/time, busbw = algbw * 2(n-1)/n",
        "resnet50": "Horovod's synthetic benchmark defaults: 224x224, batch 32 per GPU, 10 warm-up batches, "
                    "10 iterations of 10 batches, DDP over NCCL, SGD; fp32 and bf16 autocast",
    }, "resnet50": []}
    cores = ",".join(str(core) for core in usable_cores())
    with started(spec, f"{prefix}gpu", cores, gpus=True) as container:
        progress.say(f"gpu: NCCL all-reduce over {len(gpus)} GPU(s), {len(plan.sizes)} sizes")
        try:
            result = container.exec(nccl_sweep_command(plan, len(gpus)), timeout=RUN_TIMEOUT_S)
            section["nccl"] = bandwidth_rows(json.loads(json_line(result.stdout + result.stderr)))
        except BenchError as exc:
            section["nccl"] = {"error": str(exc)}
        for run_ in resnet_runs(len(gpus)):
            progress.say(f"gpu: ResNet-50 {run_.precision} on {run_.gpus} GPU(s)")
            key = {"precision": run_.precision, "gpus": run_.gpus}
            try:
                result = container.exec(resnet_command(run_), timeout=RUN_TIMEOUT_S)
                raw = json.loads(json_line(result.stdout + result.stderr))
                total = [run_.gpus * per_rank for per_rank in raw["img_per_sec_per_rank"]]
                section["resnet50"].append({**key, "img_per_sec": summarize(total).as_dict(), "samples": total,
                                            "device": raw["device"]})
            except BenchError as exc:
                section["resnet50"].append({**key, "error": str(exc)})
    section["efficiency"] = resnet_efficiencies(section["resnet50"])
    failed = ("error" in section["nccl"]) + sum("error" in r for r in section["resnet50"])
    section["status"] = "ok" if not failed else ("failed" if failed == 1 + len(section["resnet50"]) else "partly failed")
    return section


def _spread(run_: dict) -> Spread:
    return Spread(run_["img_per_sec"]["mean"], run_["img_per_sec"]["plus_minus"])
