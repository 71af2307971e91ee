"""Horovod + TensorFlow (Keras) training under mpirun: Azure's `mpi` distribution, or mpirun by hand.

One process per rank. Each rank trains on its ShardPlan shard of the data (the same split rule as
the PyTorch side); gradients are averaged with Horovod's allreduce (hvd.DistributedOptimizer) and
rank 0's weights are broadcast after the first step. Rank 0 alone logs its own (not averaged)
metrics and writes the backup (resumed after a restart: the broadcast hands the restored weights to
every rank) and the final model. The learning rate is not scaled by the number of ranks: every rank's
batch is --batch-size, and the averaged gradient has the scale of one batch.
"""

from __future__ import annotations

import logging
import math

import horovod.tensorflow as hvd_tf
import horovod.tensorflow.keras as hvd
import tensorflow as tf

from train.common.common_flags import TrainConfig
from train.common.data import ArrayDataset, ShardPlan
from train.common.faults.lost_peer import RunProgress
from train.common.reporting.metrics import NullMetrics, open_metrics
from train.tensorflow.callbacks import Progress, RunProgressTracker
from train.tensorflow.lost_peer import one_line_on_lost_peer
from train.tensorflow.model import build_model, compile_model
from train.tensorflow.outputs import BACKUP_DIR, read_run_id, write_run_id
from train.tensorflow.run_end import finish_run

log = logging.getLogger(__name__)


def _restore(model: tf.keras.Model, path) -> int:
    """Load rank 0's backup (weights + optimizer) if there is one; the finished step count."""
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    latest = tf.train.latest_checkpoint(str(path))
    if latest is None:
        return 0
    checkpoint.restore(latest).expect_partial()
    log.info("restored %s", latest)
    return int(model.optimizer.iterations.numpy())


class _RankZeroBackup(tf.keras.callbacks.Callback):
    def __init__(self, path, every: int, keep: int) -> None:
        super().__init__()
        self.path, self.every, self.keep = str(path), every, keep

    def on_train_begin(self, logs=None) -> None:
        self.manager = tf.train.CheckpointManager(
            tf.train.Checkpoint(model=self.model, optimizer=self.model.optimizer), self.path, max_to_keep=self.keep)

    def on_train_batch_end(self, batch, logs=None) -> None:
        step = int(self.model.optimizer.iterations.numpy())
        if self.every and step % self.every == 0:
            self.manager.save(checkpoint_number=step)

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.manager.save(checkpoint_number=int(self.model.optimizer.iterations.numpy()))


def train(config: TrainConfig, data: ArrayDataset) -> int:
    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    plan = ShardPlan(len(data.train_y), rank, size, config.batch_size, config.seed)
    tf.keras.utils.set_random_seed(config.seed)

    model = build_model(data.sample_shape, data.num_classes)
    optimizer = hvd.DistributedOptimizer(
        tf.keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=config.momentum))
    compile_model(model, config.learning_rate, config.momentum, optimizer=optimizer)
    backup_dir = config.model_dir / BACKUP_DIR
    # Optimizer slots exist on every rank before a restore and before the broadcast, which sends
    # model and optimizer variables by name: a rank without slots would wait for them forever.
    model.optimizer.build(model.trainable_variables)
    if rank == 0:
        _restore(model, backup_dir)
    # Every rank starts where rank 0 is (fresh or restored): weights and the step count.
    finished = int(hvd_tf.broadcast_object(int(model.optimizer.iterations.numpy()), root_rank=0))
    model.optimizer.iterations.assign(finished)

    total_steps = config.total_steps(plan.steps_per_epoch)
    initial_epoch = finished // plan.steps_per_epoch

    def epoch_batches():
        # ShardPlan's order is a pure function of (seed, epoch): a resumed run skips what it finished.
        for epoch in range(initial_epoch, config.epochs):
            skip = finished - epoch * plan.steps_per_epoch if epoch == initial_epoch else 0
            for indices in plan.batches(epoch, skip=max(skip, 0)):
                yield data.train_x[indices], data.train_y[indices]

    metrics = open_metrics(rank == 0, config.model_dir, read_run_id(config.model_dir)) \
        if rank == 0 else NullMetrics()
    if rank == 0:
        write_run_id(config.model_dir, metrics.run_id)
    metrics.log_params({"dataset": data.name, "strategy": "horovod", "ranks": size,
                        "epochs": config.epochs, "batch_size": config.batch_size,
                        "learning_rate": config.learning_rate, "momentum": config.momentum,
                        "seed": config.seed})
    progress = Progress(print_freq=config.print_freq, samples_per_step=config.batch_size * size,
                        steps_per_epoch=plan.steps_per_epoch,
                        metrics=metrics, step_delay=config.step_delay, max_steps=total_steps)
    # No hvd.callbacks.MetricAverageCallback: in Horovod 0.28.1 it calls Keras 3's keras.backend
    # (`constant` is gone) even with tf-keras, so epoch metrics are rank 0's own, not averaged.
    run = RunProgress()   # for the one line a lost peer prints
    tracker = RunProgressTracker(run, every=config.checkpoint_every, at_epoch_end=True, is_chief=rank == 0)
    callbacks = [hvd.callbacks.BroadcastGlobalVariablesCallback(0), progress, tracker]
    if rank == 0:
        callbacks.append(_RankZeroBackup(backup_dir, config.checkpoint_every, config.keep_checkpoints))
    remaining = max(total_steps - finished, 0)
    log.info("training %s with Horovod: %d ranks, %d steps per epoch, %d of %d steps to go",
             data.name, size, plan.steps_per_epoch, remaining, total_steps)
    if remaining:
        sample_shape = data.sample_shape
        dataset = tf.data.Dataset.from_generator(
            epoch_batches, output_signature=(tf.TensorSpec((None, *sample_shape), tf.float32),
                                             tf.TensorSpec((None,), tf.int64)))
        # One Keras "epoch" per trainyard epoch would need steps_per_epoch to match a partial first
        # epoch; instead fit runs `remaining` steps as epochs of plan.steps_per_epoch (the last short).
        epochs = math.ceil(remaining / plan.steps_per_epoch)
        # Under mpirun a dead rank ends the others (mpirun's doing); with Horovod's gloo controller
        # (horovodrun) the survivors see HorovodInternalError, which becomes one line.
        with one_line_on_lost_peer(rank, run, config.model_dir):
            model.fit(dataset, epochs=epochs, steps_per_epoch=min(plan.steps_per_epoch, remaining),
                      callbacks=callbacks, verbose=0)

    return finish_run(model, data, progress, world_size=size, model_dir=config.model_dir, is_writer=rank == 0,
                      metrics=metrics, barrier=lambda: hvd_tf.allreduce(tf.zeros(1), name="trainyard_end"))
