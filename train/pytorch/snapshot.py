"""What a checkpoint holds, and its bytes.

Everything needed to continue as if never interrupted: weights, optimizer state (momentum buffers; a
snapshot without them changes the training trajectory), the number of finished steps, every random
generator's state, and the run's shape (a resume with another world or batch size would walk the data
differently, so it is refused rather than silently diverging).

Serialised with torch.save and read back with torch.load(weights_only=True): only tensors and plain
containers, no pickled code, so a tampered file cannot execute anything.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from typing import Any

import torch

from train.common.checkpoints.rng_state import (
    capture_python_and_numpy,
    restore_python_and_numpy,
    seed_python_and_numpy,
)
from train.common.errors import UsageError


@dataclass
class RunShape:
    dataset: str
    world_size: int
    batch_size: int
    steps_per_epoch: int
    seed: int


@dataclass
class Snapshot:
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any]
    finished_steps: int
    shape: RunShape
    rng_state: dict[str, Any]
    mlflow_run_id: str | None = None

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        record = dataclasses.asdict(self)
        torch.save(record, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> Snapshot:
        record = torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")
        record["shape"] = RunShape(**record["shape"])
        return cls(**record)

    def check_compatible(self, shape: RunShape) -> None:
        if self.shape != shape:
            raise UsageError(f"checkpoint was written by a run with {self.shape}, this run has {shape}: "
                             "resume with the same flags and world size, or use a new --model-dir")


def capture_rng_state() -> dict[str, Any]:
    return {"torch": torch.get_rng_state(), **capture_python_and_numpy()}


def restore_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    restore_python_and_numpy(state)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)     # also seeds CUDA generators
    seed_python_and_numpy(seed)
