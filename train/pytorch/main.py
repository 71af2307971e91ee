"""main(): detect the launch, load data, initialise, load the checkpoint, train, finish.

The finish is train.common.end_of_run's, shared by every framework: rank 0 writes its last
checkpoint and model, closes the MLflow run and prints the FINAL line before the closing barrier.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping

import torch

from train.common.checkpoint_store import CheckpointStore
from train.common.common_flags import TrainConfig
from train.common.data import ArrayDataset, ShardPlan, load_dataset
from train.common.end_of_run import RunSummary, end_run
from train.common.metrics import open_metrics
from train.common.rank_logging import configure_logging
from train.launch_env import LaunchEnv, detect
from train.pytorch.model import build_model
from train.pytorch.process_group import Group, open_process_group
from train.pytorch.snapshot import RunShape, Snapshot, restore_rng_state, seed_everything
from train.pytorch.trainer import Trainer

log = logging.getLogger(__name__)


def _decodable(payload: bytes) -> bytes:
    Snapshot.from_bytes(payload)   # raises on a payload that passed its checksum but is no snapshot
    return payload


def load_snapshot(store: CheckpointStore, group: Group, shape: RunShape) -> Snapshot | None:
    """The newest valid checkpoint, identical on every rank.

    Rank 0 picks and verifies it and sends the bytes to the others: every rank gets the same step
    even if rank 0's folder changes meanwhile, and ranks on other nodes need no shared file system.
    """
    payload: bytes | None = None
    if group.is_writer:
        loaded = store.load_latest(_decodable)
        if loaded is not None:
            payload = loaded.value
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


def main(config: TrainConfig, env: Mapping[str, str] = os.environ, *,
         open_group: Callable[[LaunchEnv], Group] = open_process_group,
         trainer_cls: type[Trainer] = Trainer) -> int:
    """Train with DDP; Horovod's entrypoint passes its own group and trainer (train/pytorch/horovod/)."""
    launch = detect(env)
    configure_logging(launch.rank, launch.world_size)
    data: ArrayDataset = load_dataset(config.dataset, config.data_dir, config.seed)
    seed_everything(config.seed)    # before building the model: every rank starts from equal weights
    group = open_group(launch)
    try:
        return _train(config, data, group, trainer_cls)
    finally:
        group.close()


def _train(config: TrainConfig, data: ArrayDataset, group: Group,
           trainer_cls: type[Trainer] = Trainer) -> int:
    plan = ShardPlan(len(data.train_y), group.rank, group.world_size, config.batch_size, config.seed)
    shape = RunShape(data.name, group.world_size, config.batch_size, plan.steps_per_epoch, config.seed)
    store = CheckpointStore(config.checkpoint_dir, keep=config.keep_checkpoints)
    snapshot = load_snapshot(store, group, shape)

    model = build_model(data.sample_shape, data.num_classes).to(group.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=config.momentum)
    if snapshot is not None:
        model.load_state_dict(snapshot.model_state)
        optimizer.load_state_dict(snapshot.optimizer_state)
        restore_rng_state(snapshot.rng_state)
        epoch, batch = divmod(snapshot.finished_steps, plan.steps_per_epoch)
        log.info("resumed at step %d (epoch %d, batch %d of %d)", snapshot.finished_steps + 1,
                 epoch + 1, batch + 1, plan.steps_per_epoch)

    metrics = open_metrics(group.is_writer, config.model_dir,
                           snapshot.mlflow_run_id if snapshot else None)
    metrics.log_params({"dataset": data.name, "world_size": group.world_size, "backend": group.backend,
                        "epochs": config.epochs, "batch_size": config.batch_size,
                        "learning_rate": config.learning_rate, "momentum": config.momentum,
                        "seed": config.seed})
    trainer = trainer_cls(config, data, model, optimizer, group, plan, store, metrics,
                      finished_steps=snapshot.finished_steps if snapshot else 0)
    log.info("training %s: %d train / %d test samples, %d steps per epoch, %d steps in total",
             data.name, len(data.train_y), len(data.test_y), plan.steps_per_epoch, trainer.total_steps)
    result = trainer.train()

    summary = RunSummary(world_size=group.world_size, accuracy=result.accuracy,
                         samples_per_sec=result.samples_per_sec, steps=result.finished_steps,
                         steps_this_run=result.steps_this_run, weights_sha256=result.weights_sha256)
    return end_run(summary, is_writer=group.is_writer, save=trainer.save_final, metrics=metrics,
                   barrier=group.barrier, extra_metrics={"final_samples_per_sec": result.samples_per_sec})
