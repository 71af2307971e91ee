"""Random CIFAR-shaped data for measuring throughput; accuracy on it means nothing."""

from __future__ import annotations

import numpy as np

from train.common.data.arrays import ArrayDataset

_TRAIN_SAMPLES = 4096
_TEST_SAMPLES = 512


def load_synthetic_dataset(seed: int) -> ArrayDataset:
    rng = np.random.default_rng(seed)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, 3, 32, 32), dtype=np.float32)
        return x, rng.integers(0, 10, size=n, dtype=np.int64)

    train_x, train_y = draw(_TRAIN_SAMPLES)
    test_x, test_y = draw(_TEST_SAMPLES)
    return ArrayDataset("synthetic", train_x, train_y, test_x, test_y, num_classes=10)
