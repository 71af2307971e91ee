"""How every TensorFlow mode ends a run: evaluate, and let the writer save, log and print FINAL.

The model is evaluated and saved as a plain copy, built without the strategy's scope or Horovod's
optimizer wrapper: the copy runs no collectives, so every worker evaluates at its own pace, and the
saved model loads without either.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from train.common.data import ArrayDataset
from train.common.reporting.end_of_run import RunSummary, end_run
from train.common.reporting.metrics import Metrics
from train.tensorflow.callbacks import EpochProgress
from train.tensorflow.model import accuracy, build_model
from train.tensorflow.outputs import save_model


def finish_run(model, data: ArrayDataset, progress: EpochProgress, *, world_size: int, model_dir: Path,
               is_writer: bool, metrics: Metrics, barrier: Callable[[], None] | None) -> int:
    plain = build_model(data.sample_shape, data.num_classes)
    plain.set_weights(model.get_weights())
    summary = RunSummary(world_size=world_size, accuracy=accuracy(plain, data.test_x, data.test_y),
                         samples_per_sec=progress.samples_per_sec(), steps=progress.step,
                         steps_this_run=progress.steps_this_run)
    return end_run(summary, is_writer=is_writer, save=lambda: save_model(plain, model_dir), metrics=metrics,
                   barrier=barrier)
