"""Which sample indices each rank trains on, batch by batch: DistributedSampler's rule, in numpy.

Every epoch all ranks draw the same permutation (seeded by seed and epoch, nothing else), pad it by
repeating its head so it splits evenly, and take every world_size-th index from their rank on. So every
rank has the same number of batches (collectives stay in step), and the order is a pure function of
(seed, epoch): a resumed run can skip the batches an interrupted run finished, without replaying them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ShardPlan:
    num_samples: int
    rank: int
    world_size: int
    batch_size: int
    seed: int

    def __post_init__(self) -> None:
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank {self.rank} outside world size {self.world_size}")
        if self.num_samples < 1 or self.batch_size < 1:
            raise ValueError("num_samples and batch_size must be >= 1")

    @property
    def shard_size(self) -> int:
        return math.ceil(self.num_samples / self.world_size)

    @property
    def steps_per_epoch(self) -> int:
        # The last batch may be short; it is kept so that no sample is dropped every epoch.
        return math.ceil(self.shard_size / self.batch_size)

    def shard_indices(self, epoch: int) -> np.ndarray:
        order = np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)
        padded_len = self.shard_size * self.world_size
        order = np.resize(order, padded_len)   # np.resize repeats from the start to pad
        return order[self.rank::self.world_size]

    def batches(self, epoch: int, skip: int = 0) -> list[np.ndarray]:
        """Index batches of `epoch` for this rank, without the first `skip` (already trained)."""
        shard = self.shard_indices(epoch)
        starts = range(skip * self.batch_size, len(shard), self.batch_size)
        return [shard[start:start + self.batch_size] for start in starts]
