"""The shape every dataset loader returns: train and test arrays, features first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from train.common.errors import UsageError


class DatasetError(UsageError):
    """A dataset is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class ArrayDataset:
    name: str
    train_x: np.ndarray      # float32, (N, *sample_shape)
    train_y: np.ndarray      # int64, (N,)
    test_x: np.ndarray
    test_y: np.ndarray
    num_classes: int

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.train_x.shape[1:])
