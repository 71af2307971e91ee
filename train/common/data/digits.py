"""scikit-learn's 8x8 handwritten digits: 1,797 samples that ship inside scikit-learn (no download).

The held-out split is fixed (its own constant seed, not --seed) so that accuracies of runs with
different seeds or world sizes are measured on the same images.
"""

from __future__ import annotations

import numpy as np

from train.common.data.arrays import ArrayDataset

_SPLIT_SEED = 20240101
_TEST_FRACTION = 0.2


def load_digits_dataset() -> ArrayDataset:
    from sklearn.datasets import load_digits  # scikit-learn is slow to import; only when used

    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)   # pixel values are 0..16
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(y))
    n_test = int(len(y) * _TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    return ArrayDataset("digits", x[train], y[train], x[test], y[test], num_classes=10)
