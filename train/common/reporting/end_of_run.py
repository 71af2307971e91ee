"""The end of every training run, in one order, for every framework.

Rank 0 (the chief, the writer) saves the model, logs the final metrics, closes the MLflow run and
prints the FINAL line; only then do all ranks meet at a closing barrier. The order matters: a
launcher such as docker compose (--abort-on-container-exit) stops every process as soon as one
exits, so anything rank 0 still had to do after a peer passed the barrier could be lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from train.common.reporting.final_line import format_final_line
from train.common.reporting.metrics import Metrics


@dataclass(frozen=True)
class RunSummary:
    """What a finished run reports: in the FINAL line, and (accuracy) as its last metric."""

    world_size: int
    accuracy: float
    samples_per_sec: float
    steps: int               # finished steps in total, across restarts
    steps_this_run: int
    weights_sha256: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)   # the strategy's own (zero_stage)

    def final_line(self) -> str:
        fields = dict(world_size=self.world_size, accuracy=self.accuracy,
                      samples_per_sec=self.samples_per_sec, steps=self.steps,
                      steps_this_run=self.steps_this_run, **self.details)
        if self.weights_sha256 is not None:
            fields["weights_sha256"] = self.weights_sha256
        return format_final_line(**fields)


def end_run(summary: RunSummary, *, is_writer: bool, save: Callable[[], None], metrics: Metrics,
            barrier: Callable[[], None] | None, extra_metrics: dict[str, float] | None = None) -> int:
    """Rank 0 saves, logs, closes its metrics and prints FINAL; then everyone passes `barrier`
    (None where the launcher needs none, such as a parameter-server coordinator). Returns 0."""
    if is_writer:
        save()
        metrics.log_metrics({"accuracy": summary.accuracy, **(extra_metrics or {})}, step=summary.steps)
        metrics.close()
        print(summary.final_line(), flush=True)
    if barrier is not None:
        barrier()
    return 0
