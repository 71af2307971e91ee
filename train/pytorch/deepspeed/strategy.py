"""DeepSpeed ZeRO as a train.pytorch Strategy: the engine wraps model and optimizer, runs the step,
and writes checkpoints in which every rank saves its own partition (engine_checkpoints.py).

Steps are counted as in train.pytorch: one step = one micro batch on every rank (with
gradient_accumulation_steps > 1 DeepSpeed steps the optimizer every that many).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from train.common.common_flags import TrainConfig
from train.pytorch.deepspeed.engine_checkpoints import EngineCheckpoints
from train.pytorch.deepspeed.flags import DeepSpeedFlags, micro_batch_size
from train.pytorch.process_group import Group
from train.pytorch.snapshot import RunShape
from train.pytorch.strategy import Resumed, Strategy

log = logging.getLogger(__name__)


class DeepSpeedStrategy(Strategy):
    def __init__(self, group: Group, flags: DeepSpeedFlags, checkpoint_dir: Path, keep: int) -> None:
        super().__init__(group)
        self.flags = flags
        self.checkpoint_dir = checkpoint_dir
        self.keep = keep
        self.engine: Any = None
        self.checkpoints: EngineCheckpoints | None = None

    @property
    def device(self) -> torch.device:
        return self.engine.device

    def batch_size(self, config: TrainConfig) -> int:
        # The flags put --batch-size there unless the ds_config file sets it.
        return micro_batch_size(self.flags.ds_config)

    @property
    def writes_on_every_rank(self) -> bool:
        return True

    def params(self, config: TrainConfig) -> dict[str, Any]:
        return {"zero_stage": self.flags.zero_stage, "ds_config": self.flags.config_source}

    def final_fields(self) -> dict[str, object]:
        return {"zero_stage": self.flags.zero_stage}

    def start(self, model: nn.Module, config: TrainConfig, shape: RunShape, total_steps: int) -> Resumed | None:
        import deepspeed

        client_optimizer = None
        if "optimizer" not in self.flags.ds_config:   # the file names none: the same SGD as DDP's
            client_optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=config.momentum)
        self.engine, _, _, _ = deepspeed.initialize(
            model=model, optimizer=client_optimizer, config=self.flags.ds_config,
            model_parameters=None if client_optimizer else model.parameters())
        log.info("DeepSpeed %s, accelerator %s, ZeRO stage %d, config %s", deepspeed.__version__,
                 deepspeed.get_accelerator().device_name(), self.flags.zero_stage, self.flags.config_source)
        self.checkpoints = EngineCheckpoints(self.engine, self.checkpoint_dir, self.keep, self.group.is_writer)
        return self.checkpoints.load_latest(shape)

    def train_mode(self) -> None:
        self.engine.train()

    def step(self, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module) -> float:
        loss = loss_fn(self.engine(x), y)
        self.engine.backward(loss)
        self.engine.step()
        return loss.item()

    def save_checkpoint(self, step: int, shape: RunShape, rng_state: dict[str, Any],
                        mlflow_run_id: str | None) -> None:
        self.checkpoints.save(step, shape, rng_state, mlflow_run_id)

    def checkpoint_steps(self) -> list[int]:
        return self.checkpoints.steps()

    def full_weights(self) -> dict[str, torch.Tensor]:
        """ZeRO-3 partitions the weights: gathered first (a collective: every rank calls it)."""
        import deepspeed

        params = list(self.engine.module.parameters())
        with deepspeed.zero.GatheredParameters(params, modifier_rank=None):
            return {name: tensor.detach().cpu().clone() for name, tensor in self.engine.module.state_dict().items()}
