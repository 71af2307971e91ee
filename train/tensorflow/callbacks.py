"""Keras callbacks shared by the three modes: progress lines, MLflow metrics, step counting, test pacing."""

from __future__ import annotations

import logging
import time

import tensorflow as tf

from train.common.faults.lost_peer import RunProgress
from train.common.reporting.metrics import Metrics

log = logging.getLogger(__name__)


class EpochProgress(tf.keras.callbacks.Callback):
    """Per-epoch progress lines and metrics, and the step count; no batch hooks.

    ParameterServerStrategy refuses callbacks with batch hooks, so this is its progress callback.
    Step numbers are global: the optimizer's iteration count, which a restored backup brings back
    (BackupAndRestore must come before this callback in the list). Metrics go to `metrics`
    (NullMetrics everywhere but the chief).
    """

    def __init__(self, *, samples_per_step: int, steps_per_epoch: int, metrics: Metrics,
                 run: RunProgress | None = None) -> None:
        super().__init__()
        self.samples_per_step = samples_per_step
        self.steps_per_epoch = steps_per_epoch
        self.metrics = metrics
        self.run = run   # its phase, per epoch, for the line a lost peer prints (parameter servers)
        self.step = 0
        self.initial_step = 0
        self.last_logs: dict[str, float] = {}

    @property
    def steps_this_run(self) -> int:
        return self.step - self.initial_step

    def samples_per_sec(self) -> float:
        elapsed = time.perf_counter() - self._started
        return self.steps_this_run * self.samples_per_step / elapsed if elapsed > 0 else 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.initial_step = self.step = int(self.model.optimizer.iterations.numpy())
        if self.step:
            log.info("resumed from the backup: %d steps already trained (epoch %d, batch %d)",
                     self.step, self.step // self.steps_per_epoch + 1,
                     self.step % self.steps_per_epoch + 1)
        self._started = time.perf_counter()
        self._set_phase()

    def _set_phase(self) -> None:
        if self.run is not None:
            self.run.phase = f"epoch {self.step // self.steps_per_epoch + 1} (steps after {self.step})"

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.step = int(self.model.optimizer.iterations.numpy())
        self._set_phase()
        self.last_logs = {key: float(value) for key, value in (logs or {}).items()}
        log.info("epoch %d done (step %d): %s", epoch + 1, self.step,
                 ", ".join(f"{key} {value:.4f}" for key, value in self.last_logs.items()))
        self.metrics.log_metrics({**self.last_logs, "samples_per_sec": self.samples_per_sec()},
                                 step=self.step)


class Progress(EpochProgress):
    """EpochProgress plus a line every `print_freq` steps, --max-steps and --step-delay."""

    def __init__(self, *, print_freq: int, samples_per_step: int, steps_per_epoch: int,
                 metrics: Metrics, step_delay: float = 0.0, max_steps: int | None = None) -> None:
        super().__init__(samples_per_step=samples_per_step, steps_per_epoch=steps_per_epoch,
                         metrics=metrics)
        self.print_freq = print_freq
        self.step_delay = step_delay
        self.max_steps = max_steps

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        if self.step % self.print_freq == 0:
            loss = (logs or {}).get("loss")
            log.info("step %d (epoch %d): loss %s, %.0f samples/s", self.step,
                     (self.step - 1) // self.steps_per_epoch + 1,
                     f"{float(loss):.4f}" if loss is not None else "n/a", self.samples_per_sec())
        if self.step_delay:
            time.sleep(self.step_delay)
        if self.max_steps and self.step >= self.max_steps:
            self.model.stop_training = True   # every worker counts the same steps, so all stop together


class RunProgressTracker(tf.keras.callbacks.Callback):
    """Keeps a RunProgress current for the line a lost peer prints (train.tensorflow.lost_peer): the
    step in progress, and the newest backup. Backups are taken where the backup callback takes them:
    at every multiple of `every` steps (BackupAndRestore's save_freq, _RankZeroBackup's --checkpoint-
    every) and, if `at_epoch_end`, at the end of each Keras epoch. The chief writes them; a worker
    that is not the chief cannot know that it finished the newest one, so there it stays pending
    until the next one is due (by then the chief has trained past it)."""

    def __init__(self, run: RunProgress, *, every: int | None, at_epoch_end: bool, is_chief: bool) -> None:
        super().__init__()
        self.run = run
        self.every = every
        self.at_epoch_end = at_epoch_end
        self.is_chief = is_chief
        self.step = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.step = int(self.model.optimizer.iterations.numpy())
        self.run.resume_step, self.run.pending_step = self.step, None   # restored from it, or 0: none
        self.run.phase = f"step {self.step + 1}"

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        self.run.phase = f"step {self.step + 1}"
        if self.every and self.step % self.every == 0:
            self._backed_up()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.at_epoch_end:
            self._backed_up()

    def _backed_up(self) -> None:
        if self.is_chief:
            self.run.resume_step = self.step
            return
        if self.run.pending_step is not None and self.run.pending_step != self.step:
            self.run.resume_step = self.run.pending_step
        self.run.pending_step = self.step
