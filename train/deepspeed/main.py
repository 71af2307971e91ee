"""main(): detect the launch, prepare DeepSpeed's environment, build the engine, resume, train, finish.

Steps are counted as in train.pytorch: one step = one micro batch on every rank (with
gradient_accumulation_steps > 1 DeepSpeed steps the optimizer every that many). The end of a run
follows train.pytorch too: rank 0 finishes its writing and prints FINAL before the last barrier.
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import torch

from train.common.atomic_file import atomic_write_bytes
from train.common.common_flags import TrainConfig
from train.common.data import ArrayDataset, ShardPlan, load_dataset
from train.common.final_line import format_final_line
from train.common.metrics import open_metrics
from train.common.rank_logging import configure_logging
from train.common.throughput import Throughput
from train.deepspeed.engine_checkpoints import EngineCheckpoints
from train.deepspeed.flags import DeepSpeedFlags
from train.deepspeed.launch import avoid_unbuildable_shm_op, prepare_environment, rendezvous
from train.deepspeed.support import check_supported
from train.launch_env import detect
from train.pytorch.backend import choose_backend
from train.pytorch.model import build_model
from train.pytorch.process_group import COLLECTIVE_TIMEOUT, limit_cpu_threads
from train.pytorch.snapshot import (
    RunShape,
    capture_rng_state,
    restore_rng_state,
    seed_everything,
)
from train.pytorch.trainer import weights_sha256

log = logging.getLogger(__name__)


def main(config: TrainConfig, flags: DeepSpeedFlags, env: Mapping[str, str] = os.environ) -> int:
    launch = detect(env)
    configure_logging(launch.rank, launch.world_size)
    choice = choose_backend(torch.cuda.is_available(), torch.cuda.device_count(),
                            launch.local_rank, launch.local_world_size)
    added = prepare_environment(launch, choice)
    check_supported(flags.ds_config, on_gpu=choice.device != "cpu")
    threads = limit_cpu_threads(launch.local_world_size) if choice.device == "cpu" else None
    log.info("launch source %s: rank %d of %d (local %d of %d, node %d), master %s:%s",
             launch.source, launch.rank, launch.world_size, launch.local_rank,
             launch.local_world_size, launch.node_rank, launch.master_addr, launch.master_port)
    log.info("backend %s on %s: %s%s; derived for DeepSpeed: %s", choice.backend, choice.device,
             choice.reason, f"; {threads} CPU thread(s) per process" if threads else "",
             ", ".join(sorted(added)) or "nothing")

    import deepspeed  # after prepare_environment: DeepSpeed picks its accelerator on first use

    if choice.device == "cpu":
        avoid_unbuildable_shm_op()
    deepspeed.init_distributed(dist_backend=choice.backend, auto_mpi_discovery=False,
                               init_method=rendezvous(launch), rank=launch.rank,
                               world_size=launch.world_size, timeout=COLLECTIVE_TIMEOUT)
    data = load_dataset(config.dataset, config.data_dir, config.seed)
    seed_everything(config.seed)
    model = build_model(data.sample_shape, data.num_classes)
    ds_config = flags.ds_config
    client_optimizer = None
    if "optimizer" not in ds_config:   # the file names none: the same SGD as train.pytorch
        client_optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate,
                                           momentum=config.momentum)
    engine, _, _, _ = deepspeed.initialize(
        model=model, optimizer=client_optimizer, config=ds_config,
        model_parameters=None if client_optimizer else model.parameters())
    log.info("DeepSpeed %s, accelerator %s, ZeRO stage %d, config %s", deepspeed.__version__,
             deepspeed.get_accelerator().device_name(), flags.zero_stage, flags.config_source)
    try:
        return _train(config, data, engine, launch.rank, launch.world_size, flags)
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _train(config: TrainConfig, data: ArrayDataset, engine: Any, rank: int, world_size: int,
           flags: DeepSpeedFlags) -> int:
    is_writer = rank == 0
    micro = engine.train_micro_batch_size_per_gpu()
    plan = ShardPlan(len(data.train_y), rank, world_size, micro, config.seed)
    shape = RunShape(data.name, world_size, micro, plan.steps_per_epoch, config.seed)
    checkpoints = EngineCheckpoints(engine, config.checkpoint_dir / "deepspeed", config.keep_checkpoints,
                                    is_writer)
    resumed = checkpoints.load_latest(shape)
    finished = resumed.finished_steps if resumed else 0
    if resumed:
        restore_rng_state(resumed.rng_state)
    metrics = open_metrics(is_writer, config.model_dir, resumed.mlflow_run_id if resumed else None)
    metrics.log_params({"dataset": data.name, "world_size": world_size, "zero_stage": flags.zero_stage,
                        "epochs": config.epochs, "batch_size": micro, "seed": config.seed,
                        "ds_config": flags.config_source})

    total = config.total_steps(plan.steps_per_epoch)
    log.info("training %s: %d train / %d test samples, %d steps per epoch, %d steps in total",
             data.name, len(data.train_y), len(data.test_y), plan.steps_per_epoch, total)
    train_x, train_y = torch.from_numpy(data.train_x), torch.from_numpy(data.train_y)
    loss_fn = torch.nn.CrossEntropyLoss()
    throughput = Throughput()
    start = finished

    def save() -> None:
        checkpoints.save(finished, shape, capture_rng_state(), metrics.run_id)

    engine.train()
    for epoch in range(finished // plan.steps_per_epoch, config.epochs):
        if finished >= total:
            break
        for batch in plan.batches(epoch, skip=finished - epoch * plan.steps_per_epoch):
            if finished >= total:
                break
            x = train_x[batch].to(engine.device)
            y = train_y[batch].to(engine.device)
            loss = loss_fn(engine(x), y)
            engine.backward(loss)
            engine.step()
            finished += 1
            throughput.add(len(batch) * world_size)
            if is_writer and (finished % config.print_freq == 0 or finished == total):
                log.info("epoch %d/%d step %d/%d loss %.4f samples/s %.1f", epoch + 1, config.epochs,
                         finished, total, loss.item(), throughput.samples_per_sec())
                metrics.log_metrics({"loss": loss.item(), "epoch": float(epoch + 1),
                                     "samples_per_sec": throughput.samples_per_sec()}, step=finished)
            if config.checkpoint_every and finished % config.checkpoint_every == 0:
                save()
            if config.step_delay:
                time.sleep(config.step_delay)

    if finished not in checkpoints.steps():
        save()
    weights = full_weights(engine)   # collective under ZeRO-3: every rank calls it
    accuracy = evaluate(weights, data)
    if is_writer:
        buffer = io.BytesIO()
        torch.save(weights, buffer)
        path = atomic_write_bytes(config.model_dir / "model.pt", buffer.getvalue())
        log.info("model weights written to %s", path)
        metrics.log_metrics({"accuracy": accuracy, "final_samples_per_sec": throughput.samples_per_sec()},
                            step=finished)
        metrics.close()
        print(format_final_line(world_size=world_size, accuracy=accuracy,
                                samples_per_sec=throughput.samples_per_sec(), steps=finished,
                                steps_this_run=finished - start, zero_stage=flags.zero_stage,
                                weights_sha256=_sha256_of(weights, data)), flush=True)
    torch.distributed.barrier()
    return 0


def full_weights(engine: Any) -> dict[str, torch.Tensor]:
    """The whole model's weights on every rank (ZeRO-3 partitions them: gather first)."""
    import deepspeed

    params = list(engine.module.parameters())
    with deepspeed.zero.GatheredParameters(params, modifier_rank=None):
        return {name: tensor.detach().cpu().clone() for name, tensor in engine.module.state_dict().items()}


def _plain_model(weights: dict[str, torch.Tensor], data: ArrayDataset) -> torch.nn.Module:
    model = build_model(data.sample_shape, data.num_classes)
    model.load_state_dict(weights)
    return model.eval()


@torch.no_grad()
def evaluate(weights: dict[str, torch.Tensor], data: ArrayDataset) -> float:
    """Accuracy on the whole test set, on a plain copy of the model: no collectives, so ranks with
    ZeRO-3 hooks cannot fall out of step, and every rank gets the same number."""
    model = _plain_model(weights, data)
    x, y = torch.from_numpy(data.test_x), torch.from_numpy(data.test_y)
    correct = sum(int((model(x[i:i + 512]).argmax(dim=1) == y[i:i + 512]).sum())
                  for i in range(0, len(y), 512))
    return correct / len(y)


def _sha256_of(weights: dict[str, torch.Tensor], data: ArrayDataset) -> str:
    return weights_sha256(_plain_model(weights, data))

