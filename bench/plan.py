"""What one `make bench` measures, and how long that should take.

The sizes and iteration counts are chosen so that the whole run stays under 30 minutes on a 2-core
machine (the slowest we support): the scaling section is the bulk of it. The estimate is printed
before anything starts; its per-run costs were measured on such a machine (2 cores, no GPU), so on a
bigger machine it is pessimistic.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 2**10
MIB = 2**20
# nccl-tests' usual sweep, in powers of 4 to keep the section short: 4 KiB .. 256 MiB.
ALL_REDUCE_SIZES = tuple(4 * KIB * 4**k for k in range(9))
# Roughly this many bytes are all-reduced per size, so big sizes get few iterations and small ones
# many; each size gets at least MIN and at most MAX timed iterations.
BYTES_PER_SIZE = 1 * 2**30
MIN_ITERATIONS, MAX_ITERATIONS = 3, 50

# In the order they run: if the time budget runs out, ResNet-50 (the slowest by far) is what is cut.
MODELS = ("resnet18", "trainyard", "resnet50")
# The ways a model is trained: DDP, Horovod, DeepSpeed ZeRO stages 1-3.
WAYS = ("ddp", "horovod", "zero1", "zero2", "zero3")
RANKS = (1, 2)

# Seconds, measured on a 2-core machine (see the README): fixed cost of one scaling run (python,
# torch and the framework imported, the process group formed), and one training batch of each model
# on one core at the plan's sizes.
RUN_OVERHEAD_S = {"ddp": 12.0, "horovod": 14.0, "zero1": 20.0, "zero2": 20.0, "zero3": 22.0}
BATCH_S = {"resnet18": 0.5, "trainyard": 0.02, "resnet50": 1.5}
# Batches per timed iteration, so that an iteration lasts about a second or more: train.pytorch's
# model takes milliseconds a batch, and with 2 batches an iteration was ~40 ms, which the scheduler's
# noise alone swings by half (E(2) 0.53 ± 0.50 on 2026-11-23).
BATCHES_PER_ITERATION = {"resnet18": 2, "trainyard": 50, "resnet50": 2}
LINK_SECTION_S = 150.0     # iperf3 + both all-reduce sweeps, containers included
STARTUP_UP_S = 40.0        # one warm `compose up` to the first step, and its `down`
PLOTS_S = 20.0


@dataclass(frozen=True)
class ScalingRun:
    model: str
    way: str
    ranks: int


@dataclass(frozen=True)
class Plan:
    sections: tuple[str, ...] = ("link", "scaling", "startup", "gpu")
    sizes: tuple[int, ...] = ALL_REDUCE_SIZES
    models: tuple[str, ...] = MODELS
    ways: tuple[str, ...] = WAYS
    ranks: tuple[int, ...] = RANKS
    # Horovod's synthetic-benchmark shape, small enough for 2 CPU cores (224x224 ResNet-50 takes
    # many seconds a batch there). train.pytorch's own model gets the CIFAR-10 shape it is built for.
    image_size: int = 64
    trainyard_image_size: int = 32
    batch_size: int = 16
    warmup_batches: int = 2
    iterations: int = 5
    iperf_seconds: int = 5
    startup_repeats: int = 2

    def scaling_runs(self) -> list[ScalingRun]:
        return [ScalingRun(model, way, ranks) for model in self.models for way in self.ways for ranks in self.ranks]

    def batches_per_iteration(self, model: str) -> int:
        return BATCHES_PER_ITERATION[model]

    def batches_per_run(self, model: str) -> int:
        return self.warmup_batches + self.iterations * self.batches_per_iteration(model)

    def estimate_seconds(self) -> dict[str, float]:
        estimate = {}
        if "link" in self.sections:
            estimate["link"] = LINK_SECTION_S
        if "scaling" in self.sections:
            # Batch time on one core; 2 ranks each do the same batches (plus the all-reduce) in parallel.
            estimate["scaling"] = sum(RUN_OVERHEAD_S[run.way] + BATCH_S[run.model] * self.batches_per_run(run.model) * 1.2
                                      for run in self.scaling_runs())
        if "startup" in self.sections:
            estimate["startup"] = STARTUP_UP_S * self.startup_repeats
        estimate["plots"] = PLOTS_S
        return estimate

    def as_dict(self) -> dict:
        return {"sizes_bytes": list(self.sizes), "models": list(self.models), "ways": list(self.ways),
                "ranks": list(self.ranks), "image_size": self.image_size,
                "trainyard_image_size": self.trainyard_image_size, "batch_size": self.batch_size,
                "warmup_batches": self.warmup_batches, "iterations": self.iterations,
                "batches_per_iteration": {model: self.batches_per_iteration(model) for model in self.models},
                "iperf_seconds": self.iperf_seconds,
                "startup_repeats": self.startup_repeats}


def all_reduce_iterations(size_bytes: int) -> tuple[int, int]:
    """(warm-up, timed) iterations for one message size."""
    timed = max(MIN_ITERATIONS, min(MAX_ITERATIONS, BYTES_PER_SIZE // size_bytes))
    warmup = 1 if size_bytes >= 64 * MIB else 3
    return warmup, timed
