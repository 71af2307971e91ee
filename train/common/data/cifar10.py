"""CIFAR-10 from its standard "python version" files: cifar-10-batches-py/data_batch_1..5, test_batch.

Each file is a pickled dict with b"data" (uint8, N x 3072, channel-major 32x32 planes) and b"labels"
(N ints). `--data-dir` may point at the cifar-10-batches-py folder or at its parent (torchvision's
`root`), so one data asset serves both this loader and torchvision.datasets.CIFAR10.

Pickle can run code, so the files are read with an unpickler that only builds dicts, lists and numpy
arrays; a data asset is not trusted like code.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from train.common.data.arrays import ArrayDataset, DatasetError

FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
_MEAN, _STD = 0.5, 0.25   # rough per-pixel scaling; good enough for a reference model

# numpy 1.x wrote numpy.core.*, numpy 2.x writes numpy._core.*; both name the same functions.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle's signature
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module.replace("numpy.core", "numpy._core"), name)


def find_batches_dir(data_dir: Path) -> Path:
    """The folder holding the batch files: data_dir itself or data_dir/cifar-10-batches-py."""
    for candidate in (data_dir / FOLDER, data_dir):
        if (candidate / TRAIN_FILES[0]).is_file():
            return candidate
    raise DatasetError(
        f"CIFAR-10 file not found: {data_dir / FOLDER / TRAIN_FILES[0]} "
        f"(--data-dir must be the {FOLDER} folder or its parent)")


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise DatasetError(f"CIFAR-10 file not found: {path}")
    try:
        with path.open("rb") as f:
            batch = _ArraysOnlyUnpickler(f, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"CIFAR-10 file {path} is not a CIFAR-10 python batch: {exc}") from exc
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DatasetError(f"CIFAR-10 file {path}: expected data N x 3072 and N labels, "
                           f"got data {data.shape} and {len(labels)} labels")
    return data, labels


def _to_images(data: np.ndarray) -> np.ndarray:
    return ((data.reshape(-1, 3, 32, 32).astype(np.float32) / 255.0) - _MEAN) / _STD


def load_cifar10_dataset(data_dir: Path) -> ArrayDataset:
    folder = find_batches_dir(data_dir)
    train = [_read_batch(folder / name) for name in TRAIN_FILES]
    test_data, test_labels = _read_batch(folder / TEST_FILE)
    return ArrayDataset(
        "cifar10",
        _to_images(np.concatenate([d for d, _ in train])),
        np.concatenate([labels for _, labels in train]),
        _to_images(test_data), test_labels, num_classes=10)
