"""The one thing DDP, Horovod and DeepSpeed do differently: how the model trains across processes.

The Trainer (train.pytorch.trainer) runs every job the same way: the data plan, the loop over steps,
progress, SIGTERM, evaluation and the end of the run. A Strategy supplies the rest:
- `start`: make the optimizer, wrap model and optimizer for training, and load the newest
  checkpoint into them (every rank calls it, and every rank gets the same checkpoint);
- `step`: one training step on a batch;
- `save_checkpoint` / `checkpoint_steps`: its checkpoints (one file from rank 0, or DeepSpeed's
  partition per rank);
- `full_weights`: the whole model's weights, on every rank.

Implementations: DDPStrategy (train.pytorch.ddp), HorovodStrategy (train.pytorch.horovod.strategy),
DeepSpeedStrategy (train.pytorch.deepspeed.strategy).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from train.common.common_flags import TrainConfig
from train.pytorch.process_group import Group
from train.pytorch.snapshot import RunShape


@dataclass(frozen=True)
class Resumed:
    """What a loaded checkpoint gives the Trainer (the strategy loaded the weights and optimizer)."""

    finished_steps: int
    rng_state: dict[str, Any]
    mlflow_run_id: str | None


class Strategy(ABC):
    def __init__(self, group: Group) -> None:
        self.group = group

    @property
    def device(self) -> torch.device:
        """Where batches go."""
        return self.group.device

    def batch_size(self, config: TrainConfig) -> int:
        """Samples per step on each process."""
        return config.batch_size

    @property
    def writes_on_every_rank(self) -> bool:
        """Whether every rank writes its own part of a checkpoint (else rank 0 alone writes it)."""
        return False

    def params(self, config: TrainConfig) -> dict[str, Any]:
        """What this strategy adds to the run's logged parameters."""
        return {}

    def final_fields(self) -> dict[str, object]:
        """What this strategy adds to the FINAL line."""
        return {}

    @abstractmethod
    def start(self, model: nn.Module, config: TrainConfig, shape: RunShape, total_steps: int) -> Resumed | None:
        """Make the optimizer, wrap for training, load the newest checkpoint (None: there is none)."""

    @abstractmethod
    def train_mode(self) -> None:
        """Put the wrapped model in training mode."""

    @abstractmethod
    def step(self, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module) -> float:
        """One step: forward, backward, optimizer update. Returns the loss."""

    @abstractmethod
    def save_checkpoint(self, step: int, shape: RunShape, rng_state: dict[str, Any],
                        mlflow_run_id: str | None) -> None:
        """Called by every rank after `step`; rank 0 alone writes unless writes_on_every_rank."""

    @abstractmethod
    def checkpoint_steps(self) -> list[int]:
        """The steps this process sees a checkpoint of."""

    @abstractmethod
    def full_weights(self) -> dict[str, torch.Tensor]:
        """The whole model's weights on the CPU, on every rank (a collective for some strategies)."""
