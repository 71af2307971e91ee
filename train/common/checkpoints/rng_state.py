"""Seeding and capturing the framework-independent random generators (Python's and numpy's).

States are returned as plain Python lists/tuples/ints so that a checkpoint holding them can be loaded
with safe deserialisers (torch.load(weights_only=True) rejects numpy arrays).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np


def seed_python_and_numpy(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)


def capture_python_and_numpy() -> dict[str, Any]:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
    }


def restore_python_and_numpy(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
