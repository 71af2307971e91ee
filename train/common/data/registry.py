"""Dataset name (the --dataset flag) -> loader."""

from __future__ import annotations

from pathlib import Path

from train.common.data.arrays import ArrayDataset


def load_dataset(name: str, data_dir: Path, seed: int) -> ArrayDataset:
    # Imports inside the branches: each loader pulls in what only it needs (scikit-learn, pickle).
    if name == "digits":
        from train.common.data.digits import load_digits_dataset
        return load_digits_dataset()
    if name == "cifar10":
        from train.common.data.cifar10 import load_cifar10_dataset
        return load_cifar10_dataset(data_dir)
    if name == "synthetic":
        from train.common.data.synthetic import load_synthetic_dataset
        return load_synthetic_dataset(seed)
    raise ValueError(f"unknown dataset {name!r}")
