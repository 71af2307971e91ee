"""The arithmetic of the figures, kept pure so it is unit-tested without torch or Docker.

Bus bandwidth follows nccl-tests (doc/PERFORMANCE.md): algbw = bytes / time, and for all-reduce
busbw = algbw * 2(n-1)/n, which makes the figure comparable with the link's own speed whatever n is.
Throughput spreads follow Horovod's synthetic benchmark: mean +- 1.96 * standard deviation over the
timed iterations (population std, numpy's default, as Horovod computes it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def all_reduce_bandwidth(size_bytes: int, seconds: float, world_size: int) -> tuple[float, float]:
    """(algbw, busbw) in bytes/s for one all-reduce of `size_bytes` taking `seconds`."""
    if seconds <= 0:
        raise ValueError(f"an all-reduce cannot take {seconds} s")
    algbw = size_bytes / seconds
    return algbw, algbw * 2 * (world_size - 1) / world_size


@dataclass(frozen=True)
class Spread:
    """A mean and its +- half-width (1.96 * std: a 95 % interval if the iterations were normal)."""
    mean: float
    half_width: float

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "plus_minus": self.half_width}

    def __str__(self) -> str:
        return f"{self.mean:.1f} ± {self.half_width:.1f}"


def summarize(samples: list[float]) -> Spread:
    """Horovod's summary of per-iteration throughputs: mean +- 1.96 * population std."""
    if not samples:
        raise ValueError("no samples to summarize")
    mean = sum(samples) / len(samples)
    std = math.sqrt(sum((x - mean) ** 2 for x in samples) / len(samples))
    return Spread(mean, 1.96 * std)


def scaling_efficiency(one_rank: Spread, n_ranks: Spread, ranks: int = 2) -> Spread:
    """E(n) = throughput(n) / (n * throughput(1)); the half-width adds the two relative half-widths
    in quadrature (first-order error propagation of a ratio of independent measurements)."""
    if one_rank.mean <= 0:
        raise ValueError("one rank's throughput must be positive")
    efficiency = n_ranks.mean / (ranks * one_rank.mean)
    relative = math.hypot(one_rank.half_width / one_rank.mean,
                          n_ranks.half_width / n_ranks.mean if n_ranks.mean else 0.0)
    return Spread(efficiency, efficiency * relative)


def link_ratio(busbw_by_size: dict[int, float], iperf3_bits_per_second: float,
               from_bytes: int = 64 * 2**20) -> float | None:
    """Mean busbw over the sizes >= `from_bytes`, as a fraction of the iperf3 line rate (None if no
    such size was measured). Big messages are bandwidth-bound, so this says how much of the wire
    the collective library uses."""
    big = [busbw for size, busbw in busbw_by_size.items() if size >= from_bytes]
    if not big or iperf3_bits_per_second <= 0:
        return None
    return (sum(big) / len(big)) * 8 / iperf3_bits_per_second
