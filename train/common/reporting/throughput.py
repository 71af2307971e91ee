"""Samples per second over a stretch of training, measured on one process's clock."""

from __future__ import annotations

import time


class Throughput:
    def __init__(self) -> None:
        self._start = time.perf_counter()
        self._samples = 0

    def add(self, samples: int) -> None:
        self._samples += samples

    def samples_per_sec(self) -> float:
        elapsed = time.perf_counter() - self._start
        return self._samples / elapsed if elapsed > 0 else 0.0
