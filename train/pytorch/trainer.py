"""The training loop of every PyTorch job (DDP, Horovod, DeepSpeed): epochs of batches from this
rank's shard, checkpoints, progress, SIGTERM, evaluation. What differs between them is the Strategy's
(train.pytorch.strategy): how the model is wrapped, a step runs and a checkpoint is written.

Steps are counted globally from 1 across restarts: "step s" is the s-th optimizer update of the job.
A checkpoint written after step s records `finished_steps = s`; a run resumed from it starts at step
s + 1, in epoch s // steps_per_epoch, after skipping that epoch's first s % steps_per_epoch batches.

While it trains, SIGTERM stops the run at the end of the current step with a checkpoint (see
train.common.faults.stop_signal), and `progress` tells a failure's line where the run was.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from train.common.checkpoints.atomic_file import atomic_write_bytes
from train.common.common_flags import TrainConfig
from train.common.data import ArrayDataset, ShardPlan
from train.common.faults.lost_peer import RunProgress
from train.common.faults.stop_signal import StoppedBySignal, StopSignal
from train.common.reporting.metrics import Metrics
from train.common.reporting.throughput import Throughput
from train.pytorch.model import build_model
from train.pytorch.process_group import Group
from train.pytorch.snapshot import RunShape, capture_rng_state
from train.pytorch.strategy import Strategy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    finished_steps: int
    steps_this_run: int
    accuracy: float
    samples_per_sec: float
    weights_sha256: str


def weights_sha256(weights: dict[str, torch.Tensor]) -> str:
    """A fingerprint of the weights: equal runs give equal hashes, bit for bit."""
    digest = hashlib.sha256()
    for name, tensor in sorted(weights.items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class Trainer:
    def __init__(self, config: TrainConfig, data: ArrayDataset, strategy: Strategy, plan: ShardPlan,
                 shape: RunShape, metrics: Metrics, finished_steps: int = 0,
                 progress: RunProgress | None = None) -> None:
        self.config = config
        self.data = data
        self.strategy = strategy
        self.group: Group = strategy.group
        self.plan = plan
        self.shape = shape
        self.metrics = metrics
        self.finished_steps = finished_steps
        self.total_steps = config.total_steps(plan.steps_per_epoch)
        self._train_x = torch.from_numpy(data.train_x)
        self._train_y = torch.from_numpy(data.train_y)
        self._loss_fn = nn.CrossEntropyLoss()
        self._throughput = Throughput()
        self._weights: dict[str, torch.Tensor] | None = None
        self.progress = progress or RunProgress()
        # The run started from a checkpoint of `finished_steps` (0: none), which every rank loaded.
        self.progress.resume_step = finished_steps
        self._stop = StopSignal()

    def train(self) -> TrainResult:
        start_steps = self.finished_steps
        first_epoch = self.finished_steps // self.plan.steps_per_epoch
        with self._stop.deferred():
            for epoch in range(first_epoch, self.config.epochs):
                if self.finished_steps >= self.total_steps:
                    break
                self._run_epoch(epoch)
        self.progress.phase = "the last checkpoint"
        if self.finished_steps not in self.strategy.checkpoint_steps():
            self._save_checkpoint()
        self.progress.phase = "the evaluation"
        self._weights = self.strategy.full_weights()   # a collective under ZeRO-3: every rank
        accuracy = self.evaluate(self._weights)
        self._note_checkpoint_confirmed()
        self.progress.phase = "the end of the run"
        return TrainResult(self.finished_steps, self.finished_steps - start_steps, accuracy,
                           self._throughput.samples_per_sec(), weights_sha256(self._weights))

    def _run_epoch(self, epoch: int) -> None:
        skip = self.finished_steps - epoch * self.plan.steps_per_epoch
        batches = self.plan.batches(epoch, skip=skip)
        self.strategy.train_mode()
        for x, y in self._loader(batches):
            if self.finished_steps >= self.total_steps:
                return
            self.progress.phase = f"step {self.finished_steps + 1}"
            loss = self.strategy.step(x.to(self.strategy.device), y.to(self.strategy.device), self._loss_fn)
            self._note_checkpoint_confirmed()
            self.finished_steps += 1
            self._throughput.add(len(y) * self.group.world_size)
            self._report_progress(epoch, loss)
            if self.config.checkpoint_every and self.finished_steps % self.config.checkpoint_every == 0:
                self._save_checkpoint()
            if self._stop_agreed():
                self._stop_here()
            if self.config.step_delay:
                time.sleep(self.config.step_delay)

    def _note_checkpoint_confirmed(self) -> None:
        """Called after collectives: rank 0 took part in them, so it had finished writing the
        checkpoint of the step before, if that step had one. Rank 0 itself notes it when it writes."""
        if self.progress.pending_step is not None:
            self.progress.resume_step, self.progress.pending_step = self.progress.pending_step, None

    def _stop_agreed(self) -> bool:
        """Whether any rank got SIGTERM. Every rank must stop after the same step (a rank that
        stops early leaves the others blocked in the next step's collective), so the flags are
        summed: one tiny all-reduce per step, microseconds next to a training step."""
        wanted = torch.tensor([1.0 if self._stop.requested else 0.0])
        if self.group.world_size > 1:
            wanted = self.group.all_reduce_sum(wanted)
        return bool(wanted[0] > 0)

    def _stop_here(self) -> None:
        """Checkpoint this step, wait until it is written, and end the run."""
        self.progress.phase = f"the checkpoint after step {self.finished_steps} on SIGTERM"
        if self.finished_steps not in self.strategy.checkpoint_steps():
            self._save_checkpoint()
        self.group.barrier()    # every rank's line may then say the checkpoint is written
        self.progress.resume_step = self.finished_steps
        raise StoppedBySignal(self.finished_steps, self.group.rank)

    def _loader(self, batches: list[np.ndarray]) -> DataLoader:
        # The batches are fixed up front (ShardPlan), so worker processes only gather tensors and
        # cannot change the order: --workers changes speed, never results.
        return DataLoader(TensorDataset(self._train_x, self._train_y), batch_sampler=batches,
                          num_workers=self.config.workers)

    def _report_progress(self, epoch: int, loss: float) -> None:
        if not self.group.is_writer:
            return
        step = self.finished_steps
        if step % self.config.print_freq == 0 or step == self.total_steps:
            log.info("epoch %d/%d step %d/%d loss %.4f samples/s %.1f", epoch + 1, self.config.epochs,
                     step, self.total_steps, loss, self._throughput.samples_per_sec())
            self.metrics.log_metrics({"loss": loss, "epoch": float(epoch + 1),
                                      "samples_per_sec": self._throughput.samples_per_sec()}, step=step)

    def _save_checkpoint(self) -> None:
        """Every rank calls it; the strategy decides who writes."""
        self.strategy.save_checkpoint(self.finished_steps, self.shape, capture_rng_state(), self.metrics.run_id)
        if self.group.is_writer or self.strategy.writes_on_every_rank:
            self.progress.resume_step = self.finished_steps
        else:
            self.progress.pending_step = self.finished_steps    # rank 0 writes it now

    def save_final(self) -> None:
        """Rank 0: the weights as model.pt (the last checkpoint is written by train())."""
        if not self.group.is_writer:
            return
        buffer = io.BytesIO()
        torch.save(self._weights, buffer)
        path = atomic_write_bytes(self.config.model_dir / "model.pt", buffer.getvalue())
        log.info("model weights written to %s", path)

    @torch.no_grad()
    def evaluate(self, weights: dict[str, torch.Tensor]) -> float:
        """Accuracy on the whole test set, on a plain copy of the model (no hooks of DDP, Horovod or
        ZeRO that could make ranks fall out of step): each rank scores a slice, the counts are summed."""
        model = build_model(self.data.sample_shape, self.data.num_classes)
        model.load_state_dict(weights)
        model.to(self.group.device).eval()
        x = torch.from_numpy(self.data.test_x[self.group.rank::self.group.world_size])
        y = torch.from_numpy(self.data.test_y[self.group.rank::self.group.world_size])
        correct = 0
        for start in range(0, len(y), 512):
            logits = model(x[start:start + 512].to(self.group.device))
            correct += int((logits.argmax(dim=1).cpu() == y[start:start + 512]).sum())
        counts = self.group.all_reduce_sum(torch.tensor([correct, len(y)], dtype=torch.float64))
        return float(counts[0] / counts[1])
