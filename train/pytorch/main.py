"""main(): detect the launch, load data, initialise, load the checkpoint, train, finish: the same for
DDP, Horovod and DeepSpeed, which differ only in their group (how processes meet) and Strategy.

The finish is train.common.reporting.end_of_run's, shared by every framework: rank 0 writes the model, closes
the MLflow run and prints the FINAL line before the closing barrier (the Trainer wrote the last
checkpoint).

Two other ends: a job whose checkpoint already holds every step says so in one line and trains nothing;
a peer lost during a distributed run becomes a LostPeerError (one line, exit 3; the traceback goes to
<model-dir>/debug/rank-N.log), see train.common.faults.lost_peer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import timedelta

from train.common.checkpoints.checkpoint_store import CheckpointStore
from train.common.common_flags import TrainConfig
from train.common.data import ArrayDataset, ShardPlan, load_dataset
from train.common.faults.entrypoint import end_process_now
from train.common.faults.lost_peer import (
    LostPeerError,
    PeerDirectory,
    RunProgress,
    is_lost_peer,
    local_identity,
    peer_addresses,
    timeout_kind,
    write_debug_log,
)
from train.common.faults.wait_watch import WaitWatch, report_interval
from train.common.reporting.end_of_run import RunSummary, end_run
from train.common.reporting.metrics import open_metrics
from train.common.reporting.rank_logging import configure_logging
from train.launch_env import LaunchEnv, detect
from train.pytorch.ddp import DDPStrategy
from train.pytorch.model import build_model
from train.pytorch.process_group import Group, open_process_group
from train.pytorch.snapshot import RunShape, restore_rng_state, seed_everything
from train.pytorch.strategy import Strategy
from train.pytorch.trainer import Trainer

log = logging.getLogger(__name__)


def snapshot_checkpoints(strategy_cls: Callable[[Group, CheckpointStore], Strategy]):
    """A make_strategy for main(): DDP's and Horovod's checkpoints are rank 0's Snapshot files."""
    def make(group: Group, config: TrainConfig) -> Strategy:
        return strategy_cls(group, CheckpointStore(config.checkpoint_dir, keep=config.keep_checkpoints))
    return make


ddp_strategy = snapshot_checkpoints(DDPStrategy)


def main(config: TrainConfig, env: Mapping[str, str] = os.environ, *,
         open_group: Callable[[LaunchEnv, timedelta], Group] = open_process_group,
         make_strategy: Callable[[Group, TrainConfig], Strategy] = ddp_strategy) -> int:
    """Train with DDP; Horovod's and DeepSpeed's entrypoints pass their own group and strategy."""
    launch = detect(env)
    configure_logging(launch.rank, launch.world_size)
    data: ArrayDataset = load_dataset(config.dataset, config.data_dir, config.seed)
    seed_everything(config.seed)    # before building the model: every rank starts from equal weights
    progress = RunProgress(phase="the rendezvous")
    try:
        group = open_group(launch, timedelta(seconds=config.collective_timeout))
        try:
            with WaitWatch(group.rank, group.world_size, progress, open_board=group.wait_board(),
                           collective_timeout=group.collective_timeout, every=report_interval(env),
                           on_timeout=_end_on_timeout(group, progress)):
                status = _train(config, data, make_strategy(group, config), progress)
        except BaseException:
            _close_after_failure(group)
            raise
        group.close()
        return status
    except Exception as exc:
        if launch.world_size > 1 and is_lost_peer(exc):
            raise _lost_peer(exc, launch.rank, config, progress) from None
        raise


def _end_on_timeout(group: Group, progress: RunProgress) -> Callable[[], None] | None:
    """For collectives that wait for a silent peer forever (Horovod's): the lost-peer line and exit 3
    once the collective timeout has passed in one phase (the wait watch calls it). The launcher ends
    the other ranks: mpirun does once a rank exits non-zero."""
    if group.collectives_time_out:
        return None

    def end() -> None:
        end_process_now(LostPeerError(group.rank, "a peer (Horovod cannot tell which)", progress,
                                      "collective timeout", None))
    return end


def _close_after_failure(group: Group) -> None:
    # The failure being raised is the one to report, not a second one from leaving a broken group.
    try:
        group.close(clean=False)
    except Exception as exc:  # noqa: BLE001
        log.debug("closing the process group after a failure failed too: %s", exc)


def _lost_peer(exc: Exception, rank: int, config: TrainConfig, progress: RunProgress) -> LostPeerError:
    """The one-line error for a collective that failed because of a peer; the traceback to a file."""
    debug_log = write_debug_log(config.model_dir, rank, exc)
    lost = progress.peers.describe(peer_addresses(exc), rank)
    return LostPeerError(rank, lost, progress, timeout_kind(exc), debug_log)


def _train(config: TrainConfig, data: ArrayDataset, strategy: Strategy, progress: RunProgress) -> int:
    group = strategy.group
    # Who is who, so that an address in a later error names a rank and a host.
    progress.phase = "the exchange of host names"
    progress.peers = PeerDirectory.of(group.all_gather_object(local_identity(group.rank)))
    batch_size = strategy.batch_size(config)
    plan = ShardPlan(len(data.train_y), group.rank, group.world_size, batch_size, config.seed)
    shape = RunShape(data.name, group.world_size, batch_size, plan.steps_per_epoch, config.seed)
    total_steps = config.total_steps(plan.steps_per_epoch)
    progress.phase = "the loading of the checkpoint"
    resumed = strategy.start(build_model(data.sample_shape, data.num_classes), config, shape, total_steps)
    if resumed is not None and resumed.finished_steps >= total_steps:
        if group.is_writer:
            _say_already_finished(resumed.finished_steps, config)
        return 0
    if resumed is not None:
        restore_rng_state(resumed.rng_state)
        epoch, batch = divmod(resumed.finished_steps, plan.steps_per_epoch)
        log.info("resumed at step %d (epoch %d, batch %d of %d)", resumed.finished_steps + 1,
                 epoch + 1, batch + 1, plan.steps_per_epoch)

    # Rank 0 alone: creating a new MLflow store or reaching a tracking server takes seconds to minutes.
    with progress.alone("the opening of the MLflow run"):
        metrics = open_metrics(group.is_writer, config.model_dir, resumed.mlflow_run_id if resumed else None)
        metrics.log_params({"dataset": data.name, "world_size": group.world_size, "epochs": config.epochs,
                            "batch_size": batch_size, "seed": config.seed, **strategy.params(config)})
    trainer = Trainer(config, data, strategy, plan, shape, metrics,
                      finished_steps=resumed.finished_steps if resumed else 0, progress=progress)
    log.info("training %s: %d train / %d test samples, %d steps per epoch, %d steps in total",
             data.name, len(data.train_y), len(data.test_y), plan.steps_per_epoch, trainer.total_steps)
    result = trainer.train()

    summary = RunSummary(world_size=group.world_size, accuracy=result.accuracy,
                         samples_per_sec=result.samples_per_sec, steps=result.finished_steps,
                         steps_this_run=result.steps_this_run, weights_sha256=result.weights_sha256,
                         details=strategy.final_fields())
    return end_run(summary, is_writer=group.is_writer, save=trainer.save_final, metrics=metrics,
                   barrier=group.barrier, extra_metrics={"final_samples_per_sec": result.samples_per_sec})


def _say_already_finished(step: int, config: TrainConfig) -> None:
    """One line instead of a run of 0 steps (which would log "continuing at step N+1" and a
    throughput of 0). Starting afresh means removing the checkpoints: no variable does it for the
    user, because a restarted cloud job (Azure restarts preempted jobs with the same environment)
    must never throw its checkpoints away."""
    print(f"job already finished at step {step} (checkpoints in {config.checkpoint_dir}); nothing to train. "
          f"To train again from step 1, remove {config.checkpoint_dir} or give another --model-dir.",
          flush=True)
