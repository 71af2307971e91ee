"""ParameterServerStrategy training for TF_CONFIG with parameter servers (Azure: parameter_server_count > 0).

Roles, from TF_CONFIG (see train.tensorflow.cluster for the coordinator's address):
- ps tasks, and workers other than 0: serve (train.tensorflow.serve) until the coordinator is gone.
- worker 0: starts its own worker server as a child process (`python -m train.tensorflow.serve`)
  and runs the coordinator, which drives training with Keras model.fit. The child stops like the
  other servers once the coordinator has gone (on a failure the coordinator stops it at once).
- a TF_CONFIG with its own `chief` task: the chief coordinates and every worker only serves.

The coordinator waits until every task's port accepts connections before it connects: TensorFlow
fails at once when a task of the cluster is not up yet, and containers start in any order.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from train.common.common_flags import TrainConfig
from train.common.errors import UsageError
from train.launch_env import LaunchEnv
from train.tensorflow.cluster import as_task, with_coordinator

if TYPE_CHECKING:   # numpy: not needed to plan a run (tests import this on the host)
    from train.common.data import ArrayDataset

log = logging.getLogger(__name__)

CHILD_STOP_TIMEOUT = 30


def run(config: TrainConfig, data_loader, launch: LaunchEnv, wait_timeout: float) -> int:
    """Serve or coordinate, as this task's role says. `data_loader()` is called by the coordinator only."""
    own = launch.tf_config or {}
    had_chief = bool(own["cluster"].get("chief"))
    tf_config = with_coordinator(own)
    task_type, task_index = own["task"]["type"], int(own["task"]["index"])
    if task_type == "chief":
        return coordinate(config, data_loader(), tf_config, wait_timeout)
    if task_type not in ("ps", "worker"):
        raise UsageError(f"TF_CONFIG task.type={task_type!r}: a parameter-server job has ps, worker and chief tasks")
    if had_chief or (task_type, task_index) != ("worker", 0):
        from train.tensorflow.serve import serve
        return serve(tf_config, task_type, task_index, wait_timeout)

    child_env = {**os.environ, "TF_CONFIG": as_task(tf_config, "worker", 0),
                 "TRAINYARD_COORDINATOR_WAIT": str(wait_timeout)}
    child = subprocess.Popen([sys.executable, "-m", "train.tensorflow.serve"], env=child_env)
    try:
        return coordinate(config, data_loader(), tf_config, wait_timeout)
    except BaseException:
        _stop(child)
        raise
    # On success the child is left to stop by itself, like every other server, once this process
    # (the coordinator) has exited: stopping it first would make TensorFlow's teardown in this
    # process fail to reach worker 0 and log errors.


def _stop(child: subprocess.Popen) -> None:
    child.terminate()
    try:
        child.wait(timeout=CHILD_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=CHILD_STOP_TIMEOUT)


def _wait_for_tasks(cluster: dict[str, list[str]], wait_timeout: float) -> None:
    pending = {address for kind, addresses in cluster.items() if kind != "chief" for address in addresses}
    deadline = time.monotonic() + wait_timeout
    while pending:
        for address in sorted(pending):
            host, _, port = address.rpartition(":")
            try:
                with socket.create_connection((host, int(port)), timeout=2):
                    pending.discard(address)
            except OSError:
                pass
        if pending and time.monotonic() > deadline:
            raise UsageError(f"parameter-server job: tasks not reachable after {wait_timeout:.0f}s: "
                             f"{', '.join(sorted(pending))}")
        if pending:
            time.sleep(1)


def fit_schedule(total_steps: int, steps_per_epoch: int) -> tuple[int, int]:
    """(epochs, steps per epoch) for model.fit to train `total_steps` steps.

    Keras stops only at an epoch's end when batch callbacks are refused (as under
    ParameterServerStrategy), so a --max-steps shorter than the run becomes epochs of equal length:
    as many epochs as the data needs, each ceil(total / epochs) steps (at most epochs - 1 extra steps).
    """
    epochs = max(1, math.ceil(total_steps / steps_per_epoch))
    return epochs, max(1, math.ceil(total_steps / epochs))


def coordinate(config: TrainConfig, data: ArrayDataset, tf_config: dict, wait_timeout: float) -> int:
    import tensorflow as tf

    from train.common.faults.lost_peer import RunProgress
    from train.common.reporting.metrics import open_metrics
    from train.tensorflow.callbacks import EpochProgress
    from train.tensorflow.lost_peer import one_line_on_lost_peer
    from train.tensorflow.model import build_model, compile_model
    from train.tensorflow.outputs import read_run_id, write_run_id
    from train.tensorflow.run_end import finish_run

    cluster = tf_config["cluster"]
    _wait_for_tasks(cluster, wait_timeout)
    os.environ["TF_CONFIG"] = as_task(tf_config, "chief", 0)
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    strategy = tf.distribute.ParameterServerStrategy(resolver)
    workers, servers = len(cluster["worker"]), len(cluster["ps"])
    steps_per_epoch = math.ceil(len(data.train_y) / config.batch_size)
    tf.keras.utils.set_random_seed(config.seed)

    with strategy.scope():
        model = build_model(data.sample_shape, data.num_classes)
        compile_model(model, config.learning_rate, config.momentum)

    train_x, train_y, seed, batch_size = data.train_x, data.train_y, config.seed, config.batch_size

    def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        # Runs on each worker; the arrays travel inside the function's graph (fine for small data).
        return (tf.data.Dataset.from_tensor_slices((train_x, train_y))
                .shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
                .shuffle(len(train_y), seed=seed).repeat().batch(batch_size).prefetch(2))

    metrics = open_metrics(True, config.model_dir, read_run_id(config.model_dir))
    write_run_id(config.model_dir, metrics.run_id)
    metrics.log_params({"dataset": data.name, "strategy": "parameter_server", "workers": workers,
                        "parameter_servers": servers, "epochs": config.epochs,
                        "batch_size": config.batch_size, "learning_rate": config.learning_rate,
                        "momentum": config.momentum, "seed": config.seed})
    # Batch-level callbacks are refused under ParameterServerStrategy: progress per epoch, and
    # --step-delay does not apply; --max-steps shortens the epochs instead (see fit_schedule).
    epochs, fit_steps_per_epoch = fit_schedule(config.total_steps(steps_per_epoch), steps_per_epoch)
    # No backup here: a restart starts at step 1, which the line a lost task prints says.
    run = RunProgress(resume_step=0)
    progress = EpochProgress(samples_per_step=batch_size, steps_per_epoch=fit_steps_per_epoch, metrics=metrics,
                             run=run)
    log.info("training %s with ParameterServerStrategy: %d workers, %d ps, %d steps per epoch, %d epochs",
             data.name, workers, servers, fit_steps_per_epoch, epochs)
    # TensorFlow retries a lost worker's work on the others; a lost parameter server ends the run.
    with one_line_on_lost_peer(0, run, config.model_dir, cluster, ("chief", 0)):
        model.fit(tf.keras.utils.experimental.DatasetCreator(dataset_fn), epochs=epochs,
                  steps_per_epoch=fit_steps_per_epoch, callbacks=[progress], verbose=0)

    # The coordinator alone writes; the workers and parameter servers are stopped by the launcher.
    return finish_run(model, data, progress, world_size=workers, model_dir=config.model_dir, is_writer=True,
                      metrics=metrics, barrier=None)
