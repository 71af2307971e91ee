"""The checkpoints of DDP and Horovod: one Snapshot file that rank 0 writes and sends to every rank.

Every rank holds the whole model and optimizer state, so rank 0's copy is the checkpoint: it picks
the newest valid one and broadcasts its bytes, so every rank resumes from the same step even if rank
0's folder changes meanwhile, and ranks on other nodes need no shared file system.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

import torch
from torch import nn

from train.common.checkpoints.checkpoint_store import CheckpointStore
from train.common.common_flags import TrainConfig
from train.pytorch.process_group import Group
from train.pytorch.snapshot import RunShape, Snapshot
from train.pytorch.strategy import Resumed, Strategy

log = logging.getLogger(__name__)


def _decodable(payload: bytes) -> bytes:
    Snapshot.from_bytes(payload)   # raises on a payload that passed its checksum but is no snapshot
    return payload


def load_snapshot(store: CheckpointStore, group: Group, shape: RunShape, total_steps: int) -> Snapshot | None:
    """The newest valid checkpoint, identical on every rank."""
    payload: bytes | None = None
    if group.is_writer:
        loaded = store.load_latest(_decodable)
        if loaded is not None:
            payload = loaded.value
            if loaded.step < total_steps:
                log.info("resuming from %s: finished step %d, continuing at step %d",
                         loaded.path, loaded.step, loaded.step + 1)
        elif store.steps():
            log.warning("no usable checkpoint in %s; starting from step 1", store.directory)
    payload = group.broadcast_from_writer(payload)
    if payload is None:
        return None
    snapshot = Snapshot.from_bytes(payload)
    snapshot.check_compatible(shape)
    return snapshot


class SnapshotStrategy(Strategy):
    """SGD on the whole model in every process; subclasses say how gradients are averaged (`_wrap`)."""

    def __init__(self, group: Group, store: CheckpointStore) -> None:
        super().__init__(group)
        self.store = store
        self.model: nn.Module | None = None           # unwrapped: what checkpoints hold
        self.optimizer: torch.optim.Optimizer | None = None
        self._forward: nn.Module | None = None        # what a step calls

    def params(self, config: TrainConfig) -> dict[str, Any]:
        return {"backend": self.group.backend, "learning_rate": config.learning_rate, "momentum": config.momentum}

    def start(self, model: nn.Module, config: TrainConfig, shape: RunShape, total_steps: int) -> Resumed | None:
        self.model = model.to(self.group.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=config.learning_rate, momentum=config.momentum)
        snapshot = load_snapshot(self.store, self.group, shape, total_steps)
        if snapshot is not None:
            self.model.load_state_dict(snapshot.model_state)
            self.optimizer.load_state_dict(snapshot.optimizer_state)
        # After loading: a wrapper may copy the optimizer's state (Horovod's does).
        self._forward = self._wrap(self.model)
        if snapshot is None:
            return None
        return Resumed(snapshot.finished_steps, snapshot.rng_state, snapshot.mlflow_run_id)

    @abstractmethod
    def _wrap(self, model: nn.Module) -> nn.Module:
        """Set up gradient averaging; return the module a step calls."""

    def train_mode(self) -> None:
        self._forward.train()

    def step(self, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module) -> float:
        self.optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(self._forward(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def save_checkpoint(self, step: int, shape: RunShape, rng_state: dict[str, Any],
                        mlflow_run_id: str | None) -> None:
        if not self.group.is_writer:
            return
        snapshot = Snapshot(self.model.state_dict(), self.optimizer.state_dict(), step, shape, rng_state,
                            mlflow_run_id)
        path = self.store.save(step, snapshot.to_bytes())
        log.info("checkpoint %s written (finished step %d)", path, step)

    def checkpoint_steps(self) -> list[int]:
        return self.store.steps()

    def full_weights(self) -> dict[str, torch.Tensor]:
        return {name: tensor.detach().cpu() for name, tensor in self.model.state_dict().items()}
