"""MultiWorkerMirroredStrategy training with Keras model.fit, from TF_CONFIG (or one local worker).

Every worker runs this. Worker 0 (or a `chief` task) is the chief: it alone logs metrics and writes
the final model. Keras' BackupAndRestore writes the training state (weights, optimizer, epoch and
step) to <model-dir>/backup every --checkpoint-every steps; a restarted job resumes from it. The
backup folder must be one folder that every worker sees (a shared mount, as Azure's mounted
outputs are): non-chief workers restore from the chief's copy.

The run ends with a collective "barrier" after the chief saved: a launcher that stops all containers
once one exits (docker compose --exit-code-from) must not stop the chief mid-save.
"""

from __future__ import annotations

import logging
import math
import os

import tensorflow as tf

from train.common.common_flags import TrainConfig
from train.common.data import ArrayDataset
from train.common.faults.lost_peer import RunProgress
from train.common.reporting.metrics import open_metrics
from train.launch_env import LaunchEnv, to_tf_config_json
from train.tensorflow.callbacks import Progress, RunProgressTracker
from train.tensorflow.lost_peer import one_line_on_lost_peer
from train.tensorflow.model import build_model, compile_model
from train.tensorflow.outputs import BACKUP_DIR, read_run_id, write_run_id
from train.tensorflow.run_end import finish_run

log = logging.getLogger(__name__)


def make_strategy(launch: LaunchEnv, collective_timeout: float) -> tf.distribute.Strategy:
    if launch.tf_config is not None:
        # Azure writes "ps": [] for MultiWorkerMirrored jobs; TensorFlow >= 2.13 rejects it.
        os.environ["TF_CONFIG"] = to_tf_config_json(launch)
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=collective_timeout)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def _train_dataset(data: ArrayDataset, global_batch: int, seed: int) -> tf.data.Dataset:
    dataset = (tf.data.Dataset.from_tensor_slices((data.train_x, data.train_y))
               .shuffle(len(data.train_y), seed=seed, reshuffle_each_iteration=True)
               .repeat()
               .batch(global_batch)
               .prefetch(tf.data.AUTOTUNE))
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _barrier(strategy: tf.distribute.Strategy) -> None:
    def one() -> tf.Tensor:
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, tf.constant(1.0))

    tf.function(lambda: strategy.run(one))()


def train(config: TrainConfig, data: ArrayDataset, launch: LaunchEnv, collective_timeout: float) -> int:
    strategy = make_strategy(launch, collective_timeout)
    workers = strategy.num_replicas_in_sync
    is_chief = launch.rank == 0
    global_batch = config.batch_size * workers
    steps_per_epoch = math.ceil(len(data.train_y) / global_batch)
    tf.keras.utils.set_random_seed(config.seed)   # equal initial weights on every worker

    with strategy.scope():
        model = build_model(data.sample_shape, data.num_classes)
        compile_model(model, config.learning_rate, config.momentum)

    metrics = open_metrics(is_chief, config.model_dir, read_run_id(config.model_dir) if is_chief else None)
    if is_chief:
        write_run_id(config.model_dir, metrics.run_id)
    metrics.log_params({"dataset": data.name, "strategy": "mwms", "workers": workers,
                        "epochs": config.epochs, "batch_size": config.batch_size,
                        "learning_rate": config.learning_rate, "momentum": config.momentum,
                        "seed": config.seed})
    progress = Progress(print_freq=config.print_freq, samples_per_step=global_batch,
                        steps_per_epoch=steps_per_epoch, metrics=metrics,
                        step_delay=config.step_delay, max_steps=config.max_steps)
    save_freq = config.checkpoint_every or "epoch"
    backup = tf.keras.callbacks.BackupAndRestore(str(config.model_dir / BACKUP_DIR), save_freq=save_freq,
                                                 delete_checkpoint=False)
    run = RunProgress()   # for the one line a lost peer prints
    tracker = RunProgressTracker(run, every=config.checkpoint_every or None, at_epoch_end=not config.checkpoint_every,
                                 is_chief=is_chief)
    tf_config = launch.tf_config or {}
    task = tf_config.get("task")
    lost_peer = one_line_on_lost_peer(launch.rank, run, config.model_dir, tf_config.get("cluster"),
                                      (task["type"], int(task["index"])) if task else None)
    log.info("training %s with MultiWorkerMirroredStrategy: %d workers, %d steps per epoch, %d epochs",
             data.name, workers, steps_per_epoch, config.epochs)
    with lost_peer:
        model.fit(_train_dataset(data, global_batch, config.seed), epochs=config.epochs,
                  steps_per_epoch=steps_per_epoch, callbacks=[backup, tracker, progress], verbose=0)
        run.phase = "the end of the run (after the last step)"
        return finish_run(model, data, progress, world_size=workers, model_dir=config.model_dir,
                          is_writer=is_chief, metrics=metrics, barrier=lambda: _barrier(strategy))
